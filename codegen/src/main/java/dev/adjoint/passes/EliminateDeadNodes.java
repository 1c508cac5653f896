package dev.adjoint.passes;

import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.StateUpdate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Dead-code elimination: drops every computed node and constant that neither an output nor a state
 * update depends on. Inputs, parameters and states stay even when unused, since they are the
 * program's signature (feeds by name).
 */
public final class EliminateDeadNodes implements Pass {

  @Override
  public String name() {
    return "eliminate-dead-nodes";
  }

  @Override
  public Graph run(Graph graph) {
    Set<Node> live = new HashSet<>(graph.outputs());
    for (StateUpdate u : graph.updates()) {
      live.add(u.value());
    }
    List<Node> nodes = graph.nodes();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      if (live.contains(nodes.get(i))) {
        live.addAll(nodes.get(i).inputs());
      }
    }
    return GraphRewriter.retain(graph, node -> live.contains(node) || Leaves.isFed(node));
  }
}
