package dev.adjoint.kernel;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loop-invariant code motion: a sub-expression that does not change from one iteration of a loop
 * to the next is computed once, into a local, before the loop. {@code (x[c,i] - mean[c]) /
 * sqrt(var[c] + eps)} inside a loop over i computes the square root once per channel instead of
 * once per element.
 *
 * <p>A sub-expression is invariant in a region when no variable bound in the region (the loop's
 * and those of loops and reductions nested in it) occurs in its indices, it reads no local
 * declared in the region and no buffer the region stores to. Only operations are moved, not bare
 * loads and constants; and nothing is moved out of the branch of a select, the right operand of an
 * and, or a checked expression, which the loop would evaluate only under a condition: moving it
 * out could read out of bounds or raise a failure the loop never raises.
 */
public final class LoopInvariants {
  private LoopInvariants() {}

  /** The statements that compute the moved values, then the region's statements using them. */
  public record Hoisted(List<Stmt> before, List<Stmt> body) {}

  /**
   * Moves the invariant operations of {@code region}, in which the variables {@code varying}
   * change, out into {@code Let}s of fresh locals numbered from {@code firstLocal}.
   */
  public static Hoisted hoist(List<Stmt> region, Set<Var> varying, int firstLocal) {
    Set<Var> bound = new HashSet<>(varying);
    Set<Local> declared = new HashSet<>();
    Set<Buffer> stored = new HashSet<>();
    Walk.statements(region, s -> {
      switch (s) {
        case Stmt.Loop l -> bound.add(l.var());
        case Stmt.Reduce r -> {
          bound.addAll(r.vars());
          declared.add(r.target());
        }
        case Stmt.Let let -> declared.add(let.local());
        case Stmt.Store st -> stored.add(st.buffer());
        case Stmt.Call c -> stored.add(c.call().output().buffer());
      }
    });
    Region r = new Region(bound, declared, stored);
    Map<Expr, Local> moved = new LinkedHashMap<>();
    Walk.statements(region, s -> {
      switch (s) {
        case Stmt.Store st -> r.collect(st.value(), moved, firstLocal);
        case Stmt.Let let -> r.collect(let.value(), moved, firstLocal);
        case Stmt.Reduce red -> r.collect(red.value(), moved, firstLocal);
        case Stmt.Loop _, Stmt.Call _ -> {}
      }
    });
    if (moved.isEmpty()) {
      return new Hoisted(List.of(), region);
    }
    List<Stmt> before = new ArrayList<>();
    moved.forEach((e, local) -> before.add(new Stmt.Let(local, e)));
    return new Hoisted(before, replace(region, moved));
  }

  /**
   * Hoisting through a kernel body: out of every loop that another loop encloses, into the
   * enclosing loop's body, as far out as each value allows. Loops at the top of the body keep
   * theirs for the emitter, which runs a parallel loop in chunks, each a method of its own, and
   * computes them once per chunk.
   */
  static List<Stmt> apply(List<Stmt> body) {
    int[] nextLocal = {firstFreeLocal(body)};
    List<Stmt> out = new ArrayList<>();
    for (Stmt s : body) {
      out.add(s instanceof Stmt.Loop l
          ? new Stmt.Loop(l.var(), l.extent(), withinLoop(l.body(), nextLocal), l.parallel()) : s);
    }
    return out;
  }

  /** A number above every local's in {@code body}. */
  public static int firstFreeLocal(List<Stmt> body) {
    int[] max = {-1};
    Walk.statements(body, s -> {
      switch (s) {
        case Stmt.Let let -> max[0] = Math.max(max[0], let.local().id());
        case Stmt.Reduce r -> max[0] = Math.max(max[0], r.target().id());
        case Stmt.Loop _, Stmt.Store _, Stmt.Call _ -> {}
      }
    });
    return max[0] + 1;
  }

  /**
   * A loop's body, with what each loop or reduction directly inside it does not vary moved in front
   * of it.
   */
  private static List<Stmt> withinLoop(List<Stmt> body, int[] nextLocal) {
    List<Stmt> out = new ArrayList<>();
    for (Stmt s : body) {
      if (s instanceof Stmt.Reduce) {
        Hoisted h = hoist(List.of(s), Set.of(), nextLocal[0]);
        nextLocal[0] += h.before().size();
        out.addAll(h.before());
        out.addAll(h.body());
      } else if (s instanceof Stmt.Loop inner) {
        Hoisted h = hoist(List.of(inner), Set.of(), nextLocal[0]);
        nextLocal[0] += h.before().size();
        out.addAll(h.before());
        Stmt.Loop rewritten = (Stmt.Loop) h.body().getFirst();
        out.add(new Stmt.Loop(rewritten.var(), rewritten.extent(), withinLoop(rewritten.body(), nextLocal),
            rewritten.parallel()));
      } else {
        out.add(s);
      }
    }
    return out;
  }

  private record Region(Set<Var> bound, Set<Local> declared, Set<Buffer> stored) {

    /** Records the largest invariant operations of {@code e}, each once, with a fresh local. */
    void collect(Expr e, Map<Expr, Local> moved, int firstLocal) {
      if (invariant(e)) {
        if (isOperation(e)) {
          moved.computeIfAbsent(e, _ -> new Local(firstLocal + moved.size(), e.dtype()));
        }
        return;
      }
      switch (e) {
        case Expr.Select s -> collect(s.condition(), moved, firstLocal);
        case Expr.And a -> collect(a.left(), moved, firstLocal);
        case Expr.Checked _ -> {}
        case Expr.Const _, Expr.Load _, Expr.IndexValue _, Expr.BatchSize _, Expr.LocalRef _, Expr.Unary _,
            Expr.Binary _, Expr.Compare _, Expr.Cast _, Expr.Uniform _ ->
            Rewrite.children(e, child -> {
              collect(child, moved, firstLocal);
              return child;
            });
      }
    }

    boolean invariant(Expr e) {
      return switch (e) {
        case Expr.Const _, Expr.BatchSize _ -> true;
        case Expr.Load l -> !stored.contains(l.buffer()) && fixed(l.index());
        case Expr.IndexValue iv -> fixed(iv.index());
        case Expr.LocalRef l -> !declared.contains(l.local());
        case Expr.Checked _ -> false;
        case Expr.Unary _, Expr.Binary _, Expr.Compare _, Expr.Select _, Expr.And _, Expr.Cast _, Expr.Uniform _ -> {
          boolean[] all = {true};
          Rewrite.children(e, child -> {
            all[0] &= invariant(child);
            return child;
          });
          yield all[0];
        }
      };
    }

    private boolean fixed(Index index) {
      return index.terms().stream().noneMatch(t -> bound.contains(t.var()));
    }

    private static boolean isOperation(Expr e) {
      return switch (e) {
        case Expr.Const _, Expr.Load _, Expr.IndexValue _, Expr.BatchSize _, Expr.LocalRef _ -> false;
        case Expr.Unary _, Expr.Binary _, Expr.Compare _, Expr.Select _, Expr.And _, Expr.Cast _, Expr.Uniform _,
            Expr.Checked _ -> true;
      };
    }
  }

  /** {@code body} with every occurrence of a moved expression read from its local. */
  private static List<Stmt> replace(List<Stmt> body, Map<Expr, Local> moved) {
    List<Stmt> out = new ArrayList<>();
    for (Stmt s : body) {
      out.add(switch (s) {
        case Stmt.Loop l -> new Stmt.Loop(l.var(), l.extent(), replace(l.body(), moved), l.parallel());
        case Stmt.Store st -> new Stmt.Store(st.buffer(), st.index(), replace(st.value(), moved));
        case Stmt.Let let -> new Stmt.Let(let.local(), replace(let.value(), moved));
        case Stmt.Reduce r -> new Stmt.Reduce(r.target(), r.combine(), r.vars(), r.extents(),
            replace(r.value(), moved));
        case Stmt.Call c -> c;
      });
    }
    return out;
  }

  private static Expr replace(Expr e, Map<Expr, Local> moved) {
    Local local = moved.get(e);
    return local != null ? new Expr.LocalRef(local) : Rewrite.children(e, child -> replace(child, moved));
  }
}
