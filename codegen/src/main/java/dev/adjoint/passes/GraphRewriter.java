package dev.adjoint.passes;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.StateUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Rebuilds a graph node by node: the one rebuild loop that every pass shares. A {@link Rule} sees
 * the nodes of the old graph in order and returns, for each, the node of the new graph that stands
 * for it: the node itself with its inputs replaced by their stand-ins ({@link #keep}), a new node in
 * its place under its name ({@link #replace}), or any node already in the new graph (an operand,
 * for an identity such as {@code x·1}). A rule may add helper nodes first ({@link #emit}).
 *
 * <p>Outputs and state updates move to the stand-ins of their nodes. New nodes get consecutive ids
 * in the order they are added; helper nodes get fresh names that clash with no name of the old
 * graph. A stand-in must have the type of the node it stands for, so no rewrite can change what a
 * node's users see. A node whose inputs and position do not change stays the same instance, and
 * when nothing changes the old graph itself is returned.
 */
public final class GraphRewriter {

  /** Decides what stands for one node of the old graph in the new one. */
  @FunctionalInterface
  public interface Rule {
    /**
     * The node of the new graph that replaces {@code node}; see {@link GraphRewriter} for the
     * choices. Inputs of {@code node} are read as their stand-ins through {@code rewriter}.
     */
    Node rewrite(Node node, GraphRewriter rewriter);
  }

  private final Graph source;
  private final Set<String> oldNames = new HashSet<>();
  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, Node> byName = new HashMap<>();
  private final Map<Node, Node> standIns = new HashMap<>();

  private GraphRewriter(Graph source) {
    this.source = source;
    for (Node n : source.nodes()) {
      oldNames.add(n.name());
    }
  }

  /** Applies {@code rule} to every node of {@code graph}, in order. */
  public static Graph rewrite(Graph graph, Rule rule) {
    return rebuild(graph, node -> true, rule);
  }

  /**
   * The graph without the nodes {@code retained} rejects; every other node is kept. A dropped node
   * must not be an input of a kept node, an output or part of a state update.
   */
  public static Graph retain(Graph graph, Predicate<Node> retained) {
    return rebuild(graph, retained, (node, rewriter) -> rewriter.keep(node));
  }

  private static Graph rebuild(Graph graph, Predicate<Node> retained, Rule rule) {
    GraphRewriter rewriter = new GraphRewriter(graph);
    for (Node node : graph.nodes()) {
      if (retained.test(node)) {
        rewriter.standIns.put(node, rewriter.checkStandIn(node, rule.rewrite(node, rewriter)));
      }
    }
    List<Node> outputs = new ArrayList<>();
    for (Node out : graph.outputs()) {
      outputs.add(rewriter.standIn(out, "output " + outputs.size()));
    }
    List<StateUpdate> updates = new ArrayList<>();
    for (StateUpdate u : graph.updates()) {
      String user = "the update of " + u.state().describe();
      updates.add(new StateUpdate(rewriter.standIn(u.state(), user), rewriter.standIn(u.value(), user)));
    }
    // Node equality is identity, so equal lists mean the very same nodes.
    if (rewriter.nodes.equals(graph.nodes()) && outputs.equals(graph.outputs()) && updates.equals(graph.updates())) {
      return graph;
    }
    return new Graph(graph.name(), rewriter.nodes, outputs, updates);
  }

  /** The stand-in for input {@code i} of {@code node}. */
  public Node input(Node node, int i) {
    return standIn(node.input(i), "node " + node.describe());
  }

  /** The stand-ins for the inputs of {@code node}, in order. */
  public List<Node> inputs(Node node) {
    List<Node> inputs = new ArrayList<>(node.inputs().size());
    for (int i = 0; i < node.inputs().size(); i++) {
      inputs.add(input(node, i));
    }
    return inputs;
  }

  /** {@code node} in the new graph: the same op and name, its inputs replaced by their stand-ins. */
  public Node keep(Node node) {
    List<Node> inputs = inputs(node);
    if (inputs.equals(node.inputs()) && node.id() == nodes.size()) {
      return add(node);
    }
    return add(Node.create(nodes.size(), node.name(), node.op(), inputs));
  }

  /** A new node that takes the place and the name of {@code node}; its inputs are new-graph nodes. */
  public Node replace(Node node, Op op, List<Node> inputs) {
    return add(Node.create(nodes.size(), node.name(), op, inputs));
  }

  /**
   * A helper node named {@code baseName}, or {@code baseName_2}, {@code baseName_3}, ... if that
   * name is taken in the old or the new graph; its inputs are new-graph nodes.
   */
  public Node emit(String baseName, Op op, List<Node> inputs) {
    return add(Node.create(nodes.size(), freshName(baseName), op, inputs));
  }

  private String freshName(String base) {
    String name = base;
    for (int k = 2; oldNames.contains(name) || byName.containsKey(name); k++) {
      name = base + "_" + k;
    }
    return name;
  }

  private Node add(Node node) {
    if (byName.containsKey(node.name())) {
      throw new AdjointException("rewriting graph '" + source.name() + "': node " + node.describe()
          + " is added twice (a rule may replace a node only once)");
    }
    nodes.add(node);
    byName.put(node.name(), node);
    return node;
  }

  private Node standIn(Node old, String user) {
    Node standIn = standIns.get(old);
    if (standIn == null) {
      throw new AdjointException("rewriting graph '" + source.name() + "': " + user + " uses " + old.describe()
          + ", which was dropped");
    }
    return standIn;
  }

  private Node checkStandIn(Node old, Node standIn) {
    if (byName.get(standIn.name()) != standIn) {
      throw new AdjointException("rewriting graph '" + source.name() + "': the stand-in for " + old.describe()
          + ", " + standIn.describe() + ", is not a node of the new graph");
    }
    if (!standIn.type().equals(old.type())) {
      throw new AdjointException("rewriting graph '" + source.name() + "': " + old.describe() + " of type "
          + old.type() + " would be replaced by " + standIn.describe() + " of type " + standIn.type());
    }
    return standIn;
  }
}
