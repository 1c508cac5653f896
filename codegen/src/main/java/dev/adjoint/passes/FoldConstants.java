package dev.adjoint.passes;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Replaces a node whose operands are all constants by a constant holding its value, computed by an
 * {@link Evaluator} on a graph of just that node and its operands. Random ops fold like any other:
 * with a constant step they are pure functions. A {@code size_of} folds whenever the axes it counts
 * have static sizes, whatever its operand, since it reads only the shape.
 *
 * <p>A node is left alone when its value would have more than {@code maxElements} elements (so
 * folding never bloats a graph: a broadcast of a scalar stays a broadcast), when its shape has the
 * symbolic batch, or when evaluating it fails (an integer division by zero, a label out of range):
 * such an error belongs to run time, and only if the node is used.
 */
public final class FoldConstants implements Pass {
  /** The default largest constant a fold may create. */
  public static final int DEFAULT_MAX_ELEMENTS = 4096;

  private final Evaluator evaluator;
  private final int maxElements;

  public FoldConstants(Evaluator evaluator) {
    this(evaluator, DEFAULT_MAX_ELEMENTS);
  }

  public FoldConstants(Evaluator evaluator, int maxElements) {
    if (maxElements < 1) {
      throw new AdjointException("fold-constants needs maxElements >= 1, got " + maxElements);
    }
    this.evaluator = evaluator;
    this.maxElements = maxElements;
  }

  @Override
  public String name() {
    return "fold-constants";
  }

  @Override
  public Graph run(Graph graph) {
    return GraphRewriter.rewrite(graph, (node, rewriter) -> {
      List<Node> operands = rewriter.inputs(node);
      return value(node, operands)
          .map(value -> rewriter.replace(node, new Op.Constant(value), List.of()))
          .orElseGet(() -> rewriter.keep(node));
    });
  }

  /** The value of {@code node} if it folds; {@code operands} are its inputs in the new graph. */
  private Optional<NDArray> value(Node node, List<Node> operands) {
    Shape shape = node.shape();
    if (operands.isEmpty() || shape.isBatched() || shape.size() > maxElements) {
      return Optional.empty();
    }
    if (node.op() instanceof Op.SizeOf s) {
      return sizeOf(s, operands.getFirst().shape());
    }
    if (!operands.stream().allMatch(o -> o.op() instanceof Op.Constant)) {
      return Optional.empty();
    }
    List<Node> nodes = new ArrayList<>();
    for (Node o : operands) {
      if (!nodes.contains(o)) {
        nodes.add(o);
      }
    }
    Node alone = Node.create(nodes.size(), node.name(), node.op(), operands);
    nodes.add(alone);
    NDArray value;
    try {
      value = evaluator.run(new Graph(node.name(), nodes, List.of(alone)), Map.of()).getFirst();
    } catch (AdjointException e) {
      return Optional.empty();
    }
    if (!value.type().equals(node.type())) {
      throw new AdjointException("fold-constants: the evaluator gave " + value.type() + " for " + node.describe()
          + ", which has type " + node.type());
    }
    return Optional.of(value);
  }

  /** The product of the counted dims, unless one is the symbolic batch. */
  private static Optional<NDArray> sizeOf(Op.SizeOf s, Shape operand) {
    double size = 1;
    for (int axis : s.axes()) {
      if (operand.dim(axis) == Shape.BATCH) {
        return Optional.empty();
      }
      size *= operand.dim(axis);
    }
    return Optional.of(NDArray.scalar(s.dtype(), size));
  }
}
