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
      case Stmt.Store _, Stmt.Let _, Stmt.Reduce _ -> s;
    };
  }

  /** The loop merged with its only child loop, repeatedly, where every index allows it. */
  private static Stmt.Loop collapse(Stmt.Loop outer) {
    while (outer.body().size() == 1 && outer.body().getFirst() instanceof Stmt.Loop inner
        && inner.extent().isConstant() && inner.extent().constant() > 0
        && contiguous(inner.body(), outer.var(), inner.var(), inner.extent().constant())) {
      Var merged = outer.var();
      Var old = inner.var();
      Var gone = outer.var();
      // outer·E + inner becomes the merged variable: drop the outer term, rename the inner one.
      UnaryOperator<Index> rewrite = index -> {
        int stride = index.stride(old);
        return index.substitute(gone, Index.ZERO).substitute(old, Index.ZERO)
            .plus(Index.of(merged).times(stride));
      };
      outer = new Stmt.Loop(merged, outer.extent().times(inner.extent()), Rewrite.statements(inner.body(), rewrite),
          outer.parallel());
    }
    return outer;
  }

  /** Whether every index under {@code body} has stride(outer) = stride(inner)·extent. */
  private static boolean contiguous(List<Stmt> body, Var outer, Var inner, long extent) {
    boolean[] ok = {true};
    Rewrite.statements(body, index -> {
      if ((long) index.stride(inner) * extent != index.stride(outer)) {
        ok[0] = false;
      }
      return index;
    });
    return ok[0];
  }
}
