/**
 * The model-building DSL: {@link dev.adjoint.dsl.GraphBuilder} creates leaves and
 * {@link dev.adjoint.dsl.Tensor} handles whose methods ({@code plus}, {@code times}, {@code
 * matmul}, ...) add typed nodes; Kotlin sees the operator-named methods as operators.
 */
@NullMarked
package dev.adjoint.dsl;

import org.jspecify.annotations.NullMarked;
