package dev.adjoint.reference;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Small helpers shared by the interpreter tests. */
final class Fixtures {
  private Fixtures() {}

  static int[] dims(int... dims) {
    return dims;
  }

  static NDArray f64(int[] dims, double... values) {
    return NDArray.of(DType.F64, dims, values);
  }

  /** Builds {@code body(x)} over one input {@code x} of {@code value}'s type and runs it. */
  static NDArray apply(NDArray value, Function<Tensor, Tensor> body) {
    GraphBuilder b = new GraphBuilder("test");
    Tensor x = b.input("x", value.type());
    return ReferenceInterpreter.run(b.build(body.apply(x)), Map.of("x", value)).get(0);
  }

  /** Builds {@code body(x, y)} over inputs {@code x} and {@code y} of the values' types and runs it. */
  static NDArray apply(NDArray xValue, NDArray yValue, BiFunction<Tensor, Tensor, Tensor> body) {
    GraphBuilder b = new GraphBuilder("test");
    Tensor x = b.input("x", xValue.type());
    Tensor y = b.input("y", yValue.type());
    return ReferenceInterpreter.run(b.build(body.apply(x, y)), Map.of("x", xValue, "y", yValue)).get(0);
  }
}
