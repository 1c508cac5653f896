/**
 * Graph-to-graph passes: each a small named {@link dev.adjoint.passes.Pass}, run in order by a
 * {@link dev.adjoint.passes.Pipeline} that verifies the graph after every pass and can print the IR
 * before and after any of them. Passes rebuild graphs through one shared {@link
 * dev.adjoint.passes.GraphRewriter}.
 */
@NullMarked
package dev.adjoint.passes;

import org.jspecify.annotations.NullMarked;
