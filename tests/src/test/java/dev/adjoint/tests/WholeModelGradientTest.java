package dev.adjoint.tests;

import dev.adjoint.autodiff.Losses;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Padding;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.nn.BatchNorm;
import dev.adjoint.nn.Blocks;
import dev.adjoint.nn.Conv2d;
import dev.adjoint.nn.Dense;
import dev.adjoint.testing.GradientCheck;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Gradients of whole convolutional models, in F64 against central finite differences, with
 * respect to every parameter and the input image.
 */
class WholeModelGradientTest {
  private static final int CLASSES = 3;

  private static Map<String, NDArray> feeds(Graph g, Tensor images, long seed) {
    Random r = new Random(seed);
    Map<String, NDArray> feeds = new HashMap<>();
    // Parameters drawn at random rather than from their initializers (batch norm's γ = 1, β = 0
    // would hide errors that only show for other values).
    for (Node p : g.parameters()) {
      feeds.put(p.name(), NDArray.generate(DType.F64, p.shape(), i -> r.nextGaussian() * 0.7));
    }
    feeds.putAll(Weights.initialize(g, seed).entrySet().stream()
        .filter(e -> g.node(e.getKey()).op() instanceof dev.adjoint.ir.Op.State)
        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    Shape shape = images.shape().resolve(2);
    feeds.put(images.name(), NDArray.generate(DType.F64, shape, i -> r.nextGaussian()));
    feeds.put("labels", NDArray.of(DType.I64, new int[] {2}, 2, 0));
    return feeds;
  }

  private static List<String> wrt(Graph g, Tensor images) {
    List<String> names = new ArrayList<>();
    names.add(images.name());
    g.parameters().forEach(p -> names.add(p.name()));
    return names;
  }

  /** conv → batch norm (training) → relu → residual add → global pool → dense → softmax CE. */
  @Test
  void residualConvNetWithBatchNorm() {
    GraphBuilder b = new GraphBuilder("resnet_unit");
    Tensor x = b.input("images", DType.F64, Shape.BATCH, 2, 4, 4);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor h = Conv2d.of(2, 2, 3).padding(Padding.same()).build(b, "conv", DType.F64).invoke(x);
    h = BatchNorm.create(b, "bn", DType.F64, 2).invoke(h).relu();
    h = h.plus(x);
    Tensor logits = Dense.xavier(b, "dense", DType.F64, 2, CLASSES).invoke(h.globalAvgPool());
    Graph g = b.build(Losses.softmaxCrossEntropy(logits, labels));
    GradientCheck.assertGradients(g, 0, feeds(g, x, 1), wrt(g, x));
  }

  /** A dense block (concatenated growth) followed by a transition (average pooling) and a head. */
  @Test
  void denseBlockWithTransition() {
    GraphBuilder b = new GraphBuilder("densenet_unit");
    Tensor x = b.input("images", DType.F64, Shape.BATCH, 2, 4, 4);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor h = Blocks.denseBlock("block", x, 2, 2);
    h = Blocks.transition("transition", h, 3);
    Tensor logits = Blocks.classifierHead("head", h, CLASSES);
    Graph g = b.build(Losses.softmaxCrossEntropy(logits, labels));
    GradientCheck.assertGradients(g, 0, feeds(g, x, 2), wrt(g, x));
  }

  /** ResNet's basic block with a projection shortcut (stride 2, channels 2 → 4) and a max pool. */
  @Test
  void projectionShortcutAndMaxPool() {
    GraphBuilder b = new GraphBuilder("projection");
    Tensor x = b.input("images", DType.F64, Shape.BATCH, 2, 6, 6);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor h = Blocks.residual("block", x.maxPool2d(2, 1), 4, 2);
    Tensor logits = Blocks.classifierHead("head", h, CLASSES);
    Graph g = b.build(Losses.softmaxCrossEntropy(logits, labels));
    GradientCheck.assertGradients(g, 0, feeds(g, x, 3), wrt(g, x),
        GradientCheck.Options.defaults().withMode(GradientCheck.Mode.DIRECTIONAL).withProbes(4));
  }

  /** ResNet's bottleneck block with a strided projection, in training mode. */
  @Test
  void bottleneckBlock() {
    GraphBuilder b = new GraphBuilder("bottleneck");
    Tensor x = b.input("images", DType.F64, Shape.BATCH, 2, 4, 4);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor h = Blocks.bottleneck("block", x, 1, 2);
    Tensor logits = Blocks.classifierHead("head", h, CLASSES);
    Graph g = b.build(Losses.softmaxCrossEntropy(logits, labels));
    GradientCheck.assertGradients(g, 0, feeds(g, x, 4), wrt(g, x));
  }
}
