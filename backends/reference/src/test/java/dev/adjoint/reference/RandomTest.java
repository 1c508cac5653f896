package dev.adjoint.reference;

import static dev.adjoint.reference.Fixtures.dims;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.runtime.Philox;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RandomTest {
  private static final int COUNT = 100_000;
  private static final long SEED = 1234;
  private static final long KEY = 7;

  /** dropout(x, step) with the given p over an f64 input of {@code size} elements. */
  private static Graph dropout(double p, int size) {
    GraphBuilder b = new GraphBuilder("dropout");
    Tensor x = b.input("x", DType.F64, size);
    return b.build(b.add(new Op.Dropout(p, SEED, KEY), x, b.step()));
  }

  private static NDArray run(Graph graph, NDArray x, long step) {
    return ReferenceInterpreter.run(graph, Map.of("x", x, "step", NDArray.scalar(DType.I64, step))).get(0);
  }

  private static NDArray ones(int size) {
    return NDArray.filled(DType.F64, Shape.of(size), 1);
  }

  @Test
  void dropoutWithPZeroIsTheIdentity() {
    NDArray x = NDArray.generate(DType.F64, Shape.of(1000), i -> i * 0.37 - 100);
    assertEquals(x, run(dropout(0, 1000), x, 3));
  }

  @Test
  void dropoutWithPOneGivesZerosWithoutNaN() {
    NDArray out = run(dropout(1, 1000), ones(1000), 3);
    assertArrayEquals(new double[1000], out.toDoubleArray());
  }

  @Test
  void keepRateIsOneMinusPAndKeptValuesAreScaled() {
    for (double p : new double[] {0.1, 0.5, 0.8}) {
      double[] out = run(dropout(p, COUNT), ones(COUNT), 11).toDoubleArray();
      int kept = 0;
      for (double v : out) {
        if (v != 0) {
          kept++;
          assertEquals(1 / (1 - p), v, 1e-15);
        }
      }
      // Binomial standard deviation is at most 0.0016 at this size; five of them is a safe bound.
      assertEquals(1 - p, kept / (double) COUNT, 0.008, "p = " + p);
    }
  }

  @Test
  void maskIsKeyedBySeedStepAndKey() {
    Graph graph = dropout(0.5, COUNT);
    NDArray first = run(graph, ones(COUNT), 5);
    assertEquals(first, run(graph, ones(COUNT), 5));
    assertNotEquals(first, run(graph, ones(COUNT), 6));
    for (int i = 0; i < COUNT; i += 997) {
      boolean kept = Philox.uniform(SEED, 5, KEY, i) >= 0.5;
      assertEquals(kept ? 2 : 0, first.get(i));
    }
  }

  @Test
  void f32DropoutRoundsTheScaledValue() {
    GraphBuilder b = new GraphBuilder("dropout32");
    Tensor x = b.input("x", DType.F32, 64);
    Graph graph = b.build(b.add(new Op.Dropout(0.3, SEED, KEY), x, b.step()));
    NDArray xs = NDArray.filled(DType.F32, Shape.of(64), 0.1f);
    NDArray out = ReferenceInterpreter.run(graph, Map.of("x", xs, "step", NDArray.scalar(DType.I64, 0))).get(0);
    assertEquals(DType.F32, out.dtype());
    for (int i = 0; i < 64; i++) {
      assertTrue(out.get(i) == 0 || out.get(i) == (float) (0.1f / (1 - 0.3)), "element " + i + " = " + out.get(i));
    }
  }

  @Test
  void randomUniformFollowsPhiloxAndHasTheShapeOfItsOperand() {
    GraphBuilder b = new GraphBuilder("uniform");
    Tensor like = b.input("like", DType.F32, Shape.BATCH, 2);
    Graph graph = b.build(b.add(new Op.RandomUniform(SEED, KEY, DType.F64), like, b.step()));
    NDArray out = ReferenceInterpreter.run(
        graph, Map.of("like", NDArray.zeros(DType.F32, Shape.of(3, 2)), "step", NDArray.scalar(DType.I64, 9))).get(0);
    assertEquals(Shape.of(3, 2), out.shape());
    assertEquals(DType.F64, out.dtype());
    for (int i = 0; i < 6; i++) {
      assertEquals(Philox.uniform(SEED, 9, KEY, i), out.get(i));
    }
  }

  @Test
  void randomUniformIsUniformOnTheUnitInterval() {
    GraphBuilder b = new GraphBuilder("uniform");
    Tensor like = b.input("like", DType.F64, COUNT);
    Graph graph = b.build(b.add(new Op.RandomUniform(SEED, KEY, DType.F64), like, b.step()));
    double[] u = ReferenceInterpreter.run(
        graph, Map.of("like", NDArray.zeros(DType.F64, Shape.of(COUNT)), "step", NDArray.scalar(DType.I64, 0)))
        .get(0).toDoubleArray();
    double total = 0;
    int below = 0;
    for (double v : u) {
      assertTrue(v >= 0 && v < 1);
      total += v;
      below += v < 0.25 ? 1 : 0;
    }
    // Mean 1/2 (sd 0.0009) and a quarter below 0.25 (sd 0.0014), within five deviations.
    assertEquals(0.5, total / COUNT, 0.0046);
    assertEquals(0.25, below / (double) COUNT, 0.007);
  }

  @Test
  void dropoutOfABatchedInputUsesTheFlatIndex() {
    GraphBuilder b = new GraphBuilder("batched");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 4);
    Graph graph = b.build(b.add(new Op.Dropout(0.5, SEED, KEY), x, b.step()));
    NDArray xs = NDArray.filled(DType.F64, Shape.of(3, 4), 1);
    NDArray out = ReferenceInterpreter.run(graph, Map.of("x", xs, "step", NDArray.scalar(DType.I64, 2))).get(0);
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < 4; c++) {
        boolean kept = Philox.uniform(SEED, 2, KEY, r * 4 + c) >= 0.5;
        assertEquals(kept ? 2 : 0, out.at(dims(r, c)));
      }
    }
  }
}
