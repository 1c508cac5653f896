package dev.adjoint.passes;

import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import java.util.List;
import java.util.Map;

/**
 * Computes the outputs of a graph from feeds by name. {@link FoldConstants} evaluates one node at a
 * time with it. Pluggable because the passes must not depend on a backend: tests pass the reference
 * interpreter ({@code ReferenceInterpreter::run}), a compiler may pass its own executor.
 */
@FunctionalInterface
public interface Evaluator {

  /** The values of {@code graph.outputs()}, in order. */
  List<NDArray> run(Graph graph, Map<String, NDArray> feeds);
}
