/**
 * Reverse-mode automatic differentiation as a graph transform: {@link dev.adjoint.autodiff.Autodiff}
 * walks a graph backwards and emits the backward pass as ordinary nodes, using the per-op rules in
 * {@link dev.adjoint.autodiff.VjpRules}; {@link dev.adjoint.autodiff.Losses} holds the loss
 * functions.
 */
@NullMarked
package dev.adjoint.autodiff;

import org.jspecify.annotations.NullMarked;
