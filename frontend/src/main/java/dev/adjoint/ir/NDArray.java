package dev.adjoint.ir;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * A concrete tensor value: dtype, a shape without symbolic dimensions, and its elements in
 * row-major order. Elements are held as doubles (exact for every dtype Adjoint has, as long as
 * integers stay below 2^53) and rounded to the dtype when stored. Immutable.
 */
public final class NDArray {
  private final DType dtype;
  private final Shape shape;
  private final double[] data;

  private NDArray(DType dtype, Shape shape, double[] data) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  /** Copies {@code values}, rounding each to {@code dtype}. */
  public static NDArray of(DType dtype, Shape shape, double... values) {
    if (shape.isBatched()) {
      throw new AdjointException("a value needs a concrete shape, got " + shape);
    }
    if (values.length != shape.size()) {
      throw new AdjointException(
          "shape " + shape + " holds " + shape.size() + " elements but " + values.length + " were given");
    }
    double[] d = new double[values.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = dtype.round(values[i]);
    }
    return new NDArray(dtype, shape, d);
  }

  public static NDArray of(DType dtype, int[] dims, double... values) {
    return of(dtype, Shape.of(dims), values);
  }

  public static NDArray scalar(DType dtype, double value) {
    return of(dtype, Shape.scalar(), value);
  }

  public static NDArray filled(DType dtype, Shape shape, double value) {
    double[] d = new double[shape.size()];
    Arrays.fill(d, dtype.round(value));
    return new NDArray(dtype, shape, d);
  }

  public static NDArray zeros(DType dtype, Shape shape) {
    return filled(dtype, shape, 0);
  }

  /** Element {@code i} (row-major) is {@code f(i)}. */
  public static NDArray generate(DType dtype, Shape shape, IntToDoubleFunction f) {
    double[] d = new double[shape.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = dtype.round(f.applyAsDouble(i));
    }
    return new NDArray(dtype, shape, d);
  }

  public DType dtype() {
    return dtype;
  }

  public Shape shape() {
    return shape;
  }

  public TensorType type() {
    return new TensorType(dtype, shape);
  }

  public int size() {
    return data.length;
  }

  /** Element at row-major position {@code i}. */
  public double get(int i) {
    return data[i];
  }

  /** Element at a multi-index. */
  public double at(int... index) {
    if (index.length != shape.rank()) {
      throw new AdjointException("index of rank " + index.length + " for a value of shape " + shape);
    }
    int flat = 0;
    int[] strides = shape.strides();
    for (int a = 0; a < index.length; a++) {
      if (index[a] < 0 || index[a] >= shape.dim(a)) {
        throw new AdjointException("index " + Arrays.toString(index) + " out of bounds for shape " + shape);
      }
      flat += index[a] * strides[a];
    }
    return data[flat];
  }

  /** A copy of the elements. */
  public double[] toDoubleArray() {
    return data.clone();
  }

  public float[] toFloatArray() {
    float[] f = new float[data.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) data[i];
    }
    return f;
  }

  /** The single element of a one-element value. */
  public double item() {
    if (data.length != 1) {
      throw new AdjointException("item() needs exactly one element, shape is " + shape);
    }
    return data[0];
  }

  public NDArray withDType(DType to) {
    return of(to, shape, data);
  }

  public NDArray reshape(Shape to) {
    if (to.size() != data.length) {
      throw new AdjointException("cannot reshape " + shape + " to " + to);
    }
    return new NDArray(dtype, to, data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NDArray a
        && dtype == a.dtype
        && shape.equals(a.shape)
        && Arrays.equals(data, a.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + shape.hashCode()) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    int shown = Math.min(data.length, 8);
    StringBuilder sb = new StringBuilder(type().toString()).append(" [");
    for (int i = 0; i < shown; i++) {
      sb.append(i == 0 ? "" : ", ").append(data[i]);
    }
    return sb.append(data.length > shown ? ", ...]" : "]").toString();
  }
}
