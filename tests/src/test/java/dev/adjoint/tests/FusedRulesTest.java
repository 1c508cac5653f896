package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.autodiff.Losses;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Op.Reduction;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each fused op with a hand-derived VJP rule (softmax, log-softmax, softmax cross-entropy,
 * dropout) against its decomposition into primitives: same values, same gradients, through the
 * reference interpreter in F64.
 */
class FusedRulesTest {
  private static final DType F64 = DType.F64;
  private static final int ROWS = 4;
  private static final int CLASSES = 5;

  private static NDArray random(Shape shape, long seed, double scale) {
    Random r = new Random(seed);
    return NDArray.generate(F64, shape, i -> (r.nextDouble() * 2 - 1) * scale);
  }

  /** Max-shifted log-softmax from primitives; the shift is a constant for differentiation. */
  private static Tensor logSoftmaxFromPrimitives(Tensor x, int axis) {
    Tensor shifted = x.minus(x.max(true, axis).stopGradient());
    return shifted.minus(shifted.exp().sum(true, axis).log());
  }

  /**
   * Builds {@code f} twice, fused and decomposed, and returns for each: the value, then the VJP
   * with respect to every float input under a random cotangent.
   */
  private static void assertSameValueAndVjp(
      BiFunction<List<Tensor>, Boolean, Tensor> f, List<Shape> shapes, Map<String, NDArray> extraFeeds,
      double scale) {
    List<List<NDArray>> results = new ArrayList<>();
    for (boolean fused : new boolean[] {true, false}) {
      GraphBuilder b = new GraphBuilder(fused ? "fused" : "decomposed");
      List<Tensor> inputs = new ArrayList<>();
      for (int i = 0; i < shapes.size(); i++) {
        inputs.add(b.input("x" + i, F64, shapes.get(i).dims()));
      }
      List<Tensor> all = new ArrayList<>(inputs);
      extraFeeds.forEach((name, value) -> all.add(b.input(name, value.type())));
      Tensor y = f.apply(all, fused);
      Tensor cotangent = b.input("cotangent", y.type());
      List<Tensor> outputs = new ArrayList<>();
      outputs.add(y);
      outputs.addAll(Autodiff.vjp(y, cotangent, inputs));
      Graph g = b.build(outputs);
      Map<String, NDArray> feeds = new java.util.HashMap<>(extraFeeds);
      for (int i = 0; i < shapes.size(); i++) {
        feeds.put("x" + i, random(shapes.get(i), 100 + i, scale));
      }
      feeds.put("cotangent", random(y.shape(), 7, 1));
      results.add(ReferenceInterpreter.run(g, feeds));
    }
    List<NDArray> fused = results.get(0);
    List<NDArray> decomposed = results.get(1);
    for (int k = 0; k < fused.size(); k++) {
      assertEquals(decomposed.get(k).shape(), fused.get(k).shape());
      for (int e = 0; e < fused.get(k).size(); e++) {
        double want = decomposed.get(k).get(e);
        assertEquals(want, fused.get(k).get(e), 1e-12 * (1 + Math.abs(want)),
            (k == 0 ? "value" : "cotangent of input " + (k - 1)) + ", element " + e);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(doubles = {1, 1000})
  void softmaxMatchesItsDecomposition(double scale) {
    assertSameValueAndVjp(
        (x, fused) -> fused ? x.get(0).softmax(1) : logSoftmaxFromPrimitives(x.get(0), 1).exp(),
        List.of(Shape.of(ROWS, CLASSES)), Map.of(), scale);
  }

  @ParameterizedTest
  @ValueSource(doubles = {1, 1000})
  void logSoftmaxMatchesItsDecomposition(double scale) {
    assertSameValueAndVjp(
        (x, fused) -> fused ? x.get(0).logSoftmax(0) : logSoftmaxFromPrimitives(x.get(0), 0),
        List.of(Shape.of(ROWS, CLASSES)), Map.of(), scale);
  }

  @ParameterizedTest
  @EnumSource(Reduction.class)
  void softmaxCrossEntropyWithLabelsMatchesItsDecomposition(Reduction reduction) {
    NDArray labels = NDArray.of(DType.I32, new int[] {ROWS}, 0, 4, 2, 4);
    assertSameValueAndVjp(
        (x, fused) -> {
          Tensor logits = x.get(0);
          Tensor y = x.get(1);
          if (fused) {
            return Losses.softmaxCrossEntropy(logits, y, reduction);
          }
          Tensor perRow = y.oneHot(CLASSES, F64).times(logSoftmaxFromPrimitives(logits, 1)).sum(1).unaryMinus();
          return reduce(perRow, reduction);
        },
        List.of(Shape.of(ROWS, CLASSES)), Map.of("labels", labels), 3);
  }

  @ParameterizedTest
  @EnumSource(Reduction.class)
  void softmaxCrossEntropyWithProbabilitiesMatchesItsDecomposition(Reduction reduction) {
    // Both logits and targets are differentiated (x0 logits, x1 targets). The targets are not
    // normalized: rows need not sum to 1, which the logits rule must account for.
    assertSameValueAndVjp(
        (x, fused) -> {
          Tensor logits = x.get(0);
          Tensor targets = x.get(1).sigmoid();
          if (fused) {
            return Losses.softmaxCrossEntropy(logits, targets, reduction);
          }
          Tensor perRow = targets.times(logSoftmaxFromPrimitives(logits, 1)).sum(1).unaryMinus();
          return reduce(perRow, reduction);
        },
        List.of(Shape.of(ROWS, CLASSES), Shape.of(ROWS, CLASSES)), Map.of(), 3);
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, 0.3, 0.9, 1})
  void dropoutMatchesItsDecomposition(double p) {
    NDArray step = NDArray.scalar(DType.I64, 17);
    long seed = 5;
    long key = 3;
    assertSameValueAndVjp(
        (x, fused) -> {
          Tensor in = x.get(0);
          Tensor stepInput = x.get(1);
          if (fused) {
            return in.builder().add(new Op.Dropout(p, seed, key), in, stepInput);
          }
          Tensor u = in.builder().add(new Op.RandomUniform(seed, key, F64), in, stepInput);
          Tensor scale = in.scalarLike(p < 1 ? 1 / (1 - p) : 0);
          return in.times(u.ge(p).select(scale, in.scalarLike(0)));
        },
        List.of(Shape.of(8, 16)), Map.of("step", step), 1);
  }

  private static Tensor reduce(Tensor perRow, Reduction reduction) {
    return switch (reduction) {
      case MEAN -> perRow.mean();
      case SUM -> perRow.sum();
      case NONE -> perRow;
    };
  }
}
