package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.autodiff.Losses;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op.Reduction;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.testing.GradientCheck;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Every loss against a direct per-element computation in double (PyTorch's definitions), under
 * each reduction, plus a gradient check through it.
 */
class LossesTest {
  private static final double[] P = {0.3, -1.2, 2.5, 0.05, -0.4, 1.1};
  private static final double[] T = {0.1, -0.2, 0.5, 0.9, 0.7, 2.6};
  private static final double[] PROB = {0.2, 0.9, 0.55, 0.01, 0.7, 0.35};
  private static final double[] BIN = {0, 1, 1, 0, 1, 0};

  private static double eval(BiFunction<Tensor, Tensor, Tensor> loss, double[] p, double[] t, Reduction check) {
    GraphBuilder b = new GraphBuilder("loss");
    Tensor pt = b.input("p", DType.F64, 2, 3);
    Tensor tt = b.input("t", DType.F64, 2, 3);
    Tensor l = loss.apply(pt, tt);
    NDArray out = ReferenceInterpreter.run(b.build(l), Map.of(
        "p", NDArray.of(DType.F64, new int[] {2, 3}, p), "t", NDArray.of(DType.F64, new int[] {2, 3}, t))).get(0);
    if (check == Reduction.NONE) {
      assertEquals(Shape.of(2, 3), out.shape());
      double s = 0;
      for (int i = 0; i < out.size(); i++) {
        s += out.get(i);
      }
      return s;
    }
    assertEquals(Shape.scalar(), out.shape());
    return out.item();
  }

  /** Checks MEAN, SUM and NONE of an elementwise loss against {@code perElement}. */
  private static void assertElementwise(
      java.util.function.Function<Reduction, BiFunction<Tensor, Tensor, Tensor>> loss,
      double[] p, double[] t, DoubleBinaryOperator perElement) {
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      sum += perElement.applyAsDouble(p[i], t[i]);
    }
    assertEquals(sum / p.length, eval(loss.apply(Reduction.MEAN), p, t, Reduction.MEAN), 1e-14);
    assertEquals(sum, eval(loss.apply(Reduction.SUM), p, t, Reduction.SUM), 1e-14);
    assertEquals(sum, eval(loss.apply(Reduction.NONE), p, t, Reduction.NONE), 1e-14);
  }

  @Test
  void mse() {
    assertElementwise(r -> (p, t) -> Losses.mse(p, t, r), P, T, (p, t) -> (p - t) * (p - t));
  }

  @Test
  void l1() {
    assertElementwise(r -> (p, t) -> Losses.l1(p, t, r), P, T, (p, t) -> Math.abs(p - t));
  }

  @Test
  void huberAndSmoothL1() {
    double delta = 0.8;
    assertElementwise(r -> (p, t) -> Losses.huber(p, t, delta, r), P, T, (p, t) -> {
      double d = Math.abs(p - t);
      return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    });
    assertElementwise(r -> (p, t) -> Losses.smoothL1(p, t, delta, r), P, T, (p, t) -> {
      double d = Math.abs(p - t);
      return d < delta ? 0.5 * d * d / delta : d - 0.5 * delta;
    });
  }

  @Test
  void binaryCrossEntropy() {
    assertElementwise(r -> (p, t) -> Losses.binaryCrossEntropy(p, t, r), PROB, BIN,
        (p, t) -> -(t * Math.log(p) + (1 - t) * Math.log(1 - p)));
  }

  @Test
  void binaryCrossEntropyClampsTheLogAtMinus100() {
    double[] p = {0, 1, 0.5, 0.5, 0.5, 0.5};
    double[] t = {1, 0, 1, 1, 1, 1};
    double expected = (100 + 100 + 4 * Math.log(2)) / 6;
    assertEquals(expected, eval((a, b) -> Losses.binaryCrossEntropy(a, b, Reduction.MEAN), p, t, Reduction.MEAN), 1e-12);
  }

  @Test
  void binaryCrossEntropyWithLogitsIsStableForLargeLogits() {
    assertElementwise(r -> (p, t) -> Losses.binaryCrossEntropyWithLogits(p, t, r), P, BIN, (x, t) -> {
      double s = 1 / (1 + Math.exp(-x));
      return -(t * Math.log(s) + (1 - t) * Math.log(1 - s));
    });
    double[] big = {1000, -1000, 800, -800, 0, 50};
    double[] t = {0, 1, 1, 0, 1, 1};
    // Exact values: t=0, x=1000 -> 1000; t=1, x=-1000 -> 1000; matching signs -> ~0.
    double expected = (1000 + 1000 + 0 + 0 + Math.log(2) + Math.log1p(Math.exp(-50))) / 6;
    assertEquals(expected, eval((a, b) -> Losses.binaryCrossEntropyWithLogits(a, b, Reduction.MEAN), big, t,
        Reduction.MEAN), 1e-12);
  }

  @Test
  void klDivergenceSkipsZeroTargetsAndAveragesOverTheBatch() {
    double[] logq = {Math.log(0.2), Math.log(0.5), Math.log(0.3), Math.log(0.6), Math.log(0.3), Math.log(0.1)};
    double[] t = {0.1, 0.9, 0.0, 0.5, 0.25, 0.25};
    double sum = 0;
    for (int i = 0; i < t.length; i++) {
      sum += t[i] > 0 ? t[i] * (Math.log(t[i]) - logq[i]) : 0;
    }
    assertEquals(sum / 2, eval((a, b) -> Losses.klDivergence(a, b, Reduction.MEAN), logq, t, Reduction.MEAN), 1e-14);
    assertEquals(sum, eval((a, b) -> Losses.klDivergence(a, b, Reduction.SUM), logq, t, Reduction.SUM), 1e-14);
  }

  @Test
  void hinge() {
    double[] y = {1, -1, 1, -1, 1, -1};
    assertElementwise(r -> (p, t) -> Losses.hinge(p, t, r), P, y, (s, l) -> Math.max(0, 1 - s * l));
  }

  @Test
  void softmaxCrossEntropyWithLabels() {
    GraphBuilder b = new GraphBuilder("ce");
    Tensor logits = b.input("logits", DType.F64, Shape.BATCH, 3);
    Tensor labels = b.input("labels", DType.I32, Shape.BATCH);
    Tensor mean = Losses.softmaxCrossEntropy(logits, labels);
    Tensor sum = Losses.softmaxCrossEntropy(logits, labels, Reduction.SUM);
    List<NDArray> out = ReferenceInterpreter.run(b.build(mean, sum), Map.of(
        "logits", NDArray.of(DType.F64, new int[] {2, 3}, P),
        "labels", NDArray.of(DType.I32, new int[] {2}, 2, 0)));
    double row0 = Math.log(Math.exp(P[0]) + Math.exp(P[1]) + Math.exp(P[2])) - P[2];
    double row1 = Math.log(Math.exp(P[3]) + Math.exp(P[4]) + Math.exp(P[5])) - P[3];
    assertEquals((row0 + row1) / 2, out.get(0).item(), 1e-14);
    assertEquals(row0 + row1, out.get(1).item(), 1e-14);
  }

  @Test
  void labelOutOfRangeNamesTheBatchRow() {
    GraphBuilder b = new GraphBuilder("ce");
    Tensor logits = b.input("logits", DType.F64, Shape.BATCH, 3);
    Tensor labels = b.input("labels", DType.I32, Shape.BATCH);
    Tensor loss = Losses.softmaxCrossEntropy(logits, labels);
    AdjointException e = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(b.build(loss), Map.of(
        "logits", NDArray.of(DType.F64, new int[] {2, 3}, P),
        "labels", NDArray.of(DType.I32, new int[] {2}, 1, 3))));
    assertTrue(e.getMessage().contains(loss.name()), e.getMessage());
    assertTrue(e.getMessage().contains("row 1"), e.getMessage());
  }

  @Test
  void mismatchedPredictionAndTargetAreRejected() {
    GraphBuilder b = new GraphBuilder("bad");
    Tensor p = b.input("p", DType.F64, Shape.BATCH);
    Tensor t = b.input("t", DType.F64, Shape.BATCH, 1);
    AdjointException e = assertThrows(AdjointException.class, () -> Losses.mse(p, t));
    assertTrue(e.getMessage().contains("f64[N]") && e.getMessage().contains("f64[N,1]"), e.getMessage());
  }

  @Test
  void everyLossHasCorrectGradients() {
    List<BiFunction<Tensor, Tensor, Tensor>> losses = List.of(
        (p, t) -> Losses.mse(p, t),
        (p, t) -> Losses.l1(p, t),
        (p, t) -> Losses.huber(p, t, 0.8, Reduction.MEAN),
        (p, t) -> Losses.smoothL1(p, t, 0.8, Reduction.SUM),
        (p, t) -> Losses.binaryCrossEntropy(p.sigmoid(), t.sigmoid(), Reduction.MEAN),
        (p, t) -> Losses.binaryCrossEntropyWithLogits(p, t.sigmoid(), Reduction.MEAN),
        (p, t) -> Losses.klDivergence(p.logSoftmax(1), t.softmax(1), Reduction.MEAN),
        (p, t) -> Losses.hinge(p, t.sign(), Reduction.MEAN),
        (p, t) -> Losses.softmaxCrossEntropy(p, t.softmax(1), Reduction.MEAN));
    for (BiFunction<Tensor, Tensor, Tensor> loss : losses) {
      GraphBuilder b = new GraphBuilder("grad");
      Tensor p = b.input("p", DType.F64, 2, 3);
      Tensor t = b.input("t", DType.F64, 2, 3);
      Tensor l = loss.apply(p, t);
      GradientCheck.assertGradients(b.build(l), 0, Map.of(
          "p", NDArray.of(DType.F64, new int[] {2, 3}, P), "t", NDArray.of(DType.F64, new int[] {2, 3}, T)),
          List.of("p", "t"));
    }
  }
}
