/**
 * The runtime's thread pool: {@link dev.adjoint.runtime.parallel.Parallel} runs a fixed number of
 * chunks on shared worker threads, so a kernel's results never depend on how many threads ran it.
 */
@NullMarked
package dev.adjoint.runtime.parallel;

import org.jspecify.annotations.NullMarked;
