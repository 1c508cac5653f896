package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.ShapeException;
import dev.adjoint.nn.BatchNorm;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The batch-norm layer follows ARCHITECTURE.md's conventions (PyTorch's): training normalizes
 * with the biased batch variance and updates {@code running = 0.9·running + 0.1·batch} with the
 * unbiased variance; inference uses the running statistics; eps 1e-5.
 */
class BatchNormLayerTest {
  private static final int C = 3;

  private static NDArray random(int[] dims, long seed) {
    Random r = new Random(seed);
    return NDArray.generate(DType.F64, Shape.of(dims), i -> r.nextGaussian() * 2 + 1);
  }

  /** Per channel of x (axis 1): {mean, biased variance, count}. */
  private static double[][] channelStats(NDArray x) {
    int spatial = x.size() / (x.shape().dim(0) * C);
    double[][] s = new double[C][3];
    for (int i = 0; i < x.size(); i++) {
      int c = i / spatial % C;
      s[c][0] += x.get(i);
      s[c][2]++;
    }
    for (double[] c : s) {
      c[0] /= c[2];
    }
    for (int i = 0; i < x.size(); i++) {
      double[] c = s[i / spatial % C];
      c[1] += (x.get(i) - c[0]) * (x.get(i) - c[0]) / c[2];
    }
    return s;
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 4})
  void trainingNormalizesWithTheBatchAndUpdatesRunningStatistics(int rank) {
    GraphBuilder b = new GraphBuilder("bn");
    Tensor x = b.input("x", DType.F64, rank == 2 ? new int[] {-1, C} : new int[] {-1, C, 2, 3});
    BatchNorm bn = BatchNorm.create(b, "bn", DType.F64, C);
    Graph g = b.build(bn.invoke(x));
    NDArray xv = random(rank == 2 ? new int[] {5, C} : new int[] {4, C, 2, 3}, rank);
    NDArray gamma = NDArray.of(DType.F64, new int[] {C}, 0.5, 2, -1);
    NDArray beta = NDArray.of(DType.F64, new int[] {C}, 0.1, -0.2, 0.3);
    NDArray runningMean = NDArray.of(DType.F64, new int[] {C}, 1, 2, 3);
    NDArray runningVar = NDArray.of(DType.F64, new int[] {C}, 4, 5, 6);
    var run = ReferenceInterpreter.execute(g, Map.of("x", xv, "bn/gamma", gamma, "bn/beta", beta,
        "bn/running_mean", runningMean, "bn/running_var", runningVar));

    double[][] stats = channelStats(xv);
    int spatial = xv.size() / (xv.shape().dim(0) * C);
    NDArray y = run.outputs().get(0);
    for (int i = 0; i < xv.size(); i++) {
      int c = i / spatial % C;
      double want = (xv.get(i) - stats[c][0]) / Math.sqrt(stats[c][1] + 1e-5) * gamma.get(c) + beta.get(c);
      assertEquals(want, y.get(i), 1e-12);
    }
    for (int c = 0; c < C; c++) {
      double unbiased = stats[c][1] * stats[c][2] / (stats[c][2] - 1);
      assertEquals(0.9 * runningMean.get(c) + 0.1 * stats[c][0], run.updatedState().get("bn/running_mean").get(c), 1e-14);
      assertEquals(0.9 * runningVar.get(c) + 0.1 * unbiased, run.updatedState().get("bn/running_var").get(c), 1e-13);
    }
  }

  @Test
  void inferenceUsesTheRunningStatisticsAndUpdatesNothing() {
    GraphBuilder b = new GraphBuilder("bn").training(false);
    Tensor x = b.input("x", DType.F64, -1, C, 2, 2);
    Graph g = b.build(BatchNorm.create(b, "bn", DType.F64, C).invoke(x));
    assertTrue(g.updates().isEmpty());
    NDArray xv = random(new int[] {1, C, 2, 2}, 9);
    NDArray mean = NDArray.of(DType.F64, new int[] {C}, 1, -1, 0.5);
    NDArray var = NDArray.of(DType.F64, new int[] {C}, 0.25, 4, 1);
    NDArray y = ReferenceInterpreter.run(g, Map.of("x", xv, "bn/gamma", NDArray.filled(DType.F64, Shape.of(C), 2),
        "bn/beta", NDArray.filled(DType.F64, Shape.of(C), 1), "bn/running_mean", mean, "bn/running_var", var)).get(0);
    for (int i = 0; i < xv.size(); i++) {
      int c = i / 4 % C;
      assertEquals((xv.get(i) - mean.get(c)) / Math.sqrt(var.get(c) + 1e-5) * 2 + 1, y.get(i), 1e-13);
    }
  }

  @Test
  void oneValuePerChannelInTrainingModeIsAClearError() {
    GraphBuilder staticBatch = new GraphBuilder("bn");
    Tensor x = staticBatch.input("x", DType.F64, 1, C);
    BatchNorm bn = BatchNorm.create(staticBatch, "bn", DType.F64, C);
    ShapeException e = assertThrows(ShapeException.class, () -> bn.invoke(x));
    assertTrue(e.getMessage().contains("more than one value per channel"), e.getMessage());

    GraphBuilder symbolic = new GraphBuilder("bn");
    Tensor xs = symbolic.input("x", DType.F64, -1, C);
    Graph g = symbolic.build(BatchNorm.create(symbolic, "bn", DType.F64, C).invoke(xs));
    Map<String, NDArray> feeds = new java.util.HashMap<>(dev.adjoint.ir.Weights.initialize(g, 0));
    feeds.put("x", random(new int[] {1, C}, 1));
    AdjointException runtime = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(g, feeds));
    assertTrue(runtime.getMessage().contains("more than one value per channel"), runtime.getMessage());
    assertTrue(runtime.getMessage().contains("batch_norm_training"), runtime.getMessage());
  }

  @Test
  void inferenceModeAllowsOneValuePerChannel() {
    GraphBuilder b = new GraphBuilder("bn").training(false);
    Tensor x = b.input("x", DType.F64, 1, C);
    Graph g = b.build(BatchNorm.create(b, "bn", DType.F64, C).invoke(x));
    NDArray y = ReferenceInterpreter.run(g, Map.of("x", NDArray.filled(DType.F64, Shape.of(1, C), 3),
        "bn/gamma", NDArray.filled(DType.F64, Shape.of(C), 1), "bn/beta", NDArray.filled(DType.F64, Shape.of(C), 0),
        "bn/running_mean", NDArray.filled(DType.F64, Shape.of(C), 1),
        "bn/running_var", NDArray.filled(DType.F64, Shape.of(C), 1))).get(0);
    assertEquals(2 / Math.sqrt(1 + 1e-5), y.get(0), 1e-14);
  }

  @Test
  void wrongChannelCountNamesTheLayer() {
    GraphBuilder b = new GraphBuilder("bn");
    Tensor x = b.input("x", DType.F64, -1, 4, 2, 2);
    BatchNorm bn = BatchNorm.create(b, "norm1", DType.F64, C);
    AdjointException e = assertThrows(AdjointException.class, () -> bn.invoke(x));
    assertTrue(e.getMessage().contains("'norm1'") && e.getMessage().contains("f64[N,4,2,2]"), e.getMessage());
  }
}
