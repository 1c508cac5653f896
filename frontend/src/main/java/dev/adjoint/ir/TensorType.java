package dev.adjoint.ir;

/** The static type of a node's value: element type and shape. Printed as {@code f32[N,784]}. */
public record TensorType(DType dtype, Shape shape) {

  public static TensorType of(DType dtype, int... dims) {
    return new TensorType(dtype, Shape.of(dims));
  }

  public int rank() {
    return shape.rank();
  }

  public TensorType withShape(Shape s) {
    return new TensorType(dtype, s);
  }

  public TensorType withDType(DType d) {
    return new TensorType(d, shape);
  }

  @Override
  public String toString() {
    return dtype.text() + shape;
  }
}
