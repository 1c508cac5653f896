package dev.adjoint.passes;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.StateUpdate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Freezes an inference graph's weights: every parameter and state named in {@code values} becomes a
 * constant holding that value. Run before {@link FoldConstants} (with a limit large enough for the
 * weights), it lets the compiler compute once what depends only on weights: the rescaled weights
 * and biases {@link FoldBatchNorm} leaves as nodes, a transposed or reshaped weight. Parameters and
 * state not named stay as they are.
 *
 * <p>Errors, found before anything is rewritten: a name that is no parameter or state of the graph
 * (a typo would silently freeze nothing), a value whose type differs from the node's, and a node the
 * graph updates (a training step's parameters cannot be constants).
 */
public final class FreezeParameters implements Pass {
  private final Map<String, NDArray> values;

  /** Freezes the parameters and state named in {@code values} (a checkpoint's map, for example). */
  public FreezeParameters(Map<String, NDArray> values) {
    this.values = Map.copyOf(values);
  }

  @Override
  public String name() {
    return "freeze-parameters";
  }

  /** The frozen parameters and state leave the signature: they are no longer fed. */
  @Override
  public boolean keepsSignature() {
    return false;
  }

  @Override
  public Graph run(Graph graph) {
    check(graph);
    return GraphRewriter.rewrite(graph, (node, rewriter) -> {
      NDArray value = isWeight(node) ? values.get(node.name()) : null;
      return value == null ? rewriter.keep(node) : rewriter.replace(node, new Op.Constant(value), List.of());
    });
  }

  private void check(Graph graph) {
    Set<String> unknown = new TreeSet<>(values.keySet());
    for (Node node : graph.nodes()) {
      if (isWeight(node)) {
        unknown.remove(node.name());
      }
    }
    if (!unknown.isEmpty()) {
      throw new AdjointException(name() + ": graph '" + graph.name() + "' has no parameter or state named "
          + String.join(", ", unknown));
    }
    for (StateUpdate u : graph.updates()) {
      if (values.containsKey(u.state().name())) {
        throw new AdjointException(name() + ": " + u.state().describe() + " is updated by graph '" + graph.name()
            + "', so it cannot become a constant");
      }
    }
    for (Node node : graph.nodes()) {
      NDArray value = isWeight(node) ? values.get(node.name()) : null;
      if (value != null && !value.type().equals(node.type())) {
        throw new AdjointException(name() + ": the value for " + node.describe() + " is " + value.type()
            + ", the node is " + node.type());
      }
    }
  }

  private static boolean isWeight(Node node) {
    return node.op() instanceof Op.Parameter || node.op() instanceof Op.State;
  }
}
