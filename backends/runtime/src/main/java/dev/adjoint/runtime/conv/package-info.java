/**
 * Two-dimensional convolution kernels for generated code: {@link
 * dev.adjoint.runtime.conv.Conv2dKernels} computes the forward pass and both backward passes over
 * NCHW arrays.
 */
@NullMarked
package dev.adjoint.runtime.conv;

import org.jspecify.annotations.NullMarked;
