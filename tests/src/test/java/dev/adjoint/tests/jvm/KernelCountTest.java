package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.kernel.MemoryPlanner;
import dev.adjoint.nn.Models;
import dev.adjoint.train.Optimizer;
import dev.adjoint.train.TrainingStep;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Kernel counts with fusion off and on for whole models, printed as a table with each program's
 * arena next to its liveness lower bound; fusion must cut the kernels of every model at least
 * threefold, and an MLP's dense layers must become one GEMM with an epilogue each.
 */
class KernelCountTest {

  static Graph mlp() {
    GraphBuilder b = new GraphBuilder("mlp");
    Tensor h = b.input("x", DType.F32, Shape.BATCH, 784);
    int[] widths = {784, 1024, 1024, 10};
    for (int i = 1; i < widths.length; i++) {
      h = h.matmul(b.parameter("w" + i, DType.F32, Initializer.heNormal(), widths[i - 1], widths[i]))
          .plus(b.parameter("b" + i, DType.F32, Initializer.zeros(), widths[i]));
      h = i < widths.length - 1 ? h.relu() : h;
    }
    return b.build(h);
  }

  static Graph resnet20(boolean training) {
    GraphBuilder b = new GraphBuilder(training ? "resnet20_train" : "resnet20").training(training);
    Tensor logits = Models.smallResNet(b.input("x", DType.F32, Shape.BATCH, 3, 32, 32), 10, 16, 3);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor loss = b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("loss");
    return b.build(training ? loss : logits);
  }

  private record Counts(int unfused, int fused) {}

  private static Counts report(String name, Graph graph, int batch) {
    CompiledProgram unfused = Compiler.jvm(o -> o.fusion(false)).compile(graph);
    CompiledProgram fused = Compiler.jvm().compile(graph);
    MemoryPlanner.Plan plan = fused.memoryPlan(batch);
    System.out.printf(Locale.ROOT, "%-28s %6d nodes %6d kernels unfused %5d fused   arena %8.2f MB (bound %8.2f MB) at N=%d%n",
        name, graph.nodes().size(), unfused.kernelCount(), fused.kernelCount(), plan.arenaBytes() / 1e6,
        plan.lowerBoundBytes() / 1e6, batch);
    return new Counts(unfused.kernelCount(), fused.kernelCount());
  }

  @Test
  void fusionCutsKernelCounts() {
    Counts mlp = report("MLP 784-1024-1024-10", mlp(), 64);
    assertEquals(3, mlp.fused(), "one GEMM with its bias and relu epilogue per layer");
    Counts inference = report("ResNet-20 inference", resnet20(false), 32);
    Graph train = resnet20(true);
    Counts forward = report("ResNet-20 training forward", train, 32);
    Graph step = TrainingStep.build(train, "loss", Optimizer.momentum(0.9), null);
    Counts training = report("ResNet-20 training step", step, 32);
    for (Counts c : new Counts[] {inference, forward, training}) {
      assertTrue(3 * c.fused() <= c.unfused(), c.toString());
    }
  }
}
