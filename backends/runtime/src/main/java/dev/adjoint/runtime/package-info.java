/**
 * The zero-dependency runtime that generated code and ahead-of-time jars call: the Philox random
 * generator, special functions, and the choice between Vector API and scalar kernels ({@link
 * dev.adjoint.runtime.VectorSupport}). Subpackages hold the thread pool, GEMM and convolution.
 */
@NullMarked
package dev.adjoint.runtime;

import org.jspecify.annotations.NullMarked;
