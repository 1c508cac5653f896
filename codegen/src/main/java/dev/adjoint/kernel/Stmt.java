package dev.adjoint.kernel;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A statement of a kernel body. */
public sealed interface Stmt {

  /**
   * {@code for var in [0, extent): body}. A {@code parallel} loop's iterations are independent:
   * each writes only elements no other iteration reads or writes, so an emitter may split it among
   * threads (in chunks that do not depend on the thread count) or map it onto a GPU grid.
   */
  record Loop(Var var, Size extent, List<Stmt> body, boolean parallel) implements Stmt {
    public Loop {
      body = List.copyOf(body);
    }

    /** A sequential loop. */
    public Loop(Var var, Size extent, List<Stmt> body) {
      this(var, extent, body, false);
    }
  }

  /** {@code buffer[index] = value}. */
  record Store(Buffer buffer, Index index, Expr value) implements Stmt {
    public Store {
      if (value.dtype() != buffer.dtype()) {
        throw new AdjointException("storing " + value.dtype() + " into " + buffer);
      }
    }
  }

  /** Declares {@code local} and sets it to {@code value}. */
  record Let(Local local, Expr value) implements Stmt {
    public Let {
      if (value.dtype() != local.dtype()) {
        throw new AdjointException("local " + local + " of " + local.dtype() + " set to a " + value.dtype());
      }
    }
  }

  /** How a {@link Reduce} combines. */
  enum Combine {
    SUM, MAX, MIN;

    /** The accumulator type for values of {@code dtype}: sums of floats accumulate in F64, of integers in I64. */
    public DType accumulator(DType dtype) {
      return switch (this) {
        case SUM -> dtype.isFloating() ? DType.F64 : DType.I64;
        case MAX, MIN -> dtype;
      };
    }
  }

  /**
   * Declares {@code target} and folds {@code value} into it over the nested loops {@code vars} ×
   * {@code extents}, in row-major order, starting from the combination's identity. {@code target}
   * has the {@linkplain Combine#accumulator accumulator type} of the value.
   */
  record Reduce(Local target, Combine combine, List<Var> vars, List<Size> extents, Expr value) implements Stmt {
    public Reduce {
      vars = List.copyOf(vars);
      extents = List.copyOf(extents);
      if (vars.size() != extents.size()) {
        throw new AdjointException("a reduction needs one extent per variable");
      }
      if (target.dtype() != combine.accumulator(value.dtype())) {
        throw new AdjointException("reduction target " + target + " of " + target.dtype() + " cannot "
            + combine.name().toLowerCase(java.util.Locale.ROOT) + " " + value.dtype() + " values");
      }
    }
  }

  /**
   * A library kernel with its fused epilogue (bias, normalization, activation, residual add): either
   * {@code perElement}, which the kernel applies itself to each element of its output as it
   * finishes it, while the element is still in cache, or {@code epilogue}, statements that update
   * the output in place after the call. At most one of the two is given.
   */
  record Call(LibraryCall call, List<Stmt> epilogue, @Nullable ElementEpilogue perElement) implements Stmt {
    public Call {
      epilogue = List.copyOf(epilogue);
      if (perElement != null && !epilogue.isEmpty()) {
        throw new AdjointException("a library call has either a per-element epilogue or epilogue statements");
      }
    }

    /** A call whose epilogue, if any, runs after it. */
    public Call(LibraryCall call, List<Stmt> epilogue) {
      this(call, epilogue, null);
    }

    /** Every statement of the epilogue, whichever form it has. */
    public List<Stmt> epilogueStatements() {
      return perElement == null ? epilogue : perElement.body();
    }
  }
}
