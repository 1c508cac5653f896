package dev.adjoint.kernel;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Op;
import java.util.Locale;

/**
 * A scalar expression of a kernel, evaluated once per iteration of the loops around it. Every
 * expression has a dtype; arithmetic happens in that dtype, as the reference interpreter rounds at
 * every op: an F32 sum of F32 operands is an F32 sum. Integer arithmetic wraps. {@link Select} and
 * {@link And} evaluate only the operand they pick, so a guarded load never reads out of bounds.
 */
public sealed interface Expr {

  DType dtype();

  /** A literal, rounded to its dtype. */
  record Const(DType dtype, double value) implements Expr {
    public Const {
      value = dtype.round(value);
    }

    @Override
    public String toString() {
      return switch (dtype) {
        case F32, F64 -> value == Math.rint(value) && Math.abs(value) < 1e15 ? (long) value + ".0" : Double.toString(value);
        case I32, I64 -> Long.toString((long) value);
        case BOOL -> value != 0 ? "true" : "false";
      } + (dtype == DType.F64 || dtype == DType.BOOL ? "" : dtype.text());
    }
  }

  /** The element of {@code buffer} at {@code index}. */
  record Load(Buffer buffer, Index index) implements Expr {
    @Override
    public DType dtype() {
      return buffer.dtype();
    }

    @Override
    public String toString() {
      return buffer.ref() + "[" + index + "]";
    }
  }

  /** The value of an index, as an I32: a position (one-hot, random streams, bounds checks). */
  record IndexValue(Index index) implements Expr {
    @Override
    public DType dtype() {
      return DType.I32;
    }

    @Override
    public String toString() {
      return "(" + index + ")";
    }
  }

  /** The batch size N of the run, as an I32. */
  record BatchSize() implements Expr {
    @Override
    public DType dtype() {
      return DType.I32;
    }

    @Override
    public String toString() {
      return "N";
    }
  }

  record LocalRef(Local local) implements Expr {
    @Override
    public DType dtype() {
      return local.dtype();
    }

    @Override
    public String toString() {
      return local.toString();
    }
  }

  record Unary(Op.UnaryFn fn, Expr operand) implements Expr {
    @Override
    public DType dtype() {
      return operand.dtype();
    }

    @Override
    public String toString() {
      return fn.text() + "(" + operand + ")";
    }
  }

  record Binary(Op.BinaryFn fn, Expr left, Expr right) implements Expr {
    public Binary {
      sameDType(left, right, fn.text());
    }

    @Override
    public DType dtype() {
      return left.dtype();
    }

    @Override
    public String toString() {
      return switch (fn) {
        case ADD -> "(" + left + " + " + right + ")";
        case SUB -> "(" + left + " - " + right + ")";
        case MUL -> "(" + left + " * " + right + ")";
        case DIV -> "(" + left + " / " + right + ")";
        case POW, MAX, MIN -> fn.text() + "(" + left + ", " + right + ")";
      };
    }
  }

  /** A BOOL: the comparison of two operands of one dtype (false whenever a NaN is involved, except NE). */
  record Compare(Op.CompareFn fn, Expr left, Expr right) implements Expr {
    public Compare {
      sameDType(left, right, fn.text());
    }

    @Override
    public DType dtype() {
      return DType.BOOL;
    }

    @Override
    public String toString() {
      String symbol = switch (fn) {
        case EQ -> "==";
        case NE -> "!=";
        case LT -> "<";
        case LE -> "<=";
        case GT -> ">";
        case GE -> ">=";
      };
      return "(" + left + " " + symbol + " " + right + ")";
    }
  }

  /** {@code condition ? ifTrue : ifFalse}, evaluating only the chosen branch. */
  record Select(Expr condition, Expr ifTrue, Expr ifFalse) implements Expr {
    public Select {
      bool(condition, "select");
      sameDType(ifTrue, ifFalse, "select");
    }

    @Override
    public DType dtype() {
      return ifTrue.dtype();
    }

    @Override
    public String toString() {
      return "(" + condition + " ? " + ifTrue + " : " + ifFalse + ")";
    }
  }

  /** Short-circuit conjunction of two BOOLs. */
  record And(Expr left, Expr right) implements Expr {
    public And {
      bool(left, "and");
      bool(right, "and");
    }

    @Override
    public DType dtype() {
      return DType.BOOL;
    }

    @Override
    public String toString() {
      return "(" + left + " && " + right + ")";
    }
  }

  /**
   * A conversion with the reference's semantics: floating to integer truncates toward zero and
   * saturates (NaN gives 0), integer to a narrower integer wraps, anything to BOOL is {@code != 0}.
   */
  record Cast(DType to, Expr operand) implements Expr {
    @Override
    public DType dtype() {
      return to;
    }

    @Override
    public String toString() {
      return to.text() + "(" + operand + ")";
    }
  }

  /**
   * The Philox uniform draw {@code uniform(seed, step, key, index)} in [0, 1) as {@code dtype}:
   * {@code step} is an integer expression, {@code index} an I32 element position.
   */
  record Uniform(long seed, long key, Expr step, Expr index, DType dtype) implements Expr {
    public Uniform {
      if (!step.dtype().isInteger() || index.dtype() != DType.I32 || !dtype.isFloating()) {
        throw new AdjointException("uniform needs an integer step, an i32 index and a floating dtype, got "
            + step.dtype() + ", " + index.dtype() + ", " + dtype);
      }
    }

    @Override
    public String toString() {
      return "uniform_" + dtype.text() + "(seed " + seed + ", key " + key + ", step " + step + ", " + index + ")";
    }
  }

  /**
   * {@code value}, after checking {@code condition}: if it is false the kernel stops with {@code
   * failure}, reporting {@code first} and {@code second} (integer expressions).
   */
  record Checked(Expr value, Expr condition, Failure failure, Expr first, Expr second) implements Expr {
    public Checked {
      bool(condition, "checked");
      if (!first.dtype().isInteger() || !second.dtype().isInteger()) {
        throw new AdjointException("a failure reports integers, got " + first.dtype() + " and " + second.dtype());
      }
    }

    @Override
    public DType dtype() {
      return value.dtype();
    }

    @Override
    public String toString() {
      String kind = failure.getClass().getSimpleName();
      return "check(" + condition + ", " + kind.substring(0, 1).toLowerCase(Locale.ROOT) + kind.substring(1) + ") "
          + value;
    }
  }

  private static void sameDType(Expr left, Expr right, String what) {
    if (left.dtype() != right.dtype()) {
      throw new AdjointException(what + " needs operands of one dtype, got " + left.dtype() + " and " + right.dtype());
    }
  }

  private static void bool(Expr condition, String what) {
    if (condition.dtype() != DType.BOOL) {
      throw new AdjointException(what + " needs a bool condition, got " + condition.dtype());
    }
  }
}
