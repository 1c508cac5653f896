package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.dsl.Conv2dOptions;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Padding;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fused normalization ops (batch norm in training and inference mode, layer norm) and conv2d
 * against their decompositions into primitives: same values, same VJPs with respect to every
 * operand, and the same second derivatives (the VJP of the VJP), within 1e-12 in F64 through the
 * reference interpreter, with a symbolic batch bound at run time.
 */
class NormalizationRulesTest {
  private static final DType F64 = DType.F64;
  private static final int N = Shape.BATCH;
  private static final int BATCH = 3;
  private static final double EPS = 1e-5;

  private static TensorType f64(int... dims) {
    return new TensorType(F64, Shape.of(dims));
  }

  /** {@code v} laid out as {@code [1, C]} or {@code [1, C, 1, 1]} to broadcast over the channels of x. */
  private static Tensor perChannel(Tensor v, Tensor x) {
    int[] dims = new int[x.rank()];
    Arrays.fill(dims, 1);
    dims[1] = v.shape().dim(0);
    return v.reshape(dims);
  }

  /** {@code (x - mean)/sqrt(var + eps)} over {@code axes} with the biased variance, from primitives. */
  private static Tensor normalizedFromPrimitives(Tensor x, int... axes) {
    Tensor centered = x.minus(x.mean(true, axes));
    Tensor variance = centered.square().mean(true, axes);
    return centered.div(variance.plus(EPS).sqrt());
  }

  private static int[] channelAxes(Tensor x) {
    return x.rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 4})
  void batchNormTrainingMatchesItsDecomposition(int rank) {
    TensorType x = rank == 2 ? f64(N, 4) : f64(N, 3, 2, 3);
    int channels = x.shape().dim(1);
    assertFusedMatchesDecomposition(List.of(x, f64(channels), f64(channels)),
        in -> in.get(0).batchNormTraining(in.get(1), in.get(2), EPS),
        in -> {
          Tensor v = in.get(0);
          return normalizedFromPrimitives(v, channelAxes(v)).times(perChannel(in.get(1), v)).plus(perChannel(in.get(2), v));
        });
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 4})
  void batchNormInferenceMatchesItsDecomposition(int rank) {
    TensorType x = rank == 2 ? f64(N, 4) : f64(N, 3, 2, 3);
    TensorType vector = f64(x.shape().dim(1));
    assertFusedMatchesDecomposition(List.of(x, vector, vector, vector, vector),
        in -> in.get(0).batchNormInference(in.get(1), in.get(2), in.get(3), in.get(4).square(), EPS),
        in -> {
          Tensor v = in.get(0);
          Tensor variance = perChannel(in.get(4).square(), v);
          return v.minus(perChannel(in.get(3), v)).div(variance.plus(EPS).sqrt()).times(perChannel(in.get(1), v))
              .plus(perChannel(in.get(2), v));
        });
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void layerNormMatchesItsDecomposition(int axis) {
    TensorType x = axis == 1 ? f64(N, 5) : f64(N, 2, 3, 2);
    int[] dims = x.shape().dims();
    TensorType affine = f64(Arrays.copyOfRange(dims, axis, dims.length));
    int[] axes = IntStream.range(axis, dims.length).toArray();
    assertFusedMatchesDecomposition(List.of(x, affine, affine),
        in -> in.get(0).layerNorm(in.get(1), in.get(2), EPS, axis),
        in -> normalizedFromPrimitives(in.get(0), axes).times(in.get(1)).plus(in.get(2)));
  }

  /** Stride 1 convolutions (dilation, asymmetric padding, groups) against pad, slice and matmul. */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 4})
  void conv2dMatchesASumOfShiftedMatrixProducts(int groups) {
    Padding padding = Padding.of(1, 0, 2, 1);
    Conv2dOptions options = Conv2dOptions.defaults().withPadding(padding).withDilations(2, 1).withGroups(groups);
    assertFusedMatchesDecomposition(List.of(f64(N, 4, 4, 5), f64(4, 4 / groups, 2, 3)),
        in -> in.get(0).conv2d(in.get(1), options),
        in -> convFromPrimitives(in.get(0), in.get(1), new int[] {1, 0, 2, 1}, new int[] {2, 1}, groups));
  }

  /**
   * {@code y[:, g·Og + o] = Σ_{kh, kw} w_g[o, :, kh, kw] · xp_g[:, :, kh·dh + i, kw·dw + j]}: each
   * kernel tap is a matrix product of its weights with a shifted window of the padded input.
   */
  private static Tensor convFromPrimitives(Tensor x, Tensor w, int[] padding, int[] dilations, int groups) {
    Tensor padded = x.pad(new int[] {0, 0, padding[0], padding[2]}, new int[] {0, 0, padding[1], padding[3]}, 0);
    int batch = x.shape().dim(0);
    int inPerGroup = w.shape().dim(1);
    int outPerGroup = w.shape().dim(0) / groups;
    int kh = w.shape().dim(2);
    int kw = w.shape().dim(3);
    int oh = padded.shape().dim(2) - dilations[0] * (kh - 1);
    int ow = padded.shape().dim(3) - dilations[1] * (kw - 1);
    List<Tensor> outputs = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      Tensor xg = padded.slice(1, g * inPerGroup, (g + 1) * inPerGroup);
      Tensor wg = w.slice(0, g * outPerGroup, (g + 1) * outPerGroup);
      Tensor total = null;
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          Tensor window = xg.slice(new int[] {0, 0, i * dilations[0], j * dilations[1]},
              new int[] {batch, inPerGroup, i * dilations[0] + oh, j * dilations[1] + ow});
          Tensor tap = wg.slice(2, i, i + 1).slice(3, j, j + 1).reshape(outPerGroup, inPerGroup);
          Tensor product = tap.matmul(window.reshape(batch, inPerGroup, oh * ow));
          total = total == null ? product : total.plus(product);
        }
      }
      outputs.add(total.reshape(batch, outPerGroup, oh, ow));
    }
    return x.builder().concat(1, outputs);
  }

  @Test
  void batchNormInTrainingModeRejectsOneValuePerChannelWhenNIsBound() {
    for (TensorType type : List.of(f64(N, 3), f64(N, 3, 1, 1))) {
      GraphBuilder b = new GraphBuilder("bn");
      Tensor x = b.input("x", type);
      Tensor gamma = b.input("gamma", f64(3));
      Tensor y = x.batchNormTraining(gamma, gamma, EPS);
      Graph graph = b.build(y);
      Map<String, NDArray> feeds = new HashMap<>();
      feeds.put("gamma", NDArray.filled(F64, Shape.of(3), 1));
      feeds.put("x", NDArray.filled(F64, type.shape().resolve(2), 0.5));
      assertEquals(type.shape().resolve(2), ReferenceInterpreter.run(graph, feeds).getFirst().shape());
      feeds.put("x", NDArray.filled(F64, type.shape().resolve(1), 0.5));
      AdjointException e = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(graph, feeds));
      for (String part : List.of("node " + y.node().describe(),
          "batch norm in training mode needs more than one value per channel, got 1")) {
        assertTrue(e.getMessage().contains(part), () -> "expected '" + part + "' in: " + e.getMessage());
      }
    }
  }

  /**
   * Builds {@code fused} and {@code decomposed} on inputs {@code x0, x1, ...} of {@code types}, and
   * compares, with N bound to {@value #BATCH}: the value; the VJP under a random cotangent with
   * respect to every input; and the gradient of {@code Σ_i <vjp_i, r_i>} (random {@code r_i}) with
   * respect to every input and the cotangent, so the backward graphs are differentiated too.
   */
  private static void assertFusedMatchesDecomposition(
      List<TensorType> types, Function<List<Tensor>, Tensor> fused, Function<List<Tensor>, Tensor> decomposed) {
    Map<String, NDArray> feeds = new HashMap<>();
    List<List<NDArray>> results = new ArrayList<>();
    for (Function<List<Tensor>, Tensor> f : List.of(fused, decomposed)) {
      GraphBuilder b = new GraphBuilder(f == fused ? "fused" : "decomposed");
      List<Tensor> inputs = new ArrayList<>();
      for (int i = 0; i < types.size(); i++) {
        inputs.add(b.input("x" + i, types.get(i)));
      }
      Tensor y = f.apply(inputs);
      Tensor cotangent = b.input("cotangent", y.type());
      List<Tensor> vjps = Autodiff.vjp(y, cotangent, inputs);
      Tensor probe = y.scalarLike(0);
      for (int i = 0; i < vjps.size(); i++) {
        probe = probe.plus(vjps.get(i).times(b.input("r" + i, vjps.get(i).type())).sum());
      }
      List<Tensor> wrt = new ArrayList<>(inputs);
      wrt.add(cotangent);
      List<Tensor> outputs = new ArrayList<>();
      outputs.add(y);
      outputs.addAll(vjps);
      outputs.addAll(Autodiff.gradients(probe, wrt));
      Graph graph = b.build(outputs);
      if (feeds.isEmpty()) {
        Random rng = new Random(42);
        for (Node input : graph.inputs()) {
          Shape shape = input.shape().resolve(BATCH);
          feeds.put(input.name(), NDArray.generate(F64, shape, _ -> 4 * rng.nextDouble() - 2));
        }
      }
      results.add(ReferenceInterpreter.run(graph, feeds));
    }
    List<NDArray> actual = results.get(0);
    List<NDArray> expected = results.get(1);
    assertEquals(expected.size(), actual.size());
    for (int k = 0; k < actual.size(); k++) {
      assertEquals(expected.get(k).shape(), actual.get(k).shape(), "shape of output " + k);
      for (int e = 0; e < actual.get(k).size(); e++) {
        double want = expected.get(k).get(e);
        assertEquals(want, actual.get(k).get(e), 1e-12 * (1 + Math.abs(want)), describe(k, types.size()) + ", element " + e);
      }
    }
  }

  private static String describe(int output, int inputs) {
    if (output == 0) {
      return "value";
    }
    if (output <= inputs) {
      return "cotangent of x" + (output - 1);
    }
    int second = output - inputs - 1;
    return "second derivative with respect to " + (second < inputs ? "x" + second : "the cotangent");
  }
}
