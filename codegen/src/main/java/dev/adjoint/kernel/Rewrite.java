package dev.adjoint.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Rebuilds statements and expressions with every {@link Index} in them mapped by a function. */
final class Rewrite {
  private Rewrite() {}

  static List<Stmt> statements(List<Stmt> body, UnaryOperator<Index> f) {
    List<Stmt> out = new ArrayList<>();
    for (Stmt s : body) {
      out.add(statement(s, f));
    }
    return out;
  }

  private static Stmt statement(Stmt s, UnaryOperator<Index> f) {
    return switch (s) {
      case Stmt.Loop l -> new Stmt.Loop(l.var(), l.extent(), statements(l.body(), f), l.parallel());
      case Stmt.Store st -> new Stmt.Store(st.buffer(), f.apply(st.index()), expr(st.value(), f));
      case Stmt.Let let -> new Stmt.Let(let.local(), expr(let.value(), f));
      case Stmt.Reduce r -> new Stmt.Reduce(r.target(), r.combine(), r.vars(), r.extents(), expr(r.value(), f));
      case Stmt.Call c -> new Stmt.Call(call(c.call(), f), statements(c.epilogue(), f), c.perElement() == null ? null
          : c.perElement().withBody(statements(c.perElement().body(), f)));
    };
  }

  private static LibraryCall call(LibraryCall call, UnaryOperator<Index> f) {
    return switch (call) {
      case LibraryCall.Gemm g -> new LibraryCall.Gemm(g.dtype(), g.transA(), g.transB(), g.m(), g.n(), g.k(),
          operand(g.a(), f), g.lda(), operand(g.b(), f), g.ldb(), operand(g.c(), f), g.ldc(), g.accumulate());
      case LibraryCall.Conv2d c -> new LibraryCall.Conv2d(c.dtype(), c.kind(), operand(c.first(), f),
          operand(c.second(), f), operand(c.output(), f), c.window());
      case LibraryCall.Pool p -> new LibraryCall.Pool(p.dtype(), p.kind(),
          p.inputs().stream().map(o -> operand(o, f)).toList(), operand(p.output(), f), p.window(),
          p.countIncludePad());
    };
  }

  private static LibraryCall.Operand operand(LibraryCall.Operand o, UnaryOperator<Index> f) {
    return new LibraryCall.Operand(o.buffer(), f.apply(o.offset()));
  }

  static Expr expr(Expr e, UnaryOperator<Index> f) {
    return switch (e) {
      case Expr.Load l -> new Expr.Load(l.buffer(), f.apply(l.index()));
      case Expr.IndexValue iv -> new Expr.IndexValue(f.apply(iv.index()));
      case Expr.Const _, Expr.BatchSize _, Expr.LocalRef _, Expr.Unary _, Expr.Binary _, Expr.Compare _,
          Expr.Select _, Expr.And _, Expr.Cast _, Expr.Uniform _, Expr.Checked _ -> children(e, c -> expr(c, f));
    };
  }

  /** {@code e} with {@code f} applied to each of its direct sub-expressions. */
  static Expr children(Expr e, UnaryOperator<Expr> f) {
    return switch (e) {
      case Expr.Const _, Expr.BatchSize _, Expr.LocalRef _, Expr.Load _, Expr.IndexValue _ -> e;
      case Expr.Unary u -> new Expr.Unary(u.fn(), f.apply(u.operand()));
      case Expr.Binary b -> new Expr.Binary(b.fn(), f.apply(b.left()), f.apply(b.right()));
      case Expr.Compare c -> new Expr.Compare(c.fn(), f.apply(c.left()), f.apply(c.right()));
      case Expr.Select s -> new Expr.Select(f.apply(s.condition()), f.apply(s.ifTrue()), f.apply(s.ifFalse()));
      case Expr.And a -> new Expr.And(f.apply(a.left()), f.apply(a.right()));
      case Expr.Cast c -> new Expr.Cast(c.to(), f.apply(c.operand()));
      case Expr.Uniform u -> new Expr.Uniform(u.seed(), u.key(), f.apply(u.step()), f.apply(u.index()), u.dtype());
      case Expr.Checked c -> new Expr.Checked(f.apply(c.value()), f.apply(c.condition()), c.failure(),
          f.apply(c.first()), f.apply(c.second()));
    };
  }
}
