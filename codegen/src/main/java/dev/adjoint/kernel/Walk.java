package dev.adjoint.kernel;

import java.util.List;
import java.util.function.Consumer;

/** Visits the statements and expressions of kernel bodies, outer before inner. */
public final class Walk {
  private Walk() {}

  /** Every statement, nested ones (loop bodies, epilogues) included. */
  public static void statements(List<Stmt> body, Consumer<Stmt> visitor) {
    for (Stmt s : body) {
      visitor.accept(s);
      switch (s) {
        case Stmt.Loop l -> statements(l.body(), visitor);
        case Stmt.Call c -> statements(c.epilogueStatements(), visitor);
        case Stmt.Store _, Stmt.Let _, Stmt.Reduce _ -> {}
      }
    }
  }

  /** Every expression of every statement, sub-expressions included. */
  public static void expressions(List<Stmt> body, Consumer<Expr> visitor) {
    statements(body, s -> {
      switch (s) {
        case Stmt.Store st -> expression(st.value(), visitor);
        case Stmt.Let l -> expression(l.value(), visitor);
        case Stmt.Reduce r -> expression(r.value(), visitor);
        case Stmt.Loop _, Stmt.Call _ -> {}
      }
    });
  }

  /** {@code e} and its sub-expressions. */
  public static void expression(Expr e, Consumer<Expr> visitor) {
    visitor.accept(e);
    switch (e) {
      case Expr.Unary u -> expression(u.operand(), visitor);
      case Expr.Binary b -> {
        expression(b.left(), visitor);
        expression(b.right(), visitor);
      }
      case Expr.Compare c -> {
        expression(c.left(), visitor);
        expression(c.right(), visitor);
      }
      case Expr.Select s -> {
        expression(s.condition(), visitor);
        expression(s.ifTrue(), visitor);
        expression(s.ifFalse(), visitor);
      }
      case Expr.And a -> {
        expression(a.left(), visitor);
        expression(a.right(), visitor);
      }
      case Expr.Cast c -> expression(c.operand(), visitor);
      case Expr.Uniform u -> {
        expression(u.step(), visitor);
        expression(u.index(), visitor);
      }
      case Expr.Checked c -> {
        expression(c.condition(), visitor);
        expression(c.first(), visitor);
        expression(c.second(), visitor);
        expression(c.value(), visitor);
      }
      case Expr.Const _, Expr.Load _, Expr.IndexValue _, Expr.BatchSize _, Expr.LocalRef _ -> {}
    }
  }

  /** The number of expression nodes in {@code e}: a measure of the code it becomes. */
  public static int size(Expr e) {
    int[] count = {0};
    expression(e, _ -> count[0]++);
    return count[0];
  }
}
