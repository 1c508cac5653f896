package dev.adjoint.kernel;

import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import java.util.List;

/** How lowering treats each op: one exhaustive switch over {@link Op}. */
enum NodeKind {
  /** Fed by name: input, parameter, state. */
  LEAF,
  /** A literal value. */
  CONSTANT,
  /** One output element from the operand elements at the same (broadcast) position. */
  POINTWISE,
  /** Moves elements without arithmetic: the value at a position is an operand's value at another. */
  INDEX,
  /** Same elements, new shape. */
  RESHAPE,
  /** Elements computed from the position (one-hot, random draws, sizes). */
  GENERATOR,
  /** A reduction over axes. */
  REDUCE,
  /** A runtime library kernel: GEMM, convolution, pooling. */
  LIBRARY,
  /** A fused composite that {@code DecomposeComposites} left whole (an empty reduction axis). */
  COMPOSITE;

  static NodeKind of(Op op) {
    return switch (op) {
      case Op.Input _, Op.Parameter _, Op.State _ -> LEAF;
      case Op.Constant _ -> CONSTANT;
      case Op.Unary _, Op.Binary _, Op.Compare _, Op.Select _, Op.Cast _, Op.StopGradient _, Op.CustomVjp _ -> POINTWISE;
      case Op.Broadcast _, Op.Transpose _, Op.Slice _, Op.Pad _, Op.Concat _ -> INDEX;
      case Op.Reshape _ -> RESHAPE;
      case Op.OneHot _, Op.RandomUniform _, Op.SizeOf _ -> GENERATOR;
      case Op.Reduce _ -> REDUCE;
      case Op.MatMul _, Op.Conv2d _, Op.Conv2dBackwardInput _, Op.Conv2dBackwardFilter _, Op.MaxPool2d _,
          Op.MaxPool2dBackward _, Op.MaxPool2dSelect _, Op.AvgPool2d _, Op.AvgPool2dBackward _ -> LIBRARY;
      case Op.BatchNormTraining _, Op.BatchNormInference _, Op.LayerNorm _, Op.Softmax _, Op.LogSoftmax _,
          Op.SoftmaxCrossEntropy _, Op.Dropout _ -> COMPOSITE;
    };
  }

  /** Whether a node of this kind can be computed inside another node's loop nest instead of its own. */
  boolean fusible() {
    return this == POINTWISE || this == INDEX || this == RESHAPE || this == GENERATOR;
  }

  /**
   * The operands whose element values {@code node} reads. A random draw and a size read only their
   * operand 0's shape, and a custom VJP forwards operand 0 and only differentiates the others.
   */
  static List<Node> valueOperands(Node node) {
    if (node.op() instanceof Op.RandomUniform) {
      return List.of(node.input(1));
    }
    if (node.op() instanceof Op.SizeOf) {
      return List.of();
    }
    if (node.op() instanceof Op.CustomVjp) {
      return List.of(node.input(0));
    }
    return node.inputs();
  }
}
