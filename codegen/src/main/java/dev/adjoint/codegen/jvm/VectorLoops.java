package dev.adjoint.codegen.jvm;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Op;
import dev.adjoint.kernel.Buffer;
import dev.adjoint.kernel.Expr;
import dev.adjoint.kernel.Index;
import dev.adjoint.kernel.Stmt;
import dev.adjoint.kernel.Var;
import dev.adjoint.kernel.Walk;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which innermost loops have a Vector API form. A loop over {@code var} is vectorizable when its
 * body is only stores of F32 (or only F64) values, and of BOOL values computed in that lane type
 * (comparisons of its values: stored as masks), at indices where {@code var} has stride 1, and
 * every value is made of loads that are contiguous in {@code var} (stride 1; a BOOL load is a
 * mask) or do not depend on it (broadcast), and of operations with a vector form. A buffer the loop stores may only be loaded at
 * the index it is stored at, so running {@code L} iterations at once reads what one at a time
 * would. A select whose condition does not vary evaluates only the branch it picks, as the scalar
 * code does (so a guarded load stays guarded); one whose condition varies evaluates both, which
 * the lowering only produces for value comparisons, never for bounds guards. A reduction is vectorizable over its innermost variable on the same terms.
 */
final class VectorLoops {
  private VectorLoops() {}

  /** What a sub-expression becomes in the vector body. */
  enum Form {
    /** Evaluated as a scalar, then broadcast (a value) or turned into an all-or-nothing mask (a BOOL). */
    INVARIANT,
    /** A vector of the lane type. */
    VALUE,
    /** A mask over the lanes. */
    MASK
  }

  /** The lane type of a vectorizable store loop over {@code var} with this body, or null. */
  static @Nullable DType laneType(Var var, List<Stmt> body) {
    if (body.isEmpty()) {
      return null;
    }
    DType lane = null;
    for (Stmt s : body) {
      if (s instanceof Stmt.Store st && st.buffer().dtype().isFloating()) {
        if (lane != null && st.buffer().dtype() != lane) {
          return null;
        }
        lane = st.buffer().dtype();
      }
    }
    // Only masks stored: the lane type is that of the values they compare.
    lane = lane != null ? lane : isMaskLoop(var, body, DType.F32) ? DType.F32 : DType.F64;
    Map<Buffer, Index> stored = new HashMap<>();
    for (Stmt s : body) {
      if (!(s instanceof Stmt.Store st) || st.index().stride(var) != 1 || stored.put(st.buffer(), st.index()) != null) {
        return null;
      }
      boolean vectorForm = st.buffer().dtype() == DType.BOOL
          ? isMask(st.value(), var, lane)
          : st.buffer().dtype() == lane && isValue(st.value(), var, lane);
      if (!vectorForm) {
        return null;
      }
    }
    boolean[] aliased = {false};
    for (Stmt s : body) {
      Walk.expression(((Stmt.Store) s).value(), e -> {
        if (e instanceof Expr.Load l && stored.containsKey(l.buffer()) && !stored.get(l.buffer()).equals(l.index())) {
          aliased[0] = true;
        }
      });
    }
    return aliased[0] ? null : lane;
  }

  /** Whether every store in {@code body} is a BOOL one whose value is a mask over {@code lane}. */
  private static boolean isMaskLoop(Var var, List<Stmt> body, DType lane) {
    return body.stream().allMatch(s -> s instanceof Stmt.Store st && st.buffer().dtype() == DType.BOOL
        && isMask(st.value(), var, lane));
  }

  /** The lane type of a reduction whose innermost loop is vectorizable, or null. */
  static @Nullable DType laneType(Stmt.Reduce r) {
    DType lane = r.value().dtype();
    if (!lane.isFloating() || r.vars().isEmpty()) {
      return null;
    }
    return form(r.value(), r.vars().getLast(), lane) == Form.VALUE ? lane : null;
  }

  /** The form of {@code e} in a vector loop over {@code var} with lanes of {@code lane}, or null if it has none. */
  static @Nullable Form form(Expr e, Var var, DType lane) {
    if (!dependsOn(e, var)) {
      return e.dtype() == lane || e.dtype() == DType.BOOL ? Form.INVARIANT : null;
    }
    return switch (e) {
      case Expr.Load l -> l.index().stride(var) != 1 ? null
          : l.dtype() == lane ? Form.VALUE
          : l.dtype() == DType.BOOL ? Form.MASK
          : null;
      case Expr.Unary u -> u.dtype() == lane && hasVectorForm(u.fn()) && isValue(u.operand(), var, lane)
          ? Form.VALUE : null;
      case Expr.Binary b -> b.dtype() == lane && b.fn() != Op.BinaryFn.POW
          && isValue(b.left(), var, lane) && isValue(b.right(), var, lane) ? Form.VALUE : null;
      case Expr.Compare c -> c.left().dtype() == lane && isValue(c.left(), var, lane) && isValue(c.right(), var, lane)
          ? Form.MASK : null;
      case Expr.Select s -> s.dtype() == lane && isMask(s.condition(), var, lane) && isValue(s.ifTrue(), var, lane)
          && isValue(s.ifFalse(), var, lane) ? Form.VALUE : null;
      // Both sides vary: a conjunction with an invariant side is a guard, evaluated by the scalar code.
      case Expr.And a -> form(a.left(), var, lane) == Form.MASK && form(a.right(), var, lane) == Form.MASK
          ? Form.MASK : null;
      case Expr.Const _, Expr.IndexValue _, Expr.BatchSize _, Expr.LocalRef _, Expr.Cast _, Expr.Uniform _,
          Expr.Checked _ -> null;
    };
  }

  static boolean hasVectorForm(Op.UnaryFn fn) {
    return switch (fn) {
      case NEG, ABS, SIGN, RELU, RECIPROCAL, SQRT, EXP, EXPM1, LOG, TANH, SIGMOID -> true;
      case LOG1P, ERF -> false;
    };
  }

  private static boolean isValue(Expr e, Var var, DType lane) {
    Form f = form(e, var, lane);
    return f == Form.VALUE || (f == Form.INVARIANT && e.dtype() == lane);
  }

  private static boolean isMask(Expr e, Var var, DType lane) {
    Form f = form(e, var, lane);
    return f == Form.MASK || (f == Form.INVARIANT && e.dtype() == DType.BOOL);
  }

  /** Whether {@code e} reads {@code var}: a load or an index value with a term in it. */
  static boolean dependsOn(Expr e, Var var) {
    boolean[] depends = {false};
    Walk.expression(e, x -> {
      if ((x instanceof Expr.Load l && l.index().stride(var) != 0)
          || (x instanceof Expr.IndexValue iv && iv.index().stride(var) != 0)) {
        depends[0] = true;
      }
    });
    return depends[0];
  }
}
