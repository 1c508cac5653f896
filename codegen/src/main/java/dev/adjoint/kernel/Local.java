package dev.adjoint.kernel;

import dev.adjoint.ir.DType;

/** A scalar variable of a kernel: a reduction's accumulator or a per-row value ({@link Stmt.Let}). */
public record Local(int id, DType dtype) {
  @Override
  public String toString() {
    return "$" + id;
  }
}
