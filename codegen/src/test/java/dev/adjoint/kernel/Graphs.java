package dev.adjoint.kernel;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.List;

/** Small graphs whose kernels the tests look at. */
final class Graphs {
  private Graphs() {}

  /** Two dense layers with relu and a softmax cross-entropy loss; returns the loss and the logits. */
  static Graph mlp(DType dtype) {
    GraphBuilder b = new GraphBuilder("mlp");
    Tensor x = b.input("x", dtype, Shape.BATCH, 4);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor h = x.matmul(b.parameter("w1", dtype, Initializer.heNormal(), 4, 8))
        .plus(b.parameter("b1", dtype, Initializer.zeros(), 8)).relu().named("hidden");
    Tensor logits = h.matmul(b.parameter("w2", dtype, Initializer.heNormal(), 8, 3))
        .plus(b.parameter("b2", dtype, Initializer.zeros(), 3)).named("logits");
    Tensor loss = b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("loss");
    return b.build(loss, logits);
  }

  /** Softmax over the last axis. */
  static Graph softmax() {
    GraphBuilder b = new GraphBuilder("softmax");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 10);
    return b.build(x.softmax(1).named("probabilities"));
  }

  /** Training-mode batch norm with PyTorch's running statistics, then relu. */
  static Graph batchNorm() {
    GraphBuilder b = new GraphBuilder("batch_norm");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3, 4, 4);
    Tensor y = dev.adjoint.nn.BatchNorm.create(b, "bn", DType.F32, 3).invoke(x).relu().named("y");
    return b.build(y);
  }

  /** A residual block tail in inference: conv, batch norm, residual add, relu. */
  static Graph convBlock() {
    GraphBuilder b = new GraphBuilder("conv_block").training(false);
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 4, 8, 8);
    Tensor w = b.parameter("w", DType.F32, Initializer.heNormal(), 4, 4, 3, 3);
    Tensor conv = b.add(new Op.Conv2d(List.of(1, 1), List.of(1, 1, 1, 1), List.of(1, 1), 1), x, w);
    Tensor bn = dev.adjoint.nn.BatchNorm.create(b, "bn", DType.F32, 4).invoke(conv);
    return b.build(bn.plus(x).relu().named("y"));
  }
}
