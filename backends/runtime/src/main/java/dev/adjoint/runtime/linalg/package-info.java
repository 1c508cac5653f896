/**
 * Dense linear algebra for generated code: {@link dev.adjoint.runtime.linalg.Gemm}, a packed,
 * register-blocked matrix multiply on the Vector API with a scalar fallback.
 */
@NullMarked
package dev.adjoint.runtime.linalg;

import org.jspecify.annotations.NullMarked;
