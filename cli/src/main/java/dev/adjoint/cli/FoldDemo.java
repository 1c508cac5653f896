package dev.adjoint.cli;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Shape;
import dev.adjoint.nn.Models;
import dev.adjoint.passes.EliminateDeadNodes;
import dev.adjoint.passes.FoldBatchNorm;
import dev.adjoint.passes.Pipeline;
import dev.adjoint.passes.PipelineOptions;

/**
 * The {@code fold} subcommand: builds a small inference-mode ResNet and runs batch-norm folding
 * with the pipeline's IR dump switched on, so the graph is printed before and after each pass.
 */
final class FoldDemo {
  private FoldDemo() {}

  static void run(String[] args) {
    UsageException.requireNone("fold", args);
    GraphBuilder b = new GraphBuilder("resnet8").training(false);
    Tensor images = b.input("images", DType.F32, Shape.BATCH, 3, 32, 32);
    Graph resnet = b.build(Models.smallResNet(images, 10, 8, 1));
    Pipeline.of(new FoldBatchNorm(), new EliminateDeadNodes())
        .withOptions(o -> o.printIr(PipelineOptions.ALL).out(System.out).logPasses(true))
        .run(resnet);
  }
}
