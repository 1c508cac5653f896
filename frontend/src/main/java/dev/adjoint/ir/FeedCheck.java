package dev.adjoint.ir;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the values fed to a graph before anything runs, with the same rules and wording on every
 * backend: every name is an input, parameter or state of the graph; everything the outputs and
 * state updates need is fed; every feed has its node's dtype and shape; and the symbolic batch N
 * binds to one size of at least 1 across all batched feeds.
 */
public final class FeedCheck {
  /** The batch size when no feed is batched. */
  public static final int UNBOUND = 0;

  private final Graph graph;
  private final Map<String, Node> byName = new HashMap<>();
  private final List<Node> leaves;
  private final Set<Node> needed;

  public FeedCheck(Graph graph) {
    this.graph = graph;
    for (Node n : graph.nodes()) {
      byName.put(n.name(), n);
    }
    this.leaves = graph.nodes().stream().filter(FeedCheck::takesFeed).toList();
    this.needed = dependencies(graph);
  }

  /** The outputs, the updated values, and everything they read, transitively. */
  private static Set<Node> dependencies(Graph graph) {
    Set<Node> needed = new HashSet<>(graph.outputs());
    graph.updates().forEach(u -> needed.add(u.value()));
    List<Node> nodes = graph.nodes();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      if (needed.contains(nodes.get(i))) {
        needed.addAll(nodes.get(i).inputs());
      }
    }
    return needed;
  }

  /** Inputs, parameters and states take feeds; everything else is computed. */
  public static boolean takesFeed(Node node) {
    return node.op() instanceof Op.Input || node.op() instanceof Op.Parameter || node.op() instanceof Op.State;
  }

  /** Whether the outputs or state updates depend on {@code node}. */
  public boolean needs(Node node) {
    return needed.contains(node);
  }

  public Graph graph() {
    return graph;
  }

  /**
   * Validates {@code feeds} and binds N.
   *
   * @return the batch size, or {@link #UNBOUND} if no feed is batched
   */
  public int validate(Map<String, NDArray> feeds) {
    checkNames(feeds.keySet());
    int batch = UNBOUND;
    Node batchSource = null;
    for (Node node : leaves) {
      NDArray value = feeds.get(node.name());
      if (value == null) {
        if (needed.contains(node)) {
          throw new AdjointException("missing feed for " + node.describe() + " of type " + node.type());
        }
        continue;
      }
      checkType(node, value);
      if (node.shape().isBatched()) {
        int size = value.shape().dim(0);
        if (size < 1) {
          throw new AdjointException(
              "feed for " + node.describe() + " expects " + node.type() + " with N >= 1, got " + value.type());
        }
        if (batchSource == null) {
          batch = size;
          batchSource = node;
        } else if (size != batch) {
          throw new AdjointException("feed for " + node.describe() + " expects " + node.type() + " with N = " + batch
              + " (bound by the feed for " + batchSource.describe() + "), got " + value.type());
        }
      }
    }
    return batch;
  }

  /** Every name must be an input, parameter or state of the graph. */
  public void checkNames(Set<String> names) {
    for (String name : names.stream().sorted().toList()) {
      Node node = byName.get(name);
      if (node == null) {
        throw new AdjointException("feed '" + name + "' names no node of graph '" + graph.name()
            + "'; it takes feeds for: " + leaves.stream().map(Node::name).collect(Collectors.joining(", ")));
      }
      if (!takesFeed(node)) {
        throw new AdjointException("feed '" + name + "' names " + node.describe()
            + ", which the graph computes; only inputs, parameters and states take feeds");
      }
    }
  }

  /** The leaf called {@code name}, checked to take feeds. */
  public Node leaf(String name) {
    checkNames(Set.of(name));
    return byName.get(name);
  }

  /** Same dtype and rank, and the same dims except a symbolic batch dim, which takes any size. */
  public static void checkType(Node node, NDArray value) {
    Shape expected = node.shape();
    Shape given = value.shape();
    boolean fits = value.dtype() == node.dtype() && given.rank() == expected.rank();
    for (int a = 0; fits && a < expected.rank(); a++) {
      fits = expected.dim(a) == Shape.BATCH || expected.dim(a) == given.dim(a);
    }
    if (!fits) {
      throw new AdjointException("feed for " + node.describe() + " expects " + node.type() + ", got " + value.type());
    }
  }
}
