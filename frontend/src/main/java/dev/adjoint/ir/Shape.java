package dev.adjoint.ir;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A static shape, except that dimension 0 may be the symbolic batch size {@link #BATCH}, written
 * {@code N}. Immutable.
 */
public final class Shape {
  /** The symbolic batch dimension; allowed only as dimension 0. */
  public static final int BATCH = -1;

  private static final Shape SCALAR = new Shape(new int[0]);

  private final int[] dims;

  private Shape(int[] dims) {
    this.dims = dims;
  }

  public static Shape of(int... dims) {
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] == BATCH && i == 0) {
        continue;
      }
      if (dims[i] < 0) {
        throw new AdjointException(
            "invalid shape " + Arrays.toString(dims) + ": dimension " + i + " is " + dims[i]
                + " (only dimension 0 may be the symbolic batch N)");
      }
    }
    return dims.length == 0 ? SCALAR : new Shape(dims.clone());
  }

  public static Shape of(List<Integer> dims) {
    return of(dims.stream().mapToInt(Integer::intValue).toArray());
  }

  /** A shape whose dimension 0 is the symbolic batch, followed by {@code rest}. */
  public static Shape batched(int... rest) {
    int[] d = new int[rest.length + 1];
    d[0] = BATCH;
    System.arraycopy(rest, 0, d, 1, rest.length);
    return of(d);
  }

  public static Shape scalar() {
    return SCALAR;
  }

  public int rank() {
    return dims.length;
  }

  public int dim(int axis) {
    return dims[axis];
  }

  public int[] dims() {
    return dims.clone();
  }

  public List<Integer> dimList() {
    return Arrays.stream(dims).boxed().toList();
  }

  public boolean isBatched() {
    return dims.length > 0 && dims[0] == BATCH;
  }

  /** Number of elements; the shape must be concrete. */
  public int size() {
    if (isBatched()) {
      throw new AdjointException("shape " + this + " has a symbolic batch dimension; its size is known only at run time");
    }
    long n = 1;
    for (int d : dims) {
      n *= d;
    }
    if (n > Integer.MAX_VALUE) {
      throw new AdjointException("shape " + this + " has more than 2^31-1 elements");
    }
    return (int) n;
  }

  /** This shape with the symbolic batch replaced by {@code batch}. */
  public Shape resolve(int batch) {
    if (!isBatched()) {
      return this;
    }
    int[] d = dims.clone();
    d[0] = batch;
    return new Shape(d);
  }

  /** Row-major strides of a concrete shape. */
  public int[] strides() {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= dims[i];
    }
    return s;
  }

  /** Normalizes a possibly negative axis; -1 is the last axis. Returns -1 if out of range. */
  public int normalizeAxis(int axis) {
    int a = axis < 0 ? axis + dims.length : axis;
    return a >= 0 && a < dims.length ? a : -1;
  }

  public Shape withDim(int axis, int value) {
    int[] d = dims.clone();
    d[axis] = value;
    return of(d);
  }

  public static String dimText(int d) {
    return d == BATCH ? "N" : Integer.toString(d);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return IntStream.of(dims).mapToObj(Shape::dimText).collect(Collectors.joining(",", "[", "]"));
  }
}
