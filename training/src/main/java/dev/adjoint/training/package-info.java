/**
 * The training loop around a compiled or interpreted {@link dev.adjoint.train.TrainingStep}:
 * {@link dev.adjoint.training.Trainer} feeds batches and the scheduled learning rate, keeps
 * parameters and optimizer state, saves and resumes checkpoints bit for bit; {@link
 * dev.adjoint.training.ProgressBar} and {@link dev.adjoint.training.TrainingPlot} show a person
 * how it goes.
 */
@NullMarked
package dev.adjoint.training;

import org.jspecify.annotations.NullMarked;
