package dev.adjoint.codegen.jvm;

import dev.adjoint.ir.DType;
import dev.adjoint.kernel.Expr;
import dev.adjoint.kernel.Index;
import dev.adjoint.kernel.Local;
import dev.adjoint.kernel.Stmt;
import dev.adjoint.kernel.Var;
import dev.adjoint.kernel.Walk;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A vector loop or reduction moved into a method of its own. C2 stops inlining into a method whose
 * graph has grown past its node budget, and a Vector API call it does not inline boxes its vectors:
 * a kernel with several vector loops (a batch norm's two statistics and its normalization) ran
 * slower than scalar code until each loop had a method, and so an inlining budget, of its own.
 *
 * <p>The method takes the kernel parameters, then (for a store loop) the loop's bounds, then the
 * values of the loop variables and locals of the enclosing code that the statement reads; a
 * reduction's method returns the reduced value.
 */
sealed interface Outline {

  /** The statements the method runs, for the buffers it touches. */
  List<Stmt> statements();

  /** The enclosing loop variables the statement reads, passed as ints. */
  List<Var> vars();

  /** The enclosing locals the statement reads, passed as their JVM types. */
  List<Local> locals();

  /** {@code for (var = begin; var < end; var++) body}, its vector main loop included. */
  record StoreLoop(Var var, List<Stmt> body, List<Var> vars, List<Local> locals) implements Outline {
    @Override
    public List<Stmt> statements() {
      return body;
    }
  }

  /** A reduction; the method returns its value. */
  record Reduction(Stmt.Reduce reduce, List<Var> vars, List<Local> locals) implements Outline {
    @Override
    public List<Stmt> statements() {
      return List.of(reduce);
    }
  }

  static StoreLoop storeLoop(Var var, List<Stmt> body) {
    return new StoreLoop(var, body, freeVars(body, Set.of(var)), freeLocals(body));
  }

  static Reduction reduction(Stmt.Reduce reduce) {
    List<Stmt> body = List.of(reduce);
    return new Reduction(reduce, freeVars(body, Set.copyOf(reduce.vars())), freeLocals(body));
  }

  /** The method's descriptor (see the class comment). */
  default String descriptor() {
    String kernel = JvmEmitter.KERNEL_DESCRIPTOR;
    StringBuilder sb = new StringBuilder(kernel.substring(0, kernel.length() - 2)); // without ")V"
    if (this instanceof StoreLoop) {
      sb.append("II");
    }
    sb.append("I".repeat(vars().size()));
    for (Local l : locals()) {
      sb.append(KernelWriter.jvm(l.dtype()));
    }
    sb.append(')');
    sb.append(this instanceof Reduction r ? KernelWriter.jvm(r.reduce().target().dtype()) : "V");
    return sb.toString();
  }

  /** Variables in the indices of {@code body} other than those it binds itself, by id. */
  private static List<Var> freeVars(List<Stmt> body, Set<Var> bound) {
    Set<Var> vars = new LinkedHashSet<>();
    Walk.statements(body, s -> {
      if (s instanceof Stmt.Store st) {
        addTerms(st.index(), vars);
      }
    });
    Walk.expressions(body, e -> {
      if (e instanceof Expr.Load l) {
        addTerms(l.index(), vars);
      } else if (e instanceof Expr.IndexValue iv) {
        addTerms(iv.index(), vars);
      }
    });
    vars.removeAll(bound);
    List<Var> sorted = new ArrayList<>(vars);
    sorted.sort(Comparator.comparingInt(Var::id));
    return sorted;
  }

  private static void addTerms(Index index, Set<Var> vars) {
    index.terms().forEach(t -> vars.add(t.var()));
  }

  /** Locals {@code body} reads; a store loop or a reduction declares none of its own. */
  private static List<Local> freeLocals(List<Stmt> body) {
    Set<Local> locals = new LinkedHashSet<>();
    Walk.expressions(body, e -> {
      if (e instanceof Expr.LocalRef ref) {
        locals.add(ref.local());
      }
    });
    List<Local> sorted = new ArrayList<>(locals);
    sorted.sort(Comparator.comparingInt(Local::id));
    return sorted;
  }

  /** The JVM slots a value of {@code dtype} takes. */
  static int slots(DType dtype) {
    return dtype == DType.F64 || dtype == DType.I64 ? 2 : 1;
  }
}
