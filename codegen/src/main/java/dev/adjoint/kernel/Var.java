package dev.adjoint.kernel;

/** A loop variable, bound by exactly one {@link Stmt.Loop} (or one loop of a {@link Stmt.Reduce}). */
public record Var(int id) {
  @Override
  public String toString() {
    return "i" + id;
  }
}
