/**
 * Testing support for users of Adjoint: {@link dev.adjoint.testing.GradientCheck} compares the
 * gradients autodiff builds with central finite differences on the reference interpreter, {@link
 * dev.adjoint.testing.InputDomain} says where an input is sampled (away from kinks, inside a log's
 * domain), and {@link dev.adjoint.testing.AdjointArbitraries} gives jqwik arbitraries of shapes,
 * tensors and whole feed maps for property tests of a model.
 */
@NullMarked
package dev.adjoint.testing;

import org.jspecify.annotations.NullMarked;
