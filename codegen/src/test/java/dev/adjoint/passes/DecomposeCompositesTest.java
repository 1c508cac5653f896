package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.F64;
import static dev.adjoint.ir.DType.I32;
import static dev.adjoint.ir.DType.I64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.runtime.Philox;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each composite against its decomposition on the reference interpreter. In F64 they agree bit for
 * bit (but the sign of zero), as the decompositions compute what the reference does in its order.
 */
class DecomposeCompositesTest {
  private static final double INF = Double.POSITIVE_INFINITY;

  private final Pass pass = new DecomposeComposites();

  /** Values uniform in [-scale, scale), with the given specials at the start. */
  private static NDArray values(DType dtype, Shape shape, long seed, double scale, double... specials) {
    Random random = new Random(seed);
    return NDArray.generate(dtype, shape,
        i -> i < specials.length ? specials[i] : (random.nextDouble() * 2 - 1) * scale);
  }

  private static boolean isComposite(Op op) {
    return op instanceof Op.Softmax || op instanceof Op.LogSoftmax || op instanceof Op.SoftmaxCrossEntropy
        || op instanceof Op.Dropout;
  }

  /** Decomposes {@code g}, checks that no composite is left and that the outputs agree on {@code feeds}. */
  private Graph assertDecomposes(Graph g, Map<String, NDArray> feeds, double tolerance) {
    Graph h = pass.run(g);
    GraphVerifier.verify(g, h, pass.name());
    assertTrue(h.nodes().stream().noneMatch(n -> isComposite(n.op())), GraphPrinter.print(h));
    Semantics.assertSameOutputs(g, h, feeds, tolerance);
    return h;
  }

  @Test
  void softmaxDecomposesIntoAShiftedExponentialOverItsSum() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, Shape.BATCH, 3);
    Graph h = pass.run(b.build(x.softmax(1)));
    assertEquals(
        """
        graph g {
          x = input : f64[N,3]
          softmax_1/zero = constant{value=0.0} : f64[]
          softmax_1/max = reduce_max{axes=[1], keep_dims=true}(x) : f64[N,1]
          softmax_1/max_minus_max = sub(softmax_1/max, softmax_1/max) : f64[N,1]
          softmax_1/max_is_finite = eq(softmax_1/max_minus_max, softmax_1/zero) : bool[N,1]
          softmax_1/finite_max = select(softmax_1/max_is_finite, softmax_1/max, softmax_1/zero) : f64[N,1]
          softmax_1/shift = stop_gradient(softmax_1/finite_max) : f64[N,1]
          softmax_1/shifted = sub(x, softmax_1/shift) : f64[N,3]
          softmax_1/exp = exp(softmax_1/shifted) : f64[N,3]
          softmax_1/sum_exp = reduce_sum{axes=[1], keep_dims=true}(softmax_1/exp) : f64[N,1]
          softmax_1 = div(softmax_1/exp, softmax_1/sum_exp) : f64[N,3]
          return softmax_1
        }
        """,
        GraphPrinter.print(h));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void softmaxAndLogSoftmaxAgreeOnEveryAxis(int axis) {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, Shape.BATCH, 3, 4);
    Graph g = b.build(x.softmax(axis), x.logSoftmax(axis));
    for (double scale : new double[] {1, 1000}) {
      // Infinities and a NaN exercise the guard for rows whose maximum is not finite.
      NDArray value = values(F64, Shape.of(2, 3, 4), 7, scale, -INF, -INF, -INF, -INF, INF, 0, Double.NaN);
      assertDecomposes(g, Map.of("x", value), 0);
    }
  }

  @Test
  void softmaxInF32StaysWithinRounding() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F32, 4, 5);
    Graph g = b.build(x.softmax(1), x.logSoftmax(0));
    assertDecomposes(g, Map.of("x", values(F32, Shape.of(4, 5), 3, 10)), 1e-5);
  }

  @ParameterizedTest
  @EnumSource(Op.Reduction.class)
  void crossEntropyWithLabelsAgrees(Op.Reduction reduction) {
    for (boolean batched : new boolean[] {false, true}) {
      GraphBuilder b = new GraphBuilder("g");
      Tensor logits = b.input("logits", F64, batched ? Shape.BATCH : 4, 5);
      Tensor labels = b.input("labels", I32, batched ? Shape.BATCH : 4);
      Graph g = b.build(b.add(new Op.SoftmaxCrossEntropy(reduction), logits, labels));
      // An -inf logit away from the label must not turn the loss into NaN.
      NDArray x = values(F64, Shape.of(4, 5), 11, 30, -INF, 0, 0, 0, 0, 1000);
      NDArray y = NDArray.of(I32, new int[] {4}, 1, 0, 4, 2);
      assertDecomposes(g, Map.of("logits", x, "labels", y), 0);
      assertTrue(Double.isFinite(ReferenceInterpreter.run(g, Map.of("logits", x, "labels", y)).getFirst().get(0)));
    }
  }

  @ParameterizedTest
  @EnumSource(Op.Reduction.class)
  void crossEntropyWithProbabilitiesAgrees(Op.Reduction reduction) {
    for (boolean batched : new boolean[] {false, true}) {
      GraphBuilder b = new GraphBuilder("g");
      Tensor logits = b.input("logits", F64, batched ? Shape.BATCH : 3, 6);
      Tensor targets = b.input("targets", F64, batched ? Shape.BATCH : 3, 6);
      Graph g = b.build(b.add(new Op.SoftmaxCrossEntropy(reduction), logits, targets));
      Map<String, NDArray> feeds = Map.of(
          "logits", values(F64, Shape.of(3, 6), 12, 20),
          "targets", values(F64, Shape.of(3, 6), 13, 1));
      assertDecomposes(g, feeds, 0);
    }
  }

  @Test
  void crossEntropyKeepsTheLabelRangeError() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor logits = b.input("logits", F64, 2, 3);
    Tensor labels = b.input("labels", I64, 2);
    Graph g = b.build(b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels));
    Map<String, NDArray> feeds = Map.of(
        "logits", values(F64, Shape.of(2, 3), 1, 1), "labels", NDArray.of(I64, new int[] {2}, 0, 3));
    for (Graph graph : List.of(g, pass.run(g))) {
      AdjointException e = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(graph, feeds));
      assertTrue(e.getMessage().contains("row 1 has label 3, expected 0..2"), e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, 0.1, 0.3, 0.5, 0.9, 1})
  void dropoutDrawsTheSameMask(double p) {
    for (DType dtype : new DType[] {F64, F32}) {
      GraphBuilder b = new GraphBuilder("g").seed(21);
      Tensor x = b.input("x", dtype, Shape.BATCH, 40);
      Graph g = b.build(x.dropout(p));
      Map<String, NDArray> feeds = Map.of(
          "x", values(dtype, Shape.of(5, 40), 4, 3, INF, -INF, Double.NaN),
          "step", NDArray.scalar(I64, 1234));
      Graph h = assertDecomposes(g, feeds, dtype == F64 ? 0 : 1e-6);
      NDArray want = ReferenceInterpreter.run(g, feeds).getFirst();
      NDArray got = ReferenceInterpreter.run(h, feeds).getFirst();
      for (int i = 0; i < want.size(); i++) {
        assertEquals(want.get(i) == 0, got.get(i) == 0, dtype + " mask at " + i);
      }
    }
  }

  /**
   * A p just above a draw u: the reference drops that element. In F32, p itself would round down
   * to u and keep it; the decomposition compares with p rounded up to the draws' grid instead.
   */
  @Test
  void dropoutThresholdsAreExactInF32() {
    long seed = 3;
    long key = 8;
    long step = 5;
    double u = Philox.uniform(seed, step, key, 0);
    double p = u + 0x1.0p-40;
    assertTrue((float) p == u, "p rounds to the draw in f32");
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F32, 3);
    Graph g = b.build(b.add(new Op.Dropout(p, seed, key), x, b.step()));
    Map<String, NDArray> feeds =
        Map.of("x", NDArray.of(F32, new int[] {3}, 1, 2, 3), "step", NDArray.scalar(I64, step));
    assertEquals(0, ReferenceInterpreter.run(g, feeds).getFirst().get(0));
    assertDecomposes(g, feeds, 1e-6);
  }

  @Test
  void dropoutOfOneIsZerosWithoutADivision() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, Shape.BATCH, 3);
    Graph h = pass.run(b.build(x.dropout(1)));
    assertEquals(List.of("input", "input", "constant", "broadcast"), Semantics.ops(h));
  }

  @Test
  void aReductionOverAnEmptyAxisStaysWhole() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 0);
    Graph g = b.build(x.softmax(1), x.logSoftmax(0));
    Graph h = pass.run(g);
    assertEquals(1, Semantics.count(h, Op.Softmax.class), "softmax over the empty axis 1 stays");
    assertEquals(0, Semantics.count(h, Op.LogSoftmax.class), "log-softmax over axis 0, of size 2, decomposes");
    Semantics.assertSameOutputs(g, h, Map.of("x", NDArray.zeros(F64, Shape.of(2, 0))));
  }

  @Test
  void aGraphWithoutCompositesIsReturnedAsItIs() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 3);
    Graph g = b.build(x.exp().sum(true, 1).log());
    assertSame(g, pass.run(g));
  }
  /** Batch norm in both modes and layer norm become mean/variance arithmetic with equal values. */
  @ParameterizedTest
  @ValueSource(ints = {2, 4})
  void normalizationsDecomposeIntoPrimitives(int rank) {
    GraphBuilder b = new GraphBuilder("norms");
    int[] dims = rank == 2 ? new int[] {Shape.BATCH, 3} : new int[] {Shape.BATCH, 3, 2, 2};
    Tensor x = b.input("x", F64, dims);
    Tensor gamma = b.input("gamma", F64, 3);
    Tensor beta = b.input("beta", F64, 3);
    Tensor mean = b.input("mean", F64, 3);
    Tensor variance = b.input("var", F64, 3);
    Tensor training = b.add(new Op.BatchNormTraining(1e-5), x, gamma, beta);
    Tensor inference = b.add(new Op.BatchNormInference(1e-3), x, gamma, beta, mean, variance);
    int axis = rank - 1;
    Tensor lnGamma = b.input("ln_gamma", F64, rank == 2 ? new int[] {3} : new int[] {2});
    Tensor layer = b.add(new Op.LayerNorm(1e-5, axis), x, lnGamma, lnGamma);
    Graph before = b.build(training, inference, layer);
    Graph after = new DecomposeComposites().run(before);
    for (Class<? extends Op> composite : List.of(Op.BatchNormTraining.class, Op.BatchNormInference.class,
        Op.LayerNorm.class)) {
      assertEquals(0, Semantics.count(after, composite), composite.getSimpleName() + " decomposed");
    }
    Map<String, NDArray> feeds = new java.util.HashMap<>(Semantics.randomFeeds(before, 5, 3, Map.of()));
    feeds.put("var", NDArray.of(F64, new int[] {3}, 0.5, 1.5, 2.5));
    Semantics.assertSameOutputs(before, after, feeds, 1e-12);
  }
}
