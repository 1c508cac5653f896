package dev.adjoint.text;

import dev.adjoint.ir.AdjointException;
import org.jspecify.annotations.Nullable;

/**
 * The IR text could not be read. The message gives the position, the reason, the offending line
 * and a caret under the column:
 *
 * <pre>
 * line 4, column 21: expected ',' or ')' after operand 'x', found ':'
 *   mm = matmul(w1, x : f32[N,128]
 *                     ^
 * </pre>
 */
public final class IrSyntaxException extends AdjointException {
  private final int line;
  private final int column;
  private final String reason;

  IrSyntaxException(int line, int column, String sourceLine, String reason, @Nullable Throwable cause) {
    super(format(line, column, sourceLine, reason), cause);
    this.line = line;
    this.column = column;
    this.reason = reason;
  }

  private static String format(int line, int column, String sourceLine, String reason) {
    StringBuilder caret = new StringBuilder();
    for (int i = 0; i < column - 1 && i < sourceLine.length(); i++) {
      caret.append(sourceLine.charAt(i) == '\t' ? '\t' : ' '); // keeps the caret aligned under tabs
    }
    return "line " + line + ", column " + column + ": " + reason + "\n" + sourceLine + "\n" + caret + "^";
  }

  /** 1-based line of the error. */
  public int line() {
    return line;
  }

  /** 1-based column of the error (characters, a tab counts as one). */
  public int column() {
    return column;
  }

  /** The reason alone, without position and source line. */
  public String reason() {
    return reason;
  }
}
