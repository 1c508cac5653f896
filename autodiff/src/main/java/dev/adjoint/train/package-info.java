/**
 * Training as graphs: {@link dev.adjoint.train.Optimizer}s written as graph updates of parameters
 * and optimizer state, gradient {@link dev.adjoint.train.Clipping}, learning-rate {@link
 * dev.adjoint.train.Schedule}s, and {@link dev.adjoint.train.TrainingStep}, which turns a model
 * and its loss into one graph that runs a whole step.
 */
@NullMarked
package dev.adjoint.train;

import org.jspecify.annotations.NullMarked;
