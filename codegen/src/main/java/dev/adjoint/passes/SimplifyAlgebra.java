package dev.adjoint.passes;

import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoublePredicate;

/**
 * Removes algebraic identities: {@code x·1}, {@code 1·x}, {@code x+0}, {@code 0+x}, {@code x−0},
 * {@code x/1}, {@code x^1}, {@code −(−x)}; a transpose of a transpose becomes one transpose (none if
 * the permutations cancel), a reshape of a reshape one reshape; a reshape, broadcast, transpose or
 * cast that changes nothing disappears; a select whose condition is a constant, all true or all
 * false, becomes the branch it picks.
 *
 * <p>An identity applies only when the operand it leaves has the node's type: with broadcasting,
 * {@code x + 0} for {@code x : [2,1]} and {@code 0 : [3]} is {@code [2,3]}, not {@code x}. The
 * rewrites are exact but for one, which follows XLA and every ML compiler in treating signed zeros
 * as equal: {@code x + 0} leaves {@code x = −0} as {@code −0} where IEEE arithmetic gives {@code +0}.
 * The two compare equal; only a division by that zero tells them apart ({@code ±∞}). Subtraction
 * is simplified only for {@code +0}, where it is exact ({@code x − (−0)} is {@code x + 0}).
 */
public final class SimplifyAlgebra implements Pass {

  @Override
  public String name() {
    return "simplify-algebra";
  }

  @Override
  public Graph run(Graph graph) {
    return GraphRewriter.rewrite(graph, SimplifyAlgebra::simplify);
  }

  private static Node simplify(Node node, GraphRewriter rewriter) {
    return switch (node.op()) {
      case Op.Binary b -> binary(node, b.fn(), rewriter);
      case Op.Unary u when u.fn() == Op.UnaryFn.NEG -> doubleNegation(node, rewriter);
      case Op.Transpose t -> transpose(node, t, rewriter);
      case Op.Reshape r -> reshape(node, r, rewriter);
      case Op.Broadcast _, Op.Cast _ -> sameType(node, rewriter.input(node, 0), rewriter);
      case Op.Select _ -> select(node, rewriter);
      case Op.Input _, Op.Parameter _, Op.State _, Op.Constant _, Op.Unary _, Op.Compare _, Op.StopGradient _,
          Op.Reduce _, Op.SizeOf _, Op.Slice _, Op.Pad _, Op.Concat _, Op.MatMul _, Op.OneHot _, Op.Softmax _,
          Op.LogSoftmax _, Op.SoftmaxCrossEntropy _, Op.RandomUniform _, Op.Dropout _, Op.CustomVjp _,
          Op.Conv2d _, Op.Conv2dBackwardInput _, Op.Conv2dBackwardFilter _, Op.MaxPool2d _, Op.MaxPool2dBackward _,
          Op.MaxPool2dSelect _, Op.AvgPool2d _, Op.AvgPool2dBackward _, Op.BatchNormTraining _,
          Op.BatchNormInference _, Op.LayerNorm _ -> rewriter.keep(node);
    };
  }

  /** {@code candidate} if it has the type of {@code node}, else {@code node} kept. */
  private static Node sameType(Node node, Node candidate, GraphRewriter rewriter) {
    return candidate.type().equals(node.type()) ? candidate : rewriter.keep(node);
  }

  private static Node binary(Node node, Op.BinaryFn fn, GraphRewriter rewriter) {
    Node left = rewriter.input(node, 0);
    Node right = rewriter.input(node, 1);
    boolean rightIsIdentity = switch (fn) {
      case ADD -> isConstant(right, v -> v == 0);
      case SUB -> isConstant(right, v -> Double.compare(v, 0.0) == 0); // +0 only: exact
      case MUL, DIV, POW -> isConstant(right, v -> v == 1);
      case MAX, MIN -> false;
    };
    boolean leftIsIdentity = switch (fn) {
      case ADD -> isConstant(left, v -> v == 0);
      case MUL -> isConstant(left, v -> v == 1);
      case SUB, DIV, POW, MAX, MIN -> false;
    };
    if (rightIsIdentity && left.type().equals(node.type())) {
      return left;
    }
    if (leftIsIdentity && right.type().equals(node.type())) {
      return right;
    }
    return rewriter.keep(node);
  }

  private static Node doubleNegation(Node node, GraphRewriter rewriter) {
    Node operand = rewriter.input(node, 0);
    return operand.op() instanceof Op.Unary u && u.fn() == Op.UnaryFn.NEG
        ? operand.input(0)
        : rewriter.keep(node);
  }

  /** Composes with a transpose below; the identity permutation leaves the operand. */
  private static Node transpose(Node node, Op.Transpose outer, GraphRewriter rewriter) {
    Node operand = rewriter.input(node, 0);
    if (!(operand.op() instanceof Op.Transpose inner)) {
      return isIdentity(outer.permutation()) ? operand : rewriter.keep(node);
    }
    // Result axis i is the inner result's axis outer[i], which is the source's axis inner[outer[i]].
    List<Integer> composed = new ArrayList<>();
    for (int axis : outer.permutation()) {
      composed.add(inner.permutation().get(axis));
    }
    Node source = operand.input(0);
    return isIdentity(composed) ? source : rewriter.replace(node, new Op.Transpose(composed), List.of(source));
  }

  /** Reshapes the source of a reshape below directly; a reshape to the operand's own shape goes. */
  private static Node reshape(Node node, Op.Reshape reshape, GraphRewriter rewriter) {
    Node operand = rewriter.input(node, 0);
    Node source = operand.op() instanceof Op.Reshape ? operand.input(0) : operand;
    if (source.type().equals(node.type())) {
      return source;
    }
    return source == operand ? rewriter.keep(node) : rewriter.replace(node, reshape, List.of(source));
  }

  private static Node select(Node node, GraphRewriter rewriter) {
    Node condition = rewriter.input(node, 0);
    if (isConstant(condition, v -> v != 0)) {
      return sameType(node, rewriter.input(node, 1), rewriter);
    }
    if (isConstant(condition, v -> v == 0)) {
      return sameType(node, rewriter.input(node, 2), rewriter);
    }
    return rewriter.keep(node);
  }

  /** Whether {@code node} is a constant and every element satisfies {@code test}. */
  private static boolean isConstant(Node node, DoublePredicate test) {
    if (!(node.op() instanceof Op.Constant c)) {
      return false;
    }
    NDArray value = c.value();
    for (int i = 0; i < value.size(); i++) {
      if (!test.test(value.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIdentity(List<Integer> permutation) {
    for (int i = 0; i < permutation.size(); i++) {
      if (permutation.get(i) != i) {
        return false;
      }
    }
    return true;
  }
}
