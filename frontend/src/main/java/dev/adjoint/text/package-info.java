/**
 * The IR text form: {@link dev.adjoint.text.GraphPrinter} writes a graph one node per line, and
 * {@link dev.adjoint.text.GraphParser} reads it back to an equal graph, re-running the shape rules.
 */
@NullMarked
package dev.adjoint.text;

import org.jspecify.annotations.NullMarked;
