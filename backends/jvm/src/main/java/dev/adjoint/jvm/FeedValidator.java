package dev.adjoint.jvm;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.FeedCheck;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Checks feeds against the graph as it was compiled (before any pass) before any buffer is
 * touched: {@link FeedCheck}'s rules, shared with the reference interpreter, plus the batch sizes
 * a training-mode batch norm cannot normalize (the reference finds those while it runs; compiled
 * code must not start).
 */
final class FeedValidator {
  static final int UNBOUND = FeedCheck.UNBOUND;

  private final FeedCheck check;
  private final List<Node> batchNorms = new ArrayList<>();

  FeedValidator(Graph graph) {
    this.check = new FeedCheck(graph);
    for (Node n : graph.nodes()) {
      if (check.needs(n) && n.op() instanceof Op.BatchNormTraining && n.shape().isBatched()) {
        batchNorms.add(n);
      }
    }
  }

  /** Whether the program needs a feed for {@code node} to run. */
  boolean needs(Node node) {
    return check.needs(node);
  }

  Graph graph() {
    return check.graph();
  }

  /**
   * Validates {@code feeds} and binds N.
   *
   * @return the batch size, or {@link #UNBOUND} if no feed is batched
   */
  int validate(Map<String, NDArray> feeds) {
    int batch = check.validate(feeds);
    checkBatch(batch);
    return batch;
  }

  /** The leaf called {@code name}, checked to take feeds. */
  Node leaf(String name) {
    return check.leaf(name);
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
