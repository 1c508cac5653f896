package dev.adjoint.reference;

import static dev.adjoint.reference.Fixtures.apply;
import static dev.adjoint.reference.Fixtures.dims;
import static dev.adjoint.reference.Fixtures.f64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ClassificationTest {

  // ---- one-hot ----

  @Test
  void oneHotRows() {
    NDArray out = apply(NDArray.of(DType.I32, dims(3), 2, 0, 1), x -> x.oneHot(3, DType.F32));
    assertEquals(DType.F32, out.dtype());
    assertEquals(Shape.of(3, 3), out.shape());
    assertArrayEquals(new double[] {0, 0, 1, 1, 0, 0, 0, 1, 0}, out.toDoubleArray());
  }

  @Test
  void oneHotOfAMatrixOfLabels() {
    NDArray out = apply(NDArray.of(DType.I64, dims(2, 2), 1, 0, 0, 1), x -> x.oneHot(2, DType.F64));
    assertEquals(Shape.of(2, 2, 2), out.shape());
    assertArrayEquals(new double[] {0, 1, 1, 0, 1, 0, 0, 1}, out.toDoubleArray());
  }

  @Test
  void oneHotLabelOutOfRangeNamesTheRow() {
    NDArray labels = NDArray.of(DType.I32, dims(5), 0, 1, 2, 12, 4);
    AdjointException e = assertThrows(AdjointException.class, () -> apply(labels, x -> x.oneHot(10, DType.F32)));
    assertTrue(e.getMessage().contains("'one_hot_1' (one_hot)"), e.getMessage());
    assertTrue(e.getMessage().contains("row 3 has label 12, expected 0..9"), e.getMessage());
  }

  @Test
  void negativeLabelInAMatrixNamesThePosition() {
    NDArray labels = NDArray.of(DType.I32, dims(2, 2), 0, 1, -1, 0);
    AdjointException e = assertThrows(AdjointException.class, () -> apply(labels, x -> x.oneHot(2, DType.F64)));
    assertTrue(e.getMessage().contains("position [1, 0] has label -1, expected 0..1"), e.getMessage());
  }

  // ---- softmax and log-softmax ----

  @Test
  void softmaxAlongTheLastAxisMatchesTheFormula() {
    double[] x = {1, 2, 3, -1, 0, 0.5};
    NDArray out = apply(f64(dims(2, 3), x), t -> t.softmax(1));
    for (int r = 0; r < 2; r++) {
      double total = 0;
      for (int c = 0; c < 3; c++) {
        total += Math.exp(x[r * 3 + c]);
      }
      for (int c = 0; c < 3; c++) {
        assertEquals(Math.exp(x[r * 3 + c]) / total, out.at(r, c), 1e-15);
      }
    }
  }

  @Test
  void softmaxAlongTheFirstAxis() {
    double[] x = {1, 2, 3, -1, 0, 0.5}; // [3, 2]: columns are the distributions
    NDArray out = apply(f64(dims(3, 2), x), t -> t.softmax(0));
    for (int c = 0; c < 2; c++) {
      double total = Math.exp(x[c]) + Math.exp(x[2 + c]) + Math.exp(x[4 + c]);
      for (int r = 0; r < 3; r++) {
        assertEquals(Math.exp(x[r * 2 + c]) / total, out.at(r, c), 1e-15);
      }
    }
  }

  @Test
  void logSoftmaxIsTheLogOfTheFormula() {
    double[] x = {0.5, -2, 4};
    NDArray out = apply(f64(dims(3), x), t -> t.logSoftmax(0));
    double total = Math.exp(0.5) + Math.exp(-2) + Math.exp(4);
    for (int i = 0; i < 3; i++) {
      assertEquals(Math.log(Math.exp(x[i]) / total), out.get(i), 1e-14);
    }
  }

  @Property(tries = 100)
  void softmaxRowsAreDistributionsAndLogSoftmaxTheirLogs(
      @ForAll @Size(min = 1, max = 8) List<@DoubleRange(min = -50, max = 50) Double> row) {
    NDArray x = f64(dims(row.size()), row.stream().mapToDouble(Double::doubleValue).toArray());
    NDArray p = apply(x, t -> t.softmax(0));
    NDArray logP = apply(x, t -> t.logSoftmax(0));
    double total = 0;
    for (int i = 0; i < p.size(); i++) {
      assertTrue(p.get(i) >= 0 && p.get(i) <= 1);
      assertEquals(Math.log(p.get(i)), logP.get(i), 1e-12);
      total += p.get(i);
    }
    assertEquals(1, total, 1e-14);
  }

  @Test
  void largeLogitsStayFinite() {
    NDArray x = f64(dims(2, 3), 1000, 999, -1000, -1000, -1000, -999);
    double[] p = apply(x, t -> t.softmax(1)).toDoubleArray();
    double[] logP = apply(x, t -> t.logSoftmax(1)).toDoubleArray();
    double e = Math.exp(-1);
    // Row 0: the third logit is 2000 below the others, so its probability underflows to 0.
    assertArrayEquals(new double[] {1 / (1 + e), e / (1 + e), 0, e / (2 * e + 1), e / (2 * e + 1), 1 / (2 * e + 1)}, p, 1e-15);
    assertEquals(-Math.log1p(e), logP[0], 1e-15);
    assertEquals(-1 - Math.log1p(e), logP[1], 1e-15);
    assertEquals(-2000 - Math.log1p(e), logP[2], 1e-12);
    assertEquals(-Math.log(2 * e + 1), logP[5], 1e-15);
  }

  @Test
  void minusInfinityLogitsGetZeroProbability() {
    NDArray x = f64(dims(3), Double.NEGATIVE_INFINITY, 0, Math.log(3));
    assertArrayEquals(new double[] {0, 0.25, 0.75}, apply(x, t -> t.softmax(0)).toDoubleArray(), 1e-15);
    double[] logP = apply(x, t -> t.logSoftmax(0)).toDoubleArray();
    assertEquals(Double.NEGATIVE_INFINITY, logP[0]);
    assertEquals(Math.log(0.25), logP[1], 1e-15);
  }

  // ---- softmax cross-entropy ----

  private static final double[] LOGITS = {2, 1, 0.1, 0.5, 2.5, -1};

  private static double logSumExp(int row) {
    double total = 0;
    for (int c = 0; c < 3; c++) {
      total += Math.exp(LOGITS[row * 3 + c]);
    }
    return Math.log(total);
  }

  private static NDArray crossEntropy(Op.Reduction reduction, NDArray labels) {
    return apply(f64(dims(2, 3), LOGITS), labels, (x, y) -> x.builder().add(new Op.SoftmaxCrossEntropy(reduction), x, y));
  }

  @Test
  void integerLabelsGiveMinusLogProbabilityOfTheLabel() {
    NDArray labels = NDArray.of(DType.I32, dims(2), 0, 1);
    double row0 = logSumExp(0) - LOGITS[0];
    double row1 = logSumExp(1) - LOGITS[4];
    NDArray none = crossEntropy(Op.Reduction.NONE, labels);
    assertEquals(Shape.of(2), none.shape());
    assertArrayEquals(new double[] {row0, row1}, none.toDoubleArray(), 1e-15);
    assertEquals(row0 + row1, crossEntropy(Op.Reduction.SUM, labels).item(), 1e-15);
    assertEquals((row0 + row1) / 2, crossEntropy(Op.Reduction.MEAN, labels).item(), 1e-15);
  }

  @Test
  void probabilityTargetsGiveTheCrossEntropyOfTheDistributions() {
    double[] t = {0.2, 0.3, 0.5, 1, 0, 0};
    double expected = 0;
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        expected -= t[r * 3 + c] * (LOGITS[r * 3 + c] - logSumExp(r));
      }
    }
    assertEquals(expected, crossEntropy(Op.Reduction.SUM, f64(dims(2, 3), t)).item(), 1e-14);
    assertEquals(expected / 2, crossEntropy(Op.Reduction.MEAN, f64(dims(2, 3), t)).item(), 1e-14);
  }

  @Test
  void crossEntropyIsStableForLargeLogits() {
    NDArray logits = f64(dims(1, 2), 1000, -1000);
    NDArray labels = NDArray.of(DType.I64, dims(1), 1);
    NDArray loss = apply(logits, labels, (x, y) -> x.builder().add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), x, y));
    assertEquals(2000, loss.item(), 1e-12);
  }

  @Test
  void crossEntropyLabelOutOfRangeNamesTheRow() {
    NDArray labels = NDArray.of(DType.I32, dims(2), 0, 3);
    AdjointException e = assertThrows(AdjointException.class, () -> crossEntropy(Op.Reduction.MEAN, labels));
    assertTrue(e.getMessage().contains("'softmax_cross_entropy_1' (softmax_cross_entropy)"), e.getMessage());
    assertTrue(e.getMessage().contains("row 1 has label 3, expected 0..2"), e.getMessage());
  }

  @Test
  void meanOverTheBoundBatch() {
    GraphBuilder b = new GraphBuilder("loss");
    Tensor logits = b.input("logits", DType.F64, Shape.BATCH, 3);
    Tensor labels = b.input("labels", DType.I32, Shape.BATCH);
    var graph = b.build(b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels));
    NDArray one = ReferenceInterpreter.run(
        graph, Map.of("logits", f64(dims(1, 3), 2, 1, 0.1), "labels", NDArray.of(DType.I32, dims(1), 0))).get(0);
    assertEquals(logSumExp(0) - LOGITS[0], one.item(), 1e-15);
    NDArray three = ReferenceInterpreter.run(
        graph,
        Map.of("logits", f64(dims(3, 3), 2, 1, 0.1, 0.5, 2.5, -1, 2, 1, 0.1),
            "labels", NDArray.of(DType.I32, dims(3), 0, 1, 2))).get(0);
    double expected = (logSumExp(0) - LOGITS[0] + logSumExp(1) - LOGITS[4] + logSumExp(0) - LOGITS[2]) / 3;
    assertEquals(expected, three.item(), 1e-15);
  }
}
