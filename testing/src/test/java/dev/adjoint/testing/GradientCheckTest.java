package dev.adjoint.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import dev.adjoint.ir.Weights;
import dev.adjoint.testing.GradientCheck.Entry;
import dev.adjoint.testing.GradientCheck.Mode;
import dev.adjoint.testing.GradientCheck.Options;
import dev.adjoint.testing.GradientCheck.Result;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.math3.analysis.differentiation.DerivativeStructure;
import org.junit.jupiter.api.Test;

class GradientCheckTest {
  private static final DType F64 = DType.F64;

  /** {@code sum(tanh(x·W + b))} with x {@code [N, in]}. */
  private static Graph denseTanh(DType dtype, int in, int out, boolean reduce) {
    GraphBuilder b = new GraphBuilder("dense_tanh");
    Tensor x = b.input("x", dtype, Shape.BATCH, in);
    Tensor w = b.parameter("w", dtype, Initializer.xavierUniform(), in, out);
    Tensor bias = b.parameter("b", dtype, new Initializer.Uniform(-0.5, 0.5), out);
    Tensor y = x.matmul(w).plus(bias).tanh();
    return b.build(reduce ? y.sum().named("loss") : y.named("y"));
  }

  /** Weights from their initializers plus the given inputs sampled from REAL. */
  private static Map<String, NDArray> feeds(Graph graph, long seed, Map<String, TensorType> inputs) {
    Random rng = new Random(seed);
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(graph, seed));
    inputs.forEach((name, type) -> feeds.put(name, InputDomain.REAL.sample(type, rng)));
    return feeds;
  }

  /** {@code tanh} forward with a gradient rule that returns twice the true cotangent. */
  private static Tensor tanhWithDoubledGradient(GraphBuilder b, Tensor x) {
    return b.customVjp(
        "doubled_tanh_grad",
        List.of(x),
        in -> in.get(0).tanh(),
        (inputs, output, cotangent) -> List.of(cotangent.times(output.square().unaryMinus().plus(1)).times(2)));
  }

  @Test
  void denseTanhSumPassesInFullJacobianMode() {
    Graph graph = denseTanh(F64, 3, 2, true);
    Map<String, NDArray> feeds = feeds(graph, 1, Map.of("x", TensorType.of(F64, 2, 3)));

    Result r = GradientCheck.check(graph, 0, feeds, List.of("x", "w", "b"));

    assertTrue(r.passed(), r::summary);
    assertEquals(Mode.FULL_JACOBIAN, r.mode());
    assertEquals(6 + 6 + 2, r.entriesChecked()); // one scalar output per wrt element
    assertTrue(r.maxAbsError() < 1e-8, r::summary);
    assertEquals(List.of("x", "w", "b"), r.wrt());
    assertEquals("loss", r.output());
  }

  @Test
  void nonScalarOutputComparesEveryJacobianEntry() {
    Graph graph = denseTanh(F64, 3, 2, false);
    Map<String, NDArray> feeds = feeds(graph, 2, Map.of("x", TensorType.of(F64, 2, 3)));

    Result r = GradientCheck.assertGradients(graph, "y", feeds, List.of("x", "w", "b"));

    assertEquals((6 + 6 + 2) * 4, r.entriesChecked());
    Entry.Element worst = assertInstanceOf(Entry.Element.class, r.worst());
    assertEquals(2, worst.outputIndex().size(), "output multi-index into [2, 2]");
  }

  @Test
  void softmaxCrossEntropyWithLabelsAndWithProbabilityTargetsPasses() {
    GraphBuilder b = new GraphBuilder("classifier");
    Tensor x = b.input("x", F64, Shape.BATCH, 3);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor targets = b.input("targets", F64, Shape.BATCH, 4);
    Tensor w = b.parameter("w", F64, Initializer.xavierUniform(), 3, 4);
    Tensor logits = x.matmul(w);
    Tensor hard = b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("hard");
    Tensor soft = b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.SUM), logits, targets).named("soft");
    Graph graph = b.build(hard, soft);
    Map<String, NDArray> feeds = feeds(graph, 3, Map.of("x", TensorType.of(F64, 3, 3)));
    feeds.put("labels", NDArray.of(DType.I64, Shape.of(3), 2, 0, 3));
    feeds.put("targets", probabilityRows(InputDomain.UNIT_INTERVAL.sample(TensorType.of(F64, 3, 4), new Random(4))));

    Result hardResult = GradientCheck.check(graph, "hard", feeds, List.of("x", "w"));
    Result softResult = GradientCheck.check(graph, 1, feeds, List.of("x", "w", "targets"));

    assertTrue(hardResult.passed(), hardResult::summary);
    assertTrue(softResult.passed(), softResult::summary);
  }

  /** Each row divided by its sum, so it is a probability distribution. */
  private static NDArray probabilityRows(NDArray positive) {
    int cols = positive.shape().dim(1);
    double[] v = positive.toDoubleArray();
    for (int row = 0; row < v.length; row += cols) {
      double sum = 0;
      for (int c = 0; c < cols; c++) {
        sum += v[row + c];
      }
      for (int c = 0; c < cols; c++) {
        v[row + c] /= sum;
      }
    }
    return NDArray.of(positive.dtype(), positive.shape(), v);
  }

  @Test
  void doubledGradientFailsAndNamesTheWrongInput() {
    GraphBuilder b = new GraphBuilder("wrong");
    Tensor a = b.input("a", F64, 3);
    Tensor c = b.input("c", F64, 3);
    Tensor loss = a.tanh().sum().plus(tanhWithDoubledGradient(b, c).sum()).named("loss");
    Graph graph = b.build(loss);
    Map<String, NDArray> feeds = feeds(graph, 5, Map.of("a", TensorType.of(F64, 3), "c", TensorType.of(F64, 3)));

    assertTrue(GradientCheck.check(graph, 0, feeds, List.of("a")).passed(), "the path through a is correct");
    GradientCheckFailure failure =
        assertThrows(GradientCheckFailure.class, () -> GradientCheck.assertGradients(graph, 0, feeds, List.of("a", "c")));

    Result r = failure.result();
    assertFalse(r.passed());
    Entry.Element worst = assertInstanceOf(Entry.Element.class, r.worst());
    assertEquals("c", worst.wrt());
    assertTrue(failure.getMessage().contains("d 'loss' / d 'c'" + worst.wrtIndex()), failure.getMessage());
    // The true derivative of tanh, from commons-math, independent of Adjoint.
    double c0 = feeds.get("c").get(worst.wrtIndex().get(0));
    double exact = new DerivativeStructure(1, 1, 0, c0).tanh().getPartialDerivative(1);
    assertEquals(exact, worst.numeric(), 1e-8);
    assertEquals(2 * exact, worst.analytic(), 1e-12);
    assertEquals(worst.absError(), r.maxAbsError(), 1e-15, "the worst entry has the largest error here");
  }

  /** A medium case: tanh(x·W) + t(b) with b broadcast over the [4, 6] output. */
  private static Graph medium(boolean wrongBiasGradient) {
    GraphBuilder b = new GraphBuilder("medium");
    Tensor x = b.input("x", F64, Shape.BATCH, 8);
    Tensor w = b.parameter("w", F64, Initializer.xavierUniform(), 8, 6);
    Tensor bias = b.parameter("b", F64, new Initializer.Uniform(-1, 1), 6);
    Tensor shift = wrongBiasGradient ? tanhWithDoubledGradient(b, bias) : bias.tanh();
    return b.build(x.matmul(w).tanh().plus(shift).named("y"));
  }

  @Test
  void directionalModeAgreesWithFullMode() {
    for (boolean wrong : new boolean[] {false, true}) {
      Graph graph = medium(wrong);
      Map<String, NDArray> feeds = feeds(graph, 6, Map.of("x", TensorType.of(F64, 4, 8)));
      List<String> wrt = List.of("x", "w", "b");

      Result full = GradientCheck.check(graph, 0, feeds, wrt, Options.defaults().withMode(Mode.FULL_JACOBIAN));
      Result directional = GradientCheck.check(graph, 0, feeds, wrt, Options.defaults().withMode(Mode.DIRECTIONAL));

      assertEquals((32 + 48 + 6) * 24, full.entriesChecked());
      assertEquals(3 * wrt.size(), directional.entriesChecked());
      assertEquals(!wrong, full.passed(), full::summary);
      assertEquals(!wrong, directional.passed(), directional::summary);
      if (wrong) {
        assertEquals("b", full.worst().wrt(), full::summary);
        assertEquals("b", directional.worst().wrt(), directional::summary);
        assertInstanceOf(Entry.Direction.class, directional.worst());
      }
    }
  }

  @Test
  void autoModeSwitchesToDirectionalAboveTheEntryBound() {
    Graph graph = denseTanh(F64, 3, 2, false);
    Map<String, NDArray> feeds = feeds(graph, 7, Map.of("x", TensorType.of(F64, 2, 3)));
    List<String> wrt = List.of("w", "b");

    Result small = GradientCheck.check(graph, 0, feeds, wrt);
    Result large = GradientCheck.check(graph, 0, feeds, wrt, Options.defaults().withMaxJacobianEntries(10).withProbes(5));

    assertEquals(Mode.FULL_JACOBIAN, small.mode());
    assertEquals(Mode.DIRECTIONAL, large.mode());
    assertEquals(5 * 2, large.entriesChecked());
    assertTrue(large.passed(), large::summary);
  }

  @Test
  void gradientOfGradientChecksSecondDerivatives() {
    GraphBuilder b = new GraphBuilder("hvp");
    Tensor x = b.input("x", F64, 4);
    Tensor w = b.input("w", F64, 4);
    Tensor f = x.times(w).tanh().sum();
    Tensor dfdx = Autodiff.gradients(f, List.of(x)).get(0).named("dfdx");
    Graph graph = b.build(f, dfdx);
    Map<String, NDArray> feeds = feeds(graph, 8, Map.of("x", TensorType.of(F64, 4), "w", TensorType.of(F64, 4)));

    Result full = GradientCheck.check(graph, "dfdx", feeds, List.of("x", "w"));
    Result directional =
        GradientCheck.check(graph, 1, feeds, List.of("x", "w"), Options.defaults().withMode(Mode.DIRECTIONAL));

    assertTrue(full.passed(), full::summary);
    assertEquals(8 * 4, full.entriesChecked());
    assertTrue(directional.passed(), directional::summary);
  }

  @Test
  void tolerancesFollowTheOptions() {
    Graph graph = medium(true);
    Map<String, NDArray> feeds = feeds(graph, 9, Map.of("x", TensorType.of(F64, 2, 8)));
    Options loose = Options.defaults().withAtol(10).withRtol(0);

    Result r = GradientCheck.check(graph, 0, feeds, List.of("b"), loose);

    assertTrue(r.passed(), "a doubled tanh derivative is at most 2 off, within atol 10: " + r.summary());
    assertTrue(r.maxAbsError() > 0.1, r::summary);
  }

  @Test
  void rejectsF32Graphs() {
    Graph graph = denseTanh(DType.F32, 3, 2, true);
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(graph, 1));
    feeds.put("x", NDArray.zeros(DType.F32, Shape.of(1, 3)));

    AdjointException e = assertThrows(AdjointException.class, () -> GradientCheck.check(graph, 0, feeds, List.of("w")));

    assertTrue(e.getMessage().contains("f64") && e.getMessage().contains("f32"), e.getMessage());
    assertTrue(e.getMessage().contains("'loss'"), e.getMessage());
  }

  @Test
  void rejectsUnusableWrtAndOutputs() {
    Graph graph = denseTanh(F64, 3, 2, true);
    Map<String, NDArray> feeds = feeds(graph, 10, Map.of("x", TensorType.of(F64, 2, 3)));
    String intermediate = graph.output(0).inputs().get(0).name();

    assertMessage("only inputs, parameters and states", () -> GradientCheck.check(graph, 0, feeds, List.of(intermediate)));
    assertMessage("twice", () -> GradientCheck.check(graph, 0, feeds, List.of("w", "w")));
    assertMessage("no wrt inputs", () -> GradientCheck.check(graph, 0, feeds, List.of()));
    assertMessage("no node named 'v'", () -> GradientCheck.check(graph, 0, feeds, List.of("v")));
    assertMessage("output 1 does not exist", () -> GradientCheck.check(graph, 1, feeds, List.of("w")));
    Map<String, NDArray> withoutW = new HashMap<>(feeds);
    withoutW.remove("w");
    assertMessage("no value for 'w'", () -> GradientCheck.check(graph, 0, withoutW, List.of("w")));
    Map<String, NDArray> wrongShape = new HashMap<>(feeds);
    wrongShape.put("w", NDArray.zeros(F64, Shape.of(2, 3)));
    assertMessage("f64[2,3]", () -> GradientCheck.check(graph, 0, wrongShape, List.of("w")));
  }

  @Test
  void rejectsInvalidOptions() {
    assertMessage("eps", () -> Options.defaults().withEps(0));
    assertMessage("tolerances", () -> Options.defaults().withRtol(-1));
    assertMessage("probe", () -> Options.defaults().withProbes(0));
  }

  private static void assertMessage(String fragment, Runnable action) {
    AdjointException e = assertThrows(AdjointException.class, action::run);
    assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
  }
}
