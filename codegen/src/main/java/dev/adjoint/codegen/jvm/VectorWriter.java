package dev.adjoint.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Op;
import dev.adjoint.kernel.Expr;
import dev.adjoint.kernel.Stmt;
import dev.adjoint.kernel.Var;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * Writes the Vector API form of the loops {@link VectorLoops} accepts: a main loop that handles
 * {@code L} iterations at a time ({@code L} the preferred species' length, read from the static
 * final {@code SPECIES_PREFERRED}, a JIT constant), then the scalar loop for the remaining ones.
 * Which iterations take the vector path depends only on the loop's bounds, and parallel loops are
 * cut into chunks whose size is a multiple of every lane count, so an element is computed the same
 * way for any thread count. Vectors live on the operand stack and in locals as {@code FloatVector},
 * {@code DoubleVector} and {@code VectorMask} references.
 */
final class VectorWriter {
  /** A multiple of every species' lane count: chunks of vectorized parallel loops are multiples of it. */
  static final int ALIGNMENT = 64;

  private static final String PACKAGE = "jdk/incubator/vector/";
  private static final String SPECIES = "L" + PACKAGE + "VectorSpecies;";
  private static final String VECTOR = "L" + PACKAGE + "Vector;";
  private static final String MASK = "L" + PACKAGE + "VectorMask;";
  private static final String OPERATORS = PACKAGE + "VectorOperators";
  private static final String VECTOR_MATH = "dev/adjoint/runtime/ops/VectorMath";
  private static final String MATH = "java/lang/Math";
  /**
   * Vector accumulators of a max or min reduction, each taking every fourth vector: one step of
   * Java's max takes about 13 cycles, so a single accumulator ran a row max at a quarter of the
   * loads' speed. Max and min give the same bits in any order, a sum would not.
   */
  private static final int ORDER_FREE_ACCUMULATORS = 4;

  private final KernelWriter scalar;
  private final MethodVisitor mv;

  VectorWriter(KernelWriter scalar, MethodVisitor mv) {
    this.scalar = scalar;
    this.mv = mv;
  }

  /**
   * {@code for (var = begin; var < end; var++) body} with the vector main loop: {@code body}'s
   * stores, whose lanes are {@code lane}, run on vectors while a whole vector fits.
   */
  void storeLoop(Var var, int begin, int end, List<Stmt> body, DType lane) {
    int varSlot = scalar.bindVar(var);
    mv.visitVarInsn(ILOAD, begin);
    mv.visitVarInsn(ISTORE, varSlot);
    mainLoop(lane, varSlot, begin, end, 1, part -> {
      for (Stmt s : body) {
        Stmt.Store st = (Stmt.Store) s;
        if (st.buffer().dtype() == DType.BOOL) {
          mask(st.value(), var, lane);
          mv.visitVarInsn(ALOAD, KernelWriter.arena(DType.BOOL));
          scalar.index(st.index(), st.buffer());
          mv.visitMethodInsn(INVOKEVIRTUAL, PACKAGE + "VectorMask", "intoArray", "([ZI)V", false);
          continue;
        }
        value(st.value(), var, lane);
        mv.visitVarInsn(ALOAD, KernelWriter.arena(lane));
        scalar.index(st.index(), st.buffer());
        mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "intoArray", "([" + KernelWriter.jvm(lane) + "I)V", false);
      }
    });
    scalar.tail(varSlot, end, () -> scalar.statements(body));
  }

  /**
   * A reduction whose innermost loop runs on vectors: vector accumulators (two for an F32 sum,
   * which accumulates in F64; {@link #ORDER_FREE_ACCUMULATORS} for max and min) take the vector
   * iterations, the scalar accumulator the rest; after the loops the vector accumulators are
   * folded lane by lane in a fixed order into the scalar one.
   *
   * @param target the accumulator's slot, already holding the identity
   * @param fold folds the value at the current iteration into the scalar accumulator
   */
  void reduce(Stmt.Reduce r, int target, DType lane, Runnable fold) {
    DType acc = r.target().dtype();
    boolean sum = r.combine() == Stmt.Combine.SUM;
    boolean widened = sum && lane == DType.F32;
    DType vectorType = sum ? DType.F64 : lane;
    int[] accumulators = new int[widened ? 2 : sum ? 1 : ORDER_FREE_ACCUMULATORS];
    for (int i = 0; i < accumulators.length; i++) {
      accumulators[i] = scalar.newSlot();
      species(vectorType);
      scalar.constant(vectorType, identity(r.combine()));
      mv.visitMethodInsn(INVOKESTATIC, type(vectorType), "broadcast",
          "(" + SPECIES + KernelWriter.jvm(vectorType) + ")L" + type(vectorType) + ";", false);
      mv.visitVarInsn(ASTORE, accumulators[i]);
    }
    int values = widened ? scalar.newSlot() : -1;
    Var inner = r.vars().getLast();
    scalar.nestedAround(r.vars().subList(0, r.vars().size() - 1), r.extents().subList(0, r.vars().size() - 1), () -> {
      int begin = scalar.newSlot();
      mv.visitInsn(ICONST_0);
      mv.visitVarInsn(ISTORE, begin);
      int end = scalar.newSlot();
      scalar.size(r.extents().getLast());
      mv.visitVarInsn(ISTORE, end);
      int varSlot = scalar.bindVar(inner);
      mv.visitVarInsn(ILOAD, begin);
      mv.visitVarInsn(ISTORE, varSlot);
      if (widened) {
        mainLoop(lane, varSlot, begin, end, 1, step -> {
          value(r.value(), inner, lane);
          mv.visitVarInsn(ASTORE, values);
          for (int part = 0; part < 2; part++) {
            mv.visitVarInsn(ALOAD, accumulators[part]);
            mv.visitVarInsn(ALOAD, values);
            scalar.pushInt(part);
            mv.visitMethodInsn(INVOKESTATIC, VECTOR_MATH, "widen",
                "(L" + type(DType.F32) + ";I)L" + type(DType.F64) + ";", false);
            combine(r.combine(), DType.F64);
            mv.visitVarInsn(ASTORE, accumulators[part]);
          }
        });
      } else {
        // Whole groups of vectors, one per accumulator, then the whole vectors left into the first.
        mainLoop(lane, varSlot, begin, end, accumulators.length,
            part -> accumulate(r, inner, lane, accumulators[part]));
        if (accumulators.length > 1) {
          int rest = scalar.newSlot();
          mv.visitVarInsn(ILOAD, varSlot);
          mv.visitVarInsn(ISTORE, rest);
          mainLoop(lane, varSlot, rest, end, 1, part -> accumulate(r, inner, lane, accumulators[0]));
        }
      }
      scalar.tail(varSlot, end, fold);
    });
    mv.visitVarInsn(KernelWriter.load(acc), target);
    mv.visitVarInsn(ALOAD, accumulators[0]);
    for (int i = 1; i < accumulators.length; i++) {
      mv.visitVarInsn(ALOAD, accumulators[i]);
      combine(r.combine(), vectorType);
    }
    String name = switch (r.combine()) {
      case SUM -> "sum";
      case MAX -> "max";
      case MIN -> "min";
    };
    String scalarType = KernelWriter.jvm(acc);
    mv.visitMethodInsn(INVOKESTATIC, VECTOR_MATH, name, "(L" + type(vectorType) + ";)" + scalarType, false);
    if (sum) {
      mv.visitInsn(DADD);
    } else {
      mv.visitMethodInsn(INVOKESTATIC, MATH, name, "(" + scalarType + scalarType + ")" + scalarType, false);
    }
    mv.visitVarInsn(KernelWriter.store(acc), target);
  }

  /** accumulator = combine(accumulator, the reduced value at lanes var, var + 1, …). */
  private void accumulate(Stmt.Reduce r, Var var, DType lane, int accumulator) {
    mv.visitVarInsn(ALOAD, accumulator);
    value(r.value(), var, lane);
    combine(r.combine(), lane);
    mv.visitVarInsn(ASTORE, accumulator);
  }

  /**
   * {@code while (var < vectorEnd) { for (part < vectors) { body(part); var += L } }}, where
   * {@code vectorEnd = end − (end − begin) mod (vectors·L)}: the iterations that whole groups of
   * {@code vectors} vectors cover.
   */
  private void mainLoop(DType lane, int varSlot, int begin, int end, int vectors, IntConsumer body) {
    int lanes = scalar.newSlot();
    species(lane);
    mv.visitMethodInsn(INVOKEINTERFACE, PACKAGE + "VectorSpecies", "length", "()I", true);
    mv.visitVarInsn(ISTORE, lanes);
    int vectorEnd = scalar.newSlot();
    mv.visitVarInsn(ILOAD, end);
    mv.visitVarInsn(ILOAD, end);
    mv.visitVarInsn(ILOAD, begin);
    mv.visitInsn(ISUB);
    mv.visitVarInsn(ILOAD, lanes);
    if (vectors > 1) {
      scalar.pushInt(vectors);
      mv.visitInsn(IMUL);
    }
    mv.visitInsn(IREM);
    mv.visitInsn(ISUB);
    mv.visitVarInsn(ISTORE, vectorEnd);
    Label top = new Label();
    Label test = new Label();
    mv.visitJumpInsn(GOTO, test);
    mv.visitLabel(top);
    for (int part = 0; part < vectors; part++) {
      body.accept(part);
      mv.visitVarInsn(ILOAD, varSlot);
      mv.visitVarInsn(ILOAD, lanes);
      mv.visitInsn(IADD);
      mv.visitVarInsn(ISTORE, varSlot);
    }
    mv.visitLabel(test);
    mv.visitVarInsn(ILOAD, varSlot);
    mv.visitVarInsn(ILOAD, vectorEnd);
    mv.visitJumpInsn(IF_ICMPLT, top);
  }

  private void combine(Stmt.Combine combine, DType type) {
    String name = switch (combine) {
      case SUM -> "add";
      case MAX -> "max";
      case MIN -> "min";
    };
    mv.visitMethodInsn(INVOKEVIRTUAL, type(type), name, "(" + VECTOR + ")L" + type(type) + ";", false);
  }

  private static double identity(Stmt.Combine combine) {
    return switch (combine) {
      case SUM -> 0;
      case MAX -> Double.NEGATIVE_INFINITY;
      case MIN -> Double.POSITIVE_INFINITY;
    };
  }

  // ---- expressions ----

  /** Pushes the vector of {@code e}'s values at lanes {@code var}, {@code var + 1}, …. */
  private void value(Expr e, Var var, DType lane) {
    String vector = "L" + type(lane) + ";";
    if (VectorLoops.form(e, var, lane) == VectorLoops.Form.INVARIANT) {
      species(lane);
      scalar.expr(e);
      mv.visitMethodInsn(INVOKESTATIC, type(lane), "broadcast", "(" + SPECIES + KernelWriter.jvm(lane) + ")" + vector,
          false);
      return;
    }
    switch (e) {
      case Expr.Load l -> {
        species(lane);
        mv.visitVarInsn(ALOAD, KernelWriter.arena(lane));
        scalar.index(l.index(), l.buffer());
        mv.visitMethodInsn(INVOKESTATIC, type(lane), "fromArray",
            "(" + SPECIES + "[" + KernelWriter.jvm(lane) + "I)" + vector, false);
      }
      case Expr.Unary u -> unary(u.fn(), u.operand(), var, lane);
      case Expr.Binary b -> {
        MultiplyAdd fma = MultiplyAdd.of(b);
        if (fma != null) {
          value(fma.a(), var, lane);
          value(fma.b(), var, lane);
          value(fma.c(), var, lane);
          mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "fma", "(" + VECTOR + VECTOR + ")" + vector, false);
          return;
        }
        value(b.left(), var, lane);
        value(b.right(), var, lane);
        String name = switch (b.fn()) {
          case ADD -> "add";
          case SUB -> "sub";
          case MUL -> "mul";
          case DIV -> "div";
          case MAX -> "max";
          case MIN -> "min";
          case POW -> throw new IllegalStateException("pow has no vector form");
        };
        mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), name, "(" + VECTOR + ")" + vector, false);
      }
      case Expr.Select s -> {
        if (VectorLoops.form(s.condition(), var, lane) == VectorLoops.Form.INVARIANT) {
          Label otherwise = new Label();
          Label end = new Label();
          scalar.expr(s.condition());
          mv.visitJumpInsn(IFEQ, otherwise);
          value(s.ifTrue(), var, lane);
          mv.visitJumpInsn(GOTO, end);
          mv.visitLabel(otherwise);
          value(s.ifFalse(), var, lane);
          mv.visitLabel(end);
        } else {
          value(s.ifFalse(), var, lane);
          value(s.ifTrue(), var, lane);
          mask(s.condition(), var, lane);
          mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "blend", "(" + VECTOR + MASK + ")" + vector, false);
        }
      }
      case Expr.Const _, Expr.IndexValue _, Expr.BatchSize _, Expr.LocalRef _, Expr.Cast _, Expr.Uniform _,
          Expr.Checked _, Expr.Compare _, Expr.And _ -> throw new IllegalStateException("no vector value for " + e);
    }
  }

  private void unary(Op.UnaryFn fn, Expr operand, Var var, DType lane) {
    String vector = "L" + type(lane) + ";";
    if (fn == Op.UnaryFn.RECIPROCAL) {
      species(lane);
      scalar.constant(lane, 1);
      mv.visitMethodInsn(INVOKESTATIC, type(lane), "broadcast", "(" + SPECIES + KernelWriter.jvm(lane) + ")" + vector,
          false);
      value(operand, var, lane);
      mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "div", "(" + VECTOR + ")" + vector, false);
      return;
    }
    value(operand, var, lane);
    switch (fn) {
      case NEG -> mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "neg", "()" + vector, false);
      case ABS -> mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "abs", "()" + vector, false);
      case RELU -> {
        scalar.constant(lane, 0);
        mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "max", "(" + KernelWriter.jvm(lane) + ")" + vector, false);
      }
      case SQRT -> {
        mv.visitFieldInsn(GETSTATIC, OPERATORS, "SQRT", "L" + OPERATORS + "$Unary;");
        mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "lanewise", "(L" + OPERATORS + "$Unary;)" + vector, false);
      }
      case EXP, EXPM1, LOG, TANH, SIGMOID, SIGN -> mv.visitMethodInsn(INVOKESTATIC, VECTOR_MATH,
          fn.name().toLowerCase(Locale.ROOT), "(" + vector + ")" + vector, false);
      case RECIPROCAL, LOG1P, ERF -> throw new IllegalStateException(fn + " has no vector form here");
    }
  }

  /** Pushes the mask of {@code e} (a BOOL) at lanes {@code var}, {@code var + 1}, …. */
  private void mask(Expr e, Var var, DType lane) {
    if (VectorLoops.form(e, var, lane) == VectorLoops.Form.INVARIANT) {
      species(lane);
      scalar.expr(e);
      mv.visitMethodInsn(INVOKEINTERFACE, PACKAGE + "VectorSpecies", "maskAll", "(Z)" + MASK, true);
      return;
    }
    switch (e) {
      case Expr.Load l -> {
        species(lane);
        mv.visitVarInsn(ALOAD, KernelWriter.arena(DType.BOOL));
        scalar.index(l.index(), l.buffer());
        mv.visitMethodInsn(INVOKESTATIC, PACKAGE + "VectorMask", "fromArray", "(" + SPECIES + "[ZI)" + MASK, false);
      }
      case Expr.Compare c -> {
        value(c.left(), var, lane);
        mv.visitFieldInsn(GETSTATIC, OPERATORS, c.fn().name(), "L" + OPERATORS + "$Comparison;");
        value(c.right(), var, lane);
        mv.visitMethodInsn(INVOKEVIRTUAL, type(lane), "compare",
            "(L" + OPERATORS + "$Comparison;" + VECTOR + ")" + MASK, false);
      }
      case Expr.And a -> {
        mask(a.left(), var, lane);
        mask(a.right(), var, lane);
        mv.visitMethodInsn(INVOKEVIRTUAL, PACKAGE + "VectorMask", "and", "(" + MASK + ")" + MASK, false);
      }
      case Expr.Const _, Expr.IndexValue _, Expr.BatchSize _, Expr.LocalRef _, Expr.Unary _,
          Expr.Binary _, Expr.Select _, Expr.Cast _, Expr.Uniform _, Expr.Checked _ ->
          throw new IllegalStateException("no vector mask for " + e);
    }
  }

  /** Pushes {@code SPECIES_PREFERRED} of the lane type's vector class. */
  private void species(DType lane) {
    mv.visitFieldInsn(GETSTATIC, type(lane), "SPECIES_PREFERRED", SPECIES);
  }

  private static String type(DType lane) {
    return switch (lane) {
      case F32 -> PACKAGE + "FloatVector";
      case F64 -> PACKAGE + "DoubleVector";
      case I32, I64, BOOL -> throw new IllegalStateException("no vector type for " + lane);
    };
  }
}
