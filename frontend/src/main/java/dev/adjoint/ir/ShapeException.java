package dev.adjoint.ir;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A node's operands do not fit its op: wrong shapes, dtypes, axes or attributes. Raised while the
 * graph is built; the message names the node, the op and every operand type.
 */
public final class ShapeException extends AdjointException {
  private final String node;
  private final String op;
  private final List<TensorType> operands;
  private final String reason;

  public ShapeException(String node, String op, List<TensorType> operands, String reason) {
    super(format(node, op, operands, reason));
    this.node = node;
    this.op = op;
    this.operands = List.copyOf(operands);
    this.reason = reason;
  }

  private static String format(String node, String op, List<TensorType> operands, String reason) {
    String types = operands.stream().map(TensorType::toString).collect(Collectors.joining(", "));
    return "node '" + node + "' (op " + op + "): " + reason + "; operands: (" + types + ")";
  }

  public String node() {
    return node;
  }

  public String op() {
    return op;
  }

  public List<TensorType> operands() {
    return operands;
  }

  /** The reason alone, without node and operands. */
  public String reason() {
    return reason;
  }
}
