/**
 * What generated kernels call besides GEMM and convolution: pooling kernels, scalar functions
 * without a {@link java.lang.Math} counterpart, the interface a compiled program's driver
 * implements, and the exception a kernel raises for a run-time error (reported by number, so the
 * compiler renders the message).
 */
@NullMarked
package dev.adjoint.runtime.ops;

import org.jspecify.annotations.NullMarked;
