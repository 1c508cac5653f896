package dev.adjoint.passes;

import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Common-subexpression elimination: a node with the same op (equal attributes, constants with equal
 * values) and the same inputs as an earlier node is replaced by that node. Random ops merge too:
 * randomness is counter-based, so equal seed, key and step draw equal bits. Inputs, parameters and
 * states never merge: two of them are two different feeds even when their types agree.
 */
public final class EliminateCommonSubexpressions implements Pass {

  /** What makes two nodes compute the same value: the op record and the inputs' stand-ins. */
  private record Expression(Op op, List<Node> inputs) {}

  @Override
  public String name() {
    return "eliminate-common-subexpressions";
  }

  @Override
  public Graph run(Graph graph) {
    Map<Expression, Node> first = new HashMap<>();
    return GraphRewriter.rewrite(graph, (node, rewriter) -> {
      if (Leaves.isFed(node)) {
        return rewriter.keep(node);
      }
      Expression expression = new Expression(node.op(), rewriter.inputs(node));
      Node earlier = first.get(expression);
      if (earlier != null) {
        return earlier;
      }
      Node kept = rewriter.keep(node);
      first.put(expression, kept);
      return kept;
    });
  }
}
