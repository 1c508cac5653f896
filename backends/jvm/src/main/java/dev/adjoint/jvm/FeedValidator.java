package dev.adjoint.jvm;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks feeds against the graph as it was compiled (before any pass), with the reference
 * interpreter's rules and wording, before any buffer is touched: names, dtypes, shapes, one batch
 * size N of at least 1, and the batch sizes a training-mode batch norm cannot normalize.
 */
final class FeedValidator {
  /** The batch size when no feed is batched. */
  static final int UNBOUND = 0;

  private final Graph graph;
  private final Map<String, Node> byName = new HashMap<>();
  private final List<Node> leaves;
  private final Set<Node> needed;
  private final List<Node> batchNorms = new ArrayList<>();

  FeedValidator(Graph graph) {
    this.graph = graph;
    for (Node n : graph.nodes()) {
      byName.put(n.name(), n);
    }
    this.leaves = graph.nodes().stream().filter(FeedValidator::takesFeed).toList();
    this.needed = dependencies(graph);
    for (Node n : graph.nodes()) {
      if (needed.contains(n) && n.op() instanceof Op.BatchNormTraining && n.shape().isBatched()) {
        batchNorms.add(n);
      }
    }
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

  static boolean takesFeed(Node node) {
    return node.op() instanceof Op.Input || node.op() instanceof Op.Parameter || node.op() instanceof Op.State;
  }

  /** Whether the program needs a feed for {@code node} to run. */
  boolean needs(Node node) {
    return needed.contains(node);
  }

  Graph graph() {
    return graph;
  }

  /**
   * Validates {@code feeds} and binds N.
   *
   * @return the batch size, or {@link #UNBOUND} if no feed is batched
   */
  int validate(Map<String, NDArray> feeds) {
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
    checkBatch(batch);
    return batch;
  }

  /** Every name must be an input, parameter or state of the graph. */
  void checkNames(Set<String> names) {
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
  Node leaf(String name) {
    checkNames(Set.of(name));
    return byName.get(name);
  }

  /** Same dtype and rank, and the same dims except a symbolic batch dim, which takes any size. */
  static void checkType(Node node, NDArray value) {
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

  /** A training-mode batch norm needs more than one value per channel for the bound N. */
  void checkBatch(int batch) {
    for (Node bn : batchNorms) {
      Shape x = bn.input(0).shape();
      long spatial = x.rank() == 4 ? (long) x.dim(2) * x.dim(3) : 1;
      long count = spatial * batch;
      if (batch != UNBOUND && count <= 1) {
        String operands = bn.inputs().stream().map(n -> n.type().withShape(n.shape().resolve(batch)).toString())
            .collect(Collectors.joining(", "));
        throw new AdjointException("node " + bn.describe() + ": batch norm in training mode needs more than one value "
            + "per channel, got " + count + " for input " + x.resolve(batch) + "; operands: (" + operands + ")");
      }
    }
  }
}
