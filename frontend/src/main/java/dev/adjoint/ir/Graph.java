package dev.adjoint.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable, typed computation graph: nodes in topological order (every node after its inputs)
 * and the nodes it returns. Built by {@link dev.adjoint.dsl.GraphBuilder} or parsed from text.
 */
public final class Graph {
  private final String name;
  private final List<Node> nodes;
  private final List<Node> outputs;
  private final List<StateUpdate> updates;
  private final Map<String, Node> byName;

  public Graph(String name, List<Node> nodes, List<Node> outputs) {
    this(name, nodes, outputs, List.of());
  }

  /**
   * Validates that {@code nodes} is topologically ordered, that names are unique, that every
   * output and update is made of the graph's nodes, and that no state is updated twice.
   */
  public Graph(String name, List<Node> nodes, List<Node> outputs, List<StateUpdate> updates) {
    this.name = name;
    this.nodes = List.copyOf(nodes);
    this.outputs = List.copyOf(outputs);
    this.updates = List.copyOf(updates);
    Map<String, Node> names = new LinkedHashMap<>();
    for (Node n : this.nodes) {
      for (Node in : n.inputs()) {
        if (names.get(in.name()) != in) {
          throw new AdjointException(
              "graph '" + name + "': node " + n.describe() + " uses " + in.describe()
                  + ", which does not come before it in the graph");
        }
      }
      if (names.putIfAbsent(n.name(), n) != null) {
        throw new AdjointException("graph '" + name + "': two nodes are named '" + n.name() + "'");
      }
    }
    for (Node out : this.outputs) {
      if (names.get(out.name()) != out) {
        throw new AdjointException("graph '" + name + "': output " + out.describe() + " is not a node of the graph");
      }
    }
    java.util.Set<Node> updated = new java.util.HashSet<>();
    for (StateUpdate u : this.updates) {
      for (Node n : List.of(u.state(), u.value())) {
        if (names.get(n.name()) != n) {
          throw new AdjointException("graph '" + name + "': update of " + u.state().describe() + " uses "
              + n.describe() + ", which is not a node of the graph");
        }
      }
      if (!updated.add(u.state())) {
        throw new AdjointException("graph '" + name + "': state " + u.state().describe() + " is updated twice");
      }
    }
    this.byName = Collections.unmodifiableMap(names);
  }

  public String name() {
    return name;
  }

  /** All nodes, inputs before their consumers. */
  public List<Node> nodes() {
    return nodes;
  }

  public List<Node> outputs() {
    return outputs;
  }

  /** The state writes the program makes, applied after a run. */
  public List<StateUpdate> updates() {
    return updates;
  }

  public Node output(int i) {
    return outputs.get(i);
  }

  /** The node called {@code name}; a clear error if there is none. */
  public Node node(String name) {
    Node n = byName.get(name);
    if (n == null) {
      throw new AdjointException("graph '" + this.name + "' has no node named '" + name + "'");
    }
    return n;
  }

  /** Whether a node is called {@code name}. */
  public boolean hasNode(String name) {
    return byName.containsKey(name);
  }

  public boolean contains(Node n) {
    return byName.get(n.name()) == n;
  }

  public List<Node> inputs() {
    return ofKind(Op.Input.class);
  }

  public List<Node> parameters() {
    return ofKind(Op.Parameter.class);
  }

  public List<Node> states() {
    return ofKind(Op.State.class);
  }

  private List<Node> ofKind(Class<? extends Op> kind) {
    List<Node> out = new ArrayList<>();
    for (Node n : nodes) {
      if (kind.isInstance(n.op())) {
        out.add(n);
      }
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public String toString() {
    return "graph '" + name + "' (" + nodes.size() + " nodes, " + outputs.size() + " outputs)";
  }
}
