/**
 * Layers and blocks with parameters, built on the DSL: {@link dev.adjoint.nn.Dense}, {@link
 * dev.adjoint.nn.Conv2d}, {@link dev.adjoint.nn.BatchNorm}, the residual, bottleneck, dense and
 * transition blocks of {@link dev.adjoint.nn.Blocks}, and small reference {@link
 * dev.adjoint.nn.Models}. Layers are applied with {@code invoke} ({@code layer(x)} in Kotlin).
 */
@NullMarked
package dev.adjoint.nn;

import org.jspecify.annotations.NullMarked;
