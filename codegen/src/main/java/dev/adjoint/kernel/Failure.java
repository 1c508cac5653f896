package dev.adjoint.kernel;

import dev.adjoint.ir.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * A run-time error a kernel can raise (see {@link Expr.Checked}). Generated code reports only the
 * failure and two numbers; the message, in the reference interpreter's wording, is rendered here
 * with the batch size of the run.
 */
public sealed interface Failure {

  /** The error message for the reported {@code first} and {@code second} values. */
  String message(long first, long second, int batch);

  /**
   * A label outside {@code [0, depth)}; the values are the label's flat position in the labels and
   * the label.
   *
   * @param node the node's description ({@code 'one_hot' (one_hot)})
   * @param labels the labels' shape (N resolved when rendered)
   * @param operands the operand types as the reference prints them, N unresolved
   */
  record LabelOutOfRange(String node, Shape labels, int depth, List<String> operands) implements Failure {
    public LabelOutOfRange {
      operands = List.copyOf(operands);
    }

    @Override
    public String message(long position, long label, int batch) {
      int[] dims = labels.resolve(batch).dims();
      int[] at = unravel(position, dims);
      String where = switch (at.length) {
        case 0 -> "the label is ";
        case 1 -> "row " + at[0] + " has label ";
        default -> "position " + Arrays.toString(at) + " has label ";
      };
      return "node " + node + ": " + where + label + ", expected 0.." + (depth - 1) + operandText(operands, batch);
    }
  }

  /**
   * An integer division by zero; the values are the result's flat position and the dividend.
   *
   * @param shape the result's shape (N resolved when rendered)
   */
  record DivisionByZero(String node, Shape shape, List<String> operands) implements Failure {
    public DivisionByZero {
      operands = List.copyOf(operands);
    }

    @Override
    public String message(long position, long dividend, int batch) {
      int[] at = unravel(position, shape.resolve(batch).dims());
      return "node " + node + ": integer division by zero at position " + Arrays.toString(at) + " (" + dividend
          + " / 0)" + operandText(operands, batch);
    }
  }

  private static String operandText(List<String> operands, int batch) {
    List<String> resolved = operands.stream().map(t -> t.replace("[N", "[" + batch)).toList();
    return "; operands: (" + String.join(", ", resolved) + ")";
  }

  private static int[] unravel(long flat, int[] dims) {
    int[] index = new int[dims.length];
    for (int a = dims.length - 1; a >= 0; a--) {
      index[a] = (int) (flat % dims[a]);
      flat /= dims[a];
    }
    return index;
  }
}
