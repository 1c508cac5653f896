package dev.adjoint.kernel;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Shape;

/**
 * A count known up to the symbolic batch size N: {@code constant + perBatch·N}. Loop extents and
 * buffer sizes are sizes, so one compiled program serves every batch size.
 */
public record Size(long constant, long perBatch) {
  public static final Size ZERO = new Size(0, 0);
  public static final Size ONE = new Size(1, 0);
  /** N itself. */
  public static final Size BATCH = new Size(0, 1);

  public Size {
    if (constant < 0 || perBatch < 0) {
      throw new AdjointException("a size cannot be negative: " + constant + " + " + perBatch + "·N");
    }
  }

  public static Size of(long constant) {
    return new Size(constant, 0);
  }

  /** The number of elements of {@code shape}; a symbolic batch dimension contributes the factor N. */
  public static Size of(Shape shape) {
    long product = 1;
    for (int axis = shape.isBatched() ? 1 : 0; axis < shape.rank(); axis++) {
      product = Math.multiplyExact(product, shape.dim(axis));
    }
    return shape.isBatched() ? new Size(0, product) : new Size(product, 0);
  }

  /** The size of one dimension: N for the symbolic batch. */
  public static Size ofDim(int dim) {
    return dim == Shape.BATCH ? BATCH : of(dim);
  }

  public boolean isConstant() {
    return perBatch == 0;
  }

  public Size plus(Size other) {
    return new Size(Math.addExact(constant, other.constant), Math.addExact(perBatch, other.perBatch));
  }

  public Size times(long factor) {
    return new Size(Math.multiplyExact(constant, factor), Math.multiplyExact(perBatch, factor));
  }

  /** The product of two sizes, at most one of which may depend on N. */
  public Size times(Size other) {
    if (isConstant()) {
      return other.times(constant);
    }
    if (other.isConstant()) {
      return times(other.constant);
    }
    throw new AdjointException("the product of " + this + " and " + other + " is not linear in N");
  }

  /** The value for batch size {@code batch}. */
  public long at(int batch) {
    return Math.addExact(constant, Math.multiplyExact(perBatch, batch));
  }

  /** The value for batch size {@code batch}, which must fit in an int (array indices do). */
  public int intAt(int batch) {
    long value = at(batch);
    if (value > Integer.MAX_VALUE) {
      throw new AdjointException("size " + this + " is " + value + " for N = " + batch + ", more than 2^31-1");
    }
    return (int) value;
  }

  /** {@code 12}, {@code N}, {@code 12·N} or {@code 3 + 12·N}. */
  @Override
  public String toString() {
    if (perBatch == 0) {
      return Long.toString(constant);
    }
    String batchPart = perBatch == 1 ? "N" : perBatch + "·N";
    return constant == 0 ? batchPart : constant + " + " + batchPart;
  }
}
