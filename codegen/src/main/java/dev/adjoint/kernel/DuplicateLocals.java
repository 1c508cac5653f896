package dev.adjoint.kernel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Common-subexpression elimination of a kernel's locals: a {@code Let} or a reduction that
 * computes what an earlier one in the same statement list computed is dropped, and its local
 * read as the earlier one. Reductions are compared up to the names of their own variables, so
 * {@code sum over i1 < 32: x[i1]} repeats {@code sum over i7 < 32: x[i7]}. Fused kernels have
 * such repeats where graph nodes of different form compute one value: a batch norm's statistics
 * in the forward pass and again in its gradient rule (mean with kept axes against a reshaped
 * one), which cost two more passes over the activation per channel. Each merge exposes the next:
 * once two means are one local, the variances that read them are equal too.
 *
 * <p>A value is reused only while no statement between the two has stored to a buffer it
 * loads.
 */
final class DuplicateLocals {
  private DuplicateLocals() {}

  static List<Stmt> apply(List<Stmt> body) {
    return scope(body, new HashMap<>());
  }

  /** An earlier local, what it computes and the buffers it loads. */
  private record Seen(Local local, Set<Buffer> loads) {}

  private static List<Stmt> scope(List<Stmt> body, Map<Local, Local> renamed) {
    Map<Object, Seen> seen = new HashMap<>();
    List<Stmt> out = new ArrayList<>();
    for (Stmt s : body) {
      switch (s) {
        case Stmt.Let let -> {
          Expr value = rename(let.value(), renamed);
          if (!reuse(seen, value, value, let.local(), renamed)) {
            out.add(new Stmt.Let(let.local(), value));
          }
        }
        case Stmt.Reduce r -> {
          Expr value = rename(r.value(), renamed);
          Object key = List.of(r.combine(), r.extents(), canonical(r.vars(), value));
          if (!reuse(seen, key, value, r.target(), renamed)) {
            out.add(new Stmt.Reduce(r.target(), r.combine(), r.vars(), r.extents(), value));
          }
        }
        case Stmt.Loop l -> {
          Stmt.Loop loop = new Stmt.Loop(l.var(), l.extent(), scope(l.body(), renamed), l.parallel());
          out.add(loop);
          forgetStored(seen, List.of(loop));
        }
        case Stmt.Store st -> {
          out.add(new Stmt.Store(st.buffer(), st.index(), rename(st.value(), renamed)));
          forgetStored(seen, List.of(st));
        }
        case Stmt.Call c -> {
          Stmt.Call call = renameInCall(c, renamed);
          out.add(call);
          forgetStored(seen, List.of(call));
        }
      }
    }
    return out;
  }

  /**
   * Whether {@code local}'s value, known by {@code key}, was computed before: then it is renamed
   * to the earlier local; otherwise it is recorded.
   */
  private static boolean reuse(
      Map<Object, Seen> seen, Object key, Expr value, Local local, Map<Local, Local> renamed) {
    Seen earlier = seen.get(key);
    if (earlier != null && earlier.local().dtype() == local.dtype()) {
      renamed.put(local, earlier.local());
      return true;
    }
    Set<Buffer> loads = new HashSet<>();
    Walk.expression(value, e -> {
      if (e instanceof Expr.Load l) {
        loads.add(l.buffer());
      }
    });
    seen.put(key, new Seen(local, loads));
    return false;
  }

  /** The reduction's value with its variables renamed by position, so only its form counts. */
  private static Expr canonical(List<Var> vars, Expr value) {
    Map<Var, Var> byPosition = new HashMap<>();
    for (int i = 0; i < vars.size(); i++) {
      byPosition.put(vars.get(i), new Var(-1 - i));
    }
    return Rewrite.expr(value, index -> {
      Index out = index;
      for (Index.Term t : index.terms()) {
        Var to = byPosition.get(t.var());
        if (to != null) {
          out = out.substitute(t.var(), Index.of(to));
        }
      }
      return out;
    });
  }

  /** Drops the values that load a buffer one of {@code stmts} stores to. */
  private static void forgetStored(Map<Object, Seen> seen, List<Stmt> stmts) {
    Set<Buffer> stored = new HashSet<>();
    Walk.statements(stmts, s -> {
      switch (s) {
        case Stmt.Store st -> stored.add(st.buffer());
        case Stmt.Call c -> stored.add(c.call().output().buffer());
        case Stmt.Loop _, Stmt.Let _, Stmt.Reduce _ -> {}
      }
    });
    for (Iterator<Seen> it = seen.values().iterator(); it.hasNext(); ) {
      if (it.next().loads().stream().anyMatch(stored::contains)) {
        it.remove();
      }
    }
  }

  private static Expr rename(Expr e, Map<Local, Local> renamed) {
    if (renamed.isEmpty()) {
      return e;
    }
    if (e instanceof Expr.LocalRef ref) {
      Local to = renamed.get(ref.local());
      return to == null ? e : new Expr.LocalRef(to);
    }
    return Rewrite.children(e, c -> rename(c, renamed));
  }

  private static Stmt.Call renameInCall(Stmt.Call c, Map<Local, Local> renamed) {
    if (renamed.isEmpty()) {
      return c;
    }
    List<Stmt> epilogue = scope(c.epilogue(), renamed);
    return c.perElement() == null
        ? new Stmt.Call(c.call(), epilogue)
        : new Stmt.Call(c.call(), epilogue, c.perElement().withBody(scope(c.perElement().body(), renamed)));
  }
}
