package dev.adjoint.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Merges a loop with the single loop it contains when every index in the body walks the two
 * variables as one: the outer stride is the inner stride times the inner extent everywhere, as in
 * a contiguous row-major copy or an elementwise map. {@code for i0 < N: for i1 < 64: x[64*i0 + i1]}
 * becomes {@code for i0 < 64·N: x[i0]}, which leaves fewer index computations and longer inner
 * loops for the JIT and more iterations to split among threads.
 */
final class CollapseLoops {
  private CollapseLoops() {}

  static List<Stmt> apply(List<Stmt> body) {
    List<Stmt> out = new ArrayList<>();
    for (Stmt s : body) {
      out.add(statement(s));
    }
    return out;
  }

  private static Stmt statement(Stmt s) {
    return switch (s) {
      case Stmt.Loop l -> collapse(new Stmt.Loop(l.var(), l.extent(), apply(l.body()), l.parallel()));
      case Stmt.Call c -> new Stmt.Call(c.call(), apply(c.epilogue()), c.perElement());
      case Stmt.Reduce r -> collapse(r);
      case Stmt.Store _, Stmt.Let _ -> s;
    };
  }

  /**
   * A reduction with each pair of neighbouring variables merged where every index walks them as
   * one: {@code sum over i1 < 32, i2 < 32: x[32*i1 + i2]} becomes {@code sum over i1 < 1024:
   * x[i1]}, one long innermost loop instead of many short ones. The order of the terms is the same.
   */
  private static Stmt.Reduce collapse(Stmt.Reduce r) {
    List<Var> vars = new ArrayList<>(r.vars());
    List<Size> extents = new ArrayList<>(r.extents());
    Expr value = r.value();
    for (int k = vars.size() - 2; k >= 0; k--) {
      Var outer = vars.get(k);
      Var inner = vars.get(k + 1);
      Size innerExtent = extents.get(k + 1);
      boolean[] ok = {innerExtent.isConstant() && innerExtent.constant() > 0};
      Rewrite.expr(value, index -> {
        ok[0] &= walksAsOne(index, outer, inner, innerExtent.constant());
        return index;
      });
      if (ok[0]) {
        value = Rewrite.expr(value, merge(outer, inner));
        extents.set(k, extents.get(k).times(innerExtent));
        vars.remove(k + 1);
        extents.remove(k + 1);
      }
    }
    return vars.size() == r.vars().size() ? r : new Stmt.Reduce(r.target(), r.combine(), vars, extents, value);
  }

  /** The loop merged with its only child loop, repeatedly, where every index allows it. */
  private static Stmt.Loop collapse(Stmt.Loop outer) {
    while (outer.body().size() == 1 && outer.body().getFirst() instanceof Stmt.Loop inner
        && inner.extent().isConstant() && inner.extent().constant() > 0
        && contiguous(inner.body(), outer.var(), inner.var(), inner.extent().constant())) {
      outer = new Stmt.Loop(outer.var(), outer.extent().times(inner.extent()),
          Rewrite.statements(inner.body(), merge(outer.var(), inner.var())), outer.parallel());
    }
    return outer;
  }

  /**
   * outer·E + inner becomes the outer variable, now over E times as many values: the outer term is
   * dropped and the inner one renamed.
   */
  private static UnaryOperator<Index> merge(Var outer, Var inner) {
    return index -> {
      int stride = index.stride(inner);
      return index.substitute(outer, Index.ZERO).substitute(inner, Index.ZERO).plus(Index.of(outer).times(stride));
    };
  }

  /** Whether every index under {@code body} walks the two variables as one. */
  private static boolean contiguous(List<Stmt> body, Var outer, Var inner, long extent) {
    boolean[] ok = {true};
    Rewrite.statements(body, index -> {
      ok[0] &= walksAsOne(index, outer, inner, extent);
      return index;
    });
    return ok[0];
  }

  /** stride(outer) = stride(inner)·extent: outer·extent + inner indexes like one variable. */
  private static boolean walksAsOne(Index index, Var outer, Var inner, long extent) {
    return (long) index.stride(inner) * extent == index.stride(outer);
  }
}
