package dev.adjoint.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightsTest {

  /** x[N,4] · w[4,3] + b[3], plus a running-mean state; w and b have distinct keys. */
  private static Graph model() {
    GraphBuilder b = new GraphBuilder("model");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 4);
    Tensor w = b.parameter("w", DType.F32, new Initializer.Uniform(-1, 1), 4, 3);
    Tensor bias = b.parameter("b", DType.F64, new Initializer.Uniform(-1, 1), 3);
    Tensor mean = b.state("running_mean", DType.F32, Shape.of(3), Initializer.ones());
    return b.build(x.matmul(w).plus(mean), bias);
  }

  @Test
  void coversParametersAndStatesInGraphOrderWithTheirTypes() {
    Map<String, NDArray> values = Weights.initialize(model(), 7);

    assertEquals(List.of("w", "b", "running_mean"), List.copyOf(values.keySet()));
    assertEquals(TensorType.of(DType.F32, 4, 3), values.get("w").type());
    assertEquals(TensorType.of(DType.F64, 3), values.get("b").type());
    assertEquals(TensorType.of(DType.F32, 3), values.get("running_mean").type());
    assertArrayEquals(new double[] {1, 1, 1}, values.get("running_mean").toDoubleArray());
  }

  @Test
  void drawsComeFromTheInitializerRange() {
    NDArray w = Weights.initialize(model(), 7).get("w");
    for (int i = 0; i < w.size(); i++) {
      assertTrue(w.get(i) >= -1 && w.get(i) < 1, "element " + i + " = " + w.get(i));
    }
    // Twelve uniform draws that all coincide would mean the stream is not random at all.
    assertTrue(Arrays.stream(w.toDoubleArray()).distinct().count() > 1);
  }

  @Test
  void sameSeedReproduces() {
    assertEquals(Weights.initialize(model(), 42), Weights.initialize(model(), 42));
  }

  @Test
  void seedChangesParameters() {
    Map<String, NDArray> a = Weights.initialize(model(), 1);
    Map<String, NDArray> b = Weights.initialize(model(), 2);
    assertNotEquals(a.get("w"), b.get("w"));
    assertNotEquals(a.get("b"), b.get("b"));
    assertEquals(a.get("running_mean"), b.get("running_mean"));
  }

  @Test
  void parametersWithDifferentKeysDrawDifferentStreams() {
    GraphBuilder b = new GraphBuilder("twins");
    Tensor p = b.parameter("p", DType.F64, new Initializer.Normal(0, 1), 5);
    Tensor q = b.parameter("q", DType.F64, new Initializer.Normal(0, 1), 5);
    Map<String, NDArray> values = Weights.initialize(b.build(p, q), 3);
    assertNotEquals(values.get("p"), values.get("q"));
  }

  @Test
  void resultIsUnmodifiable() {
    Map<String, NDArray> values = Weights.initialize(model(), 0);
    assertThrows(UnsupportedOperationException.class, () -> values.remove("w"));
  }

  @Test
  void graphWithoutWeightsGivesEmptyMap() {
    GraphBuilder b = new GraphBuilder("plain");
    Tensor x = b.input("x", DType.F64, 2);
    assertTrue(Weights.initialize(b.build(x.exp()), 0).isEmpty());
  }

  @Test
  void batchedParameterIsRejectedByName() {
    GraphBuilder b = new GraphBuilder("bad");
    Tensor p = b.parameter("per_row", DType.F32, Shape.batched(3), Initializer.zeros());
    AdjointException e = assertThrows(AdjointException.class, () -> Weights.initialize(b.build(p), 0));
    assertTrue(e.getMessage().contains("'per_row' (parameter)"), e.getMessage());
    assertTrue(e.getMessage().contains("f32[N,3]"), e.getMessage());
  }

  @Test
  void batchedStateIsRejectedByName() {
    GraphBuilder b = new GraphBuilder("bad");
    Tensor s = b.state("cache", DType.F64, Shape.batched(2), Initializer.zeros());
    AdjointException e = assertThrows(AdjointException.class, () -> Weights.initialize(b.build(s), 0));
    assertTrue(e.getMessage().contains("'cache' (state)"), e.getMessage());
  }
}
