package dev.adjoint.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Folding batch norm into conv and dense layers: PyTorch's {@code fuse_conv_bn_weights} bug
 * history (no conv bias, groups, depthwise, no affine) is the grid; the folded graph must compute
 * what the unfolded inference graph computes.
 */
class FoldBatchNormTest {
  private static final DType F64 = DType.F64;
  private static final int CHANNELS = 4;
  private static final Pipeline FOLD = Pipeline.of(new FoldBatchNorm(), new EliminateDeadNodes());

  /** x [N, 4, 5, 5] → conv 3×3 (groups, bias?) → batch norm (affine?) in inference mode. */
  private static Graph convBn(int groups, boolean bias, boolean affine, int outChannels, boolean extraUse) {
    GraphBuilder b = new GraphBuilder("conv_bn");
    Tensor x = b.input("x", F64, Shape.BATCH, CHANNELS, 5, 5);
    Tensor w = b.parameter("w", F64, Initializer.heNormal(), outChannels, CHANNELS / groups, 3, 3);
    Tensor y = b.add(new Op.Conv2d(List.of(1, 1), List.of(1, 1, 1, 1), List.of(1, 1), groups), x, w);
    if (bias) {
      y = y.plus(b.parameter("b", F64, Initializer.zeros(), outChannels).reshape(1, outChannels, 1, 1));
    }
    Tensor normalized = b.add(new Op.BatchNormInference(1e-5), y, gammaBeta(b, "gamma", affine, 1, outChannels),
        gammaBeta(b, "beta", affine, 0, outChannels), b.state("mean", F64, Shape.of(outChannels), Initializer.zeros()),
        b.state("var", F64, Shape.of(outChannels), Initializer.ones()));
    return extraUse ? b.build(normalized, y) : b.build(normalized);
  }

  private static Tensor gammaBeta(GraphBuilder b, String name, boolean affine, double constant, int channels) {
    return affine
        ? b.parameter(name, F64, Initializer.ones(), channels)
        : b.constant(NDArray.filled(F64, Shape.of(channels), constant));
  }

  /** Random values for every input, parameter and state (not the initializers'); variances positive. */
  private static Map<String, NDArray> feeds(Graph g, long seed) {
    Map<String, NDArray> feeds = new HashMap<>(Semantics.randomFeeds(g, seed, 2, Map.of()));
    Random random = new Random(seed);
    for (var leaf : g.nodes()) {
      if (leaf.op() instanceof Op.Parameter || leaf.op() instanceof Op.State) {
        double low = leaf.name().equals("var") ? 0.2 : -1.5;
        feeds.put(leaf.name(), NDArray.generate(F64, leaf.shape(), i -> low + 2 * random.nextDouble()));
      }
    }
    return feeds;
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void foldedConvComputesWhatTheUnfoldedInferenceGraphComputes(
      @ForAll("groupsOf4") int groups, @ForAll boolean bias, @ForAll boolean affine,
      @ForAll @IntRange(min = 1, max = 2) int outPerGroup, @ForAll long seed) {
    Graph before = convBn(groups, bias, affine, groups * outPerGroup, false);
    Graph after = FOLD.run(before);
    assertEquals(0, Semantics.count(after, Op.BatchNormInference.class), "the batch norm is gone");
    assertEquals(1, Semantics.count(after, Op.Conv2d.class), "one convolution remains");
    Semantics.assertSameOutputs(before, after, feeds(before, seed), 1e-6);
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<Integer> groupsOf4() {
    return net.jqwik.api.Arbitraries.of(1, 2, CHANNELS); // plain, grouped, depthwise
  }

  @Property(tries = 50, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void foldedDenseComputesWhatTheUnfoldedInferenceGraphComputes(
      @ForAll boolean bias, @ForAll boolean affine, @ForAll boolean transposedWeight, @ForAll long seed) {
    GraphBuilder b = new GraphBuilder("dense_bn");
    Tensor x = b.input("x", F64, Shape.BATCH, 3);
    Tensor w = transposedWeight
        ? b.parameter("w", F64, Initializer.xavierUniform(), 4, 3)
        : b.parameter("w", F64, Initializer.xavierUniform(), 3, 4);
    Tensor y = x.matmul(w, false, transposedWeight);
    if (bias) {
      y = y.plus(b.parameter("b", F64, Initializer.zeros(), 4));
    }
    Tensor out = b.add(new Op.BatchNormInference(1e-3), y, gammaBeta(b, "gamma", affine, 1, 4),
        gammaBeta(b, "beta", affine, 0, 4), b.state("mean", F64, Shape.of(4), Initializer.zeros()),
        b.state("var", F64, Shape.of(4), Initializer.ones()));
    Graph before = b.build(out.relu());
    Graph after = FOLD.run(before);
    assertEquals(0, Semantics.count(after, Op.BatchNormInference.class));
    Semantics.assertSameOutputs(before, after, feeds(before, seed), 1e-6);
  }

  @Test
  void aConvWhoseOutputIsUsedElsewhereIsLeftAlone() {
    Graph before = convBn(1, true, true, CHANNELS, true);
    assertSame(before, new FoldBatchNorm().run(before));
  }

  @Test
  void trainingModeBatchNormIsLeftAlone() {
    GraphBuilder b = new GraphBuilder("train");
    Tensor x = b.input("x", F64, Shape.BATCH, CHANNELS, 5, 5);
    Tensor w = b.parameter("w", F64, Initializer.heNormal(), CHANNELS, CHANNELS, 1, 1);
    Tensor y = b.add(new Op.Conv2d(List.of(1, 1), List.of(0, 0, 0, 0), List.of(1, 1), 1), x, w);
    Graph before = b.build(b.add(new Op.BatchNormTraining(1e-5), y,
        b.parameter("gamma", F64, Initializer.ones(), CHANNELS), b.parameter("beta", F64, Initializer.zeros(), CHANNELS)));
    assertSame(before, new FoldBatchNorm().run(before));
  }

  @Test
  void aBiasIsCreatedWhereThereWasNone() {
    Graph after = FOLD.run(convBn(1, false, true, CHANNELS, false));
    assertEquals(List.of("x", "w", "gamma", "beta", "mean", "var"),
        after.nodes().stream().filter(n -> n.inputs().isEmpty() && !(n.op() instanceof Op.Constant))
            .map(n -> n.name()).toList());
    var output = after.output(0);
    assertEquals("add", output.op().mnemonic(), "folded conv plus the created bias");
    assertEquals("conv2d", output.input(0).op().mnemonic());
    assertEquals(Shape.of(1, CHANNELS, 1, 1), output.input(1).shape());
  }
}
