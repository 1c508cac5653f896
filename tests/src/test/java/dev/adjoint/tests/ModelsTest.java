package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.nn.Models;
import dev.adjoint.passes.EliminateDeadNodes;
import dev.adjoint.passes.FoldBatchNorm;
import dev.adjoint.passes.Pipeline;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The reference architectures: their size, their modes, and batch-norm folding on a ResNet. */
class ModelsTest {

  private static long parameterCount(Graph g) {
    return g.parameters().stream().mapToLong(p -> p.shape().size()).sum();
  }

  @Test
  void resnet20HasTheParameterCountOfThePaper() {
    GraphBuilder b = new GraphBuilder("resnet20");
    Tensor images = b.input("images", DType.F32, Shape.BATCH, 3, 32, 32);
    Tensor logits = Models.smallResNet(images, 10, 16, 3);
    assertEquals(Shape.batched(10), logits.shape());
    Graph g = b.build(logits);
    // Stem, three stages of three basic blocks (projection shortcuts where the shape changes), head.
    long stem = 3 * 16 * 9 + 2 * 16;
    long stage1 = 3 * 2 * (16 * 16 * 9 + 2 * 16);
    long stage2 = (16 * 32 * 9 + 64) + (32 * 32 * 9 + 64) + (16 * 32 + 64) + 2 * 2 * (32 * 32 * 9 + 64);
    long stage3 = (32 * 64 * 9 + 128) + (64 * 64 * 9 + 128) + (32 * 64 + 128) + 2 * 2 * (64 * 64 * 9 + 128);
    long head = 64 * 10 + 10;
    assertEquals(stem + stage1 + stage2 + stage3 + head, parameterCount(g));
    assertEquals(272_474, parameterCount(g), "ResNet-20 with projection shortcuts (He et al., option B)");
    // 19 convolutions + 2 projections, each followed by a training-mode batch norm with 2 updates.
    assertEquals(21, g.nodes().stream().filter(n -> n.op() instanceof Op.BatchNormTraining).count());
    assertEquals(42, g.updates().size());
  }

  @Test
  void denseNetGrowsChannelsAndHalvesThemInTransitions() {
    GraphBuilder b = new GraphBuilder("densenet").training(false);
    Tensor images = b.input("images", DType.F32, Shape.BATCH, 1, 16, 16);
    Tensor logits = Models.smallDenseNet(images, 10, 4, 3, 2);
    Graph g = b.build(logits);
    assertEquals(Shape.batched(10), logits.shape());
    // Stem 8 channels; block1 → 16, transition → 8 at 8×8; block2 → 16, transition → 8 at 4×4; block3 → 16.
    List<Shape> concatShapes = g.nodes().stream().filter(n -> n.op() instanceof Op.Concat).map(Node::shape).toList();
    assertEquals(List.of(Shape.batched(12, 16, 16), Shape.batched(16, 16, 16), Shape.batched(12, 8, 8),
        Shape.batched(16, 8, 8), Shape.batched(12, 4, 4), Shape.batched(16, 4, 4)), concatShapes);
    assertTrue(g.updates().isEmpty(), "inference mode updates no running statistics");
    assertEquals(0, g.nodes().stream().filter(n -> n.op() instanceof Op.BatchNormTraining).count());
  }

  /**
   * Every batch norm of an inference-mode ResNet folds into its convolution, and the folded
   * network computes what the unfolded one does, with random running statistics and weights.
   */
  @Test
  void foldingBatchNormIntoEveryConvolutionOfAResNetKeepsItsOutputs() {
    GraphBuilder b = new GraphBuilder("resnet8").training(false);
    Tensor images = b.input("images", DType.F64, Shape.BATCH, 3, 8, 8);
    Graph before = b.build(Models.smallResNet(images, 10, 4, 1));
    Graph after = Pipeline.of(new FoldBatchNorm(), new EliminateDeadNodes()).run(before);
    assertEquals(9, before.nodes().stream().filter(n -> n.op() instanceof Op.BatchNormInference).count());
    assertEquals(0, after.nodes().stream().filter(n -> n.op() instanceof Op.BatchNormInference).count());

    Random r = new Random(4);
    Map<String, NDArray> feeds = new HashMap<>();
    for (Node leaf : before.nodes()) {
      if (leaf.op() instanceof Op.Parameter || leaf.op() instanceof Op.State) {
        double low = leaf.name().endsWith("running_var") ? 0.3 : -1;
        feeds.put(leaf.name(), NDArray.generate(DType.F64, leaf.shape(), i -> low + r.nextDouble()));
      }
    }
    feeds.put("images", NDArray.generate(DType.F64, Shape.of(2, 3, 8, 8), i -> r.nextGaussian()));
    NDArray want = ReferenceInterpreter.run(before, feeds).get(0);
    NDArray got = ReferenceInterpreter.run(after, feeds).get(0);
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i), got.get(i), 1e-9 * Math.max(1, Math.abs(want.get(i))));
    }
  }

  @Test
  void bottleneckExpandsFourTimesAndProjectsItsShortcut() {
    GraphBuilder b = new GraphBuilder("bottleneck");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 8, 8, 8);
    Tensor same = dev.adjoint.nn.Blocks.bottleneck("b1", x, 2, 1);
    Tensor strided = dev.adjoint.nn.Blocks.bottleneck("b2", same, 4, 2);
    assertEquals(Shape.batched(8, 8, 8), same.shape(), "4·2 = 8 channels: identity shortcut");
    assertEquals(Shape.batched(16, 4, 4), strided.shape());
    Graph g = b.build(strided);
    long b1 = 8 * 2 + 2 * 2 + 2 * 2 * 9 + 2 * 2 + 2 * 8 + 2 * 8;
    long b2 = 8 * 4 + 2 * 4 + 4 * 4 * 9 + 2 * 4 + 4 * 16 + 2 * 16 + (8 * 16 + 2 * 16);
    assertEquals(b1 + b2, parameterCount(g));
    assertTrue(g.nodes().stream().anyMatch(n -> n.name().startsWith("b2/projection/")));
    assertTrue(g.nodes().stream().noneMatch(n -> n.name().startsWith("b1/projection/")));
  }

  @Test
  void resnet18HasTheParameterCountOfTorchvision() {
    GraphBuilder b = new GraphBuilder("resnet18").training(false);
    Tensor images = b.input("images", DType.F32, Shape.BATCH, 3, 224, 224);
    Tensor logits = Models.resnet18(images, 1000);
    assertEquals(Shape.batched(1000), logits.shape());
    // torchvision.models.resnet18().parameters() sums to 11,689,512 (its convolutions have no bias).
    assertEquals(11_689_512, parameterCount(b.build(logits)));
  }
}
