package dev.adjoint.reference;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the values fed to a graph before anything is evaluated, and binds the symbolic batch
 * size N from the batched feeds.
 */
final class Feeds {
  /** The batch size when no feed is batched. */
  static final int UNBOUND = 0;

  private Feeds() {}

  /**
   * Validates {@code feeds} against {@code graph}: every name must be an input, parameter or state
   * of the graph; every node in {@code needed} of those kinds must be fed; every feed must have the
   * node's dtype and shape, with N bound to one size (at least 1) across all batched feeds.
   *
   * @return the bound batch size, or {@link #UNBOUND} if no feed is batched
   */
  static int validate(Graph graph, Set<Node> needed, Map<String, NDArray> feeds) {
    Map<String, Node> byName = new HashMap<>();
    for (Node node : graph.nodes()) {
      byName.put(node.name(), node);
    }
    List<Node> leaves = graph.nodes().stream().filter(Feeds::takesFeed).toList();
    for (String name : feeds.keySet().stream().sorted().toList()) {
      Node node = byName.get(name);
      if (node == null) {
        throw new AdjointException(
            "feed '" + name + "' names no node of graph '" + graph.name() + "'; it takes feeds for: "
                + leaves.stream().map(Node::name).collect(Collectors.joining(", ")));
      }
      if (!takesFeed(node)) {
        throw new AdjointException(
            "feed '" + name + "' names " + node.describe()
                + ", which the graph computes; only inputs, parameters and states take feeds");
      }
    }
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
              "feed for " + node.describe() + " expects " + node.type() + " with N >= 1, got "
                  + value.type());
        }
        if (batchSource == null) {
          batch = size;
          batchSource = node;
        } else if (size != batch) {
          throw new AdjointException(
              "feed for " + node.describe() + " expects " + node.type() + " with N = " + batch
                  + " (bound by the feed for " + batchSource.describe() + "), got " + value.type());
        }
      }
    }
    return batch;
  }

  private static boolean takesFeed(Node node) {
    return node.op() instanceof Op.Input || node.op() instanceof Op.Parameter || node.op() instanceof Op.State;
  }

  /** Same dtype and rank, and the same dims except a symbolic batch dim, which takes any size. */
  private static void checkType(Node node, NDArray value) {
    Shape expected = node.shape();
    Shape given = value.shape();
    boolean fits = value.dtype() == node.dtype() && given.rank() == expected.rank();
    for (int a = 0; fits && a < expected.rank(); a++) {
      fits = expected.dim(a) == Shape.BATCH || expected.dim(a) == given.dim(a);
    }
    if (!fits) {
      throw new AdjointException(
          "feed for " + node.describe() + " expects " + node.type() + ", got " + value.type());
    }
  }
}
