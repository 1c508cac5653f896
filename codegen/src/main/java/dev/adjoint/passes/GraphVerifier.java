package dev.adjoint.passes;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.ShapeException;
import dev.adjoint.ir.ShapeRules;
import dev.adjoint.ir.StateUpdate;
import dev.adjoint.ir.TensorType;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Re-checks a graph that a pass produced, so a broken pass is caught right after it runs rather
 * than as a wrong number far downstream. Every error names the pass and the node.
 */
public final class GraphVerifier {
  private GraphVerifier() {}

  /**
   * Checks {@code graph} on its own: nodes in topological order, every node's type equal to what
   * {@link ShapeRules} infers from its inputs' types, names and ids unique, outputs among the nodes.
   *
   * @throws AdjointException naming {@code pass} and the first offending node
   */
  public static void verify(Graph graph, String pass) {
    Map<String, Node> byName = new HashMap<>();
    Map<Integer, Node> byId = new HashMap<>();
    for (Node node : graph.nodes()) {
      for (Node in : node.inputs()) {
        if (byName.get(in.name()) != in) {
          throw fail(pass, graph, node, "uses " + in.describe() + ", which does not come before it in the graph");
        }
      }
      List<TensorType> operands = node.inputs().stream().map(Node::type).toList();
      TensorType inferred;
      try {
        inferred = ShapeRules.infer(node.name(), node.op(), operands);
      } catch (ShapeException e) {
        throw fail(pass, graph, node, "has operands that do not fit its op: " + e.reason());
      }
      if (!inferred.equals(node.type())) {
        throw fail(pass, graph, node, "is typed " + node.type() + ", but its op gives " + inferred + " for operands "
            + operands);
      }
      Node sameName = byName.putIfAbsent(node.name(), node);
      if (sameName != null) {
        throw fail(pass, graph, node, "has the name of an earlier node, " + sameName.describe());
      }
      Node sameId = byId.putIfAbsent(node.id(), node);
      if (sameId != null) {
        throw fail(pass, graph, node, "has id " + node.id() + ", as " + sameId.describe() + " does");
      }
    }
    for (Node out : graph.outputs()) {
      if (byName.get(out.name()) != out) {
        throw fail(pass, graph, out, "is an output but not a node of the graph");
      }
    }
    for (StateUpdate u : graph.updates()) {
      for (Node n : List.of(u.state(), u.value())) {
        if (byName.get(n.name()) != n) {
          throw fail(pass, graph, n, "is in the update of " + u.state().describe() + " but not a node of the graph");
        }
      }
    }
  }

  /**
   * Checks {@code after} on its own ({@link #verify(Graph, String)}) and that {@code pass} kept the
   * program's signature: the same inputs, parameters and states (the leaves fed by name, each with
   * the same op), as many outputs of the same types, and updates of the same states.
   */
  public static void verify(Graph before, Graph after, String pass) {
    verify(after, pass);
    Map<String, Node> leavesBefore = fedLeaves(before);
    Map<String, Node> leavesAfter = fedLeaves(after);
    for (Node leaf : leavesBefore.values()) {
      Node kept = leavesAfter.get(leaf.name());
      if (kept == null) {
        throw fail(pass, after, leaf, "was removed, but inputs, parameters and states are the program's signature");
      }
      if (!kept.op().equals(leaf.op())) {
        throw fail(pass, after, kept, "changed from " + leaf.op() + " to " + kept.op());
      }
    }
    for (Node leaf : leavesAfter.values()) {
      if (!leavesBefore.containsKey(leaf.name())) {
        throw fail(pass, after, leaf, "is a new leaf; a pass must not change the program's signature");
      }
    }
    if (after.outputs().size() != before.outputs().size()) {
      throw new AdjointException("pass '" + pass + "' produced graph '" + after.name() + "' with "
          + after.outputs().size() + " outputs instead of " + before.outputs().size());
    }
    List<String> updatedBefore = before.updates().stream().map(u -> u.state().name()).toList();
    List<String> updatedAfter = after.updates().stream().map(u -> u.state().name()).toList();
    if (!updatedAfter.equals(updatedBefore)) {
      throw new AdjointException("pass '" + pass + "' produced graph '" + after.name() + "' updating states "
          + updatedAfter + " instead of " + updatedBefore);
    }
    for (int i = 0; i < before.outputs().size(); i++) {
      Node was = before.output(i);
      Node now = after.output(i);
      if (!now.type().equals(was.type())) {
        throw fail(pass, after, now, "is output " + i + " of type " + now.type() + ", but that output was "
            + was.describe() + " of type " + was.type());
      }
    }
  }

  /** Inputs, parameters and states by name, in graph order. */
  private static Map<String, Node> fedLeaves(Graph graph) {
    Map<String, Node> leaves = new LinkedHashMap<>();
    for (Node node : graph.nodes()) {
      if (Leaves.isFed(node)) {
        leaves.put(node.name(), node);
      }
    }
    return leaves;
  }

  private static AdjointException fail(String pass, Graph graph, Node node, String reason) {
    return new AdjointException("pass '" + pass + "' produced an invalid graph '" + graph.name() + "': node "
        + node.describe() + " " + reason);
  }
}
