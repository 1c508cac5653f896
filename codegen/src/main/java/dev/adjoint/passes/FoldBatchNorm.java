package dev.adjoint.passes;

import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Op.BinaryFn;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.StateUpdate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Folds an inference-mode batch norm into the convolution or dense layer that feeds it, as
 * PyTorch's {@code fuse_conv_bn_weights} does: with {@code scale = γ / sqrt(running_var + ε)},
 *
 * <pre>
 *   w' = w · scale (per output channel)      b' = (b − running_mean) · scale + β
 * </pre>
 *
 * and {@code bn(conv(x, w) + b)} becomes {@code conv(x, w') + b'}. A bias is created where the
 * layer had none ({@code b = 0}); grouped and depthwise convolutions fold the same way, since
 * their weights are {@code [out, in/groups, kh, kw]} with one output channel per row; a batch norm
 * without affine parameters has constant γ = 1, β = 0 operands and folds like any other.
 *
 * <p>Matched: {@code batch_norm_inference} whose operand 0 is a {@code conv2d} (any groups), or a
 * {@code matmul} {@code [N, in] x [in, out]} (also with {@code transpose_b}), optionally followed by
 * a per-channel bias add, each used by nothing but the next step of the pattern. Left alone: a
 * batch norm in training mode, and a layer whose output is also used elsewhere (an output, a state
 * update or another node), since folding would change what that user sees.
 *
 * <p>The folded weights are computed by ordinary nodes from the layer's parameters, so the graph
 * stays correct for any parameter values; when the parameters are constants, {@link FoldConstants}
 * turns them into constants. The unfolded layer is left for {@link EliminateDeadNodes}.
 */
public final class FoldBatchNorm implements Pass {

  @Override
  public String name() {
    return "fold-batch-norm";
  }

  @Override
  public Graph run(Graph graph) {
    Map<Node, Integer> uses = uses(graph);
    return GraphRewriter.rewrite(graph, (node, rewriter) -> {
      if (node.op() instanceof Op.BatchNormInference bn) {
        Layer layer = Layer.match(node.input(0), uses);
        if (layer != null) {
          return fold(node, bn.eps(), layer, rewriter);
        }
      }
      return rewriter.keep(node);
    });
  }

  /**
   * A conv2d or dense layer feeding the batch norm: the weight product, and the add of its bias
   * (operand {@code biasOperand} of {@code biasAdd}) if it has one.
   */
  private record Layer(Node product, @Nullable Node biasAdd, int biasOperand) {

    static @Nullable Layer match(Node producer, Map<Node, Integer> uses) {
      if (uses.get(producer) != 1) {
        return null;
      }
      if (isFoldableProduct(producer)) {
        return new Layer(producer, null, -1);
      }
      if (producer.op() instanceof Op.Binary b && b.fn() == BinaryFn.ADD) {
        for (int side = 0; side < 2; side++) {
          Node product = producer.input(side);
          Node bias = producer.input(1 - side);
          if (isFoldableProduct(product) && uses.get(product) == 1 && isChannelVector(bias, product)) {
            return new Layer(product, producer, 1 - side);
          }
        }
      }
      return null;
    }

    private static boolean isFoldableProduct(Node n) {
      return switch (n.op()) {
        case Op.Conv2d c -> true;
        case Op.MatMul m -> !m.transposeA() && n.input(0).shape().rank() == 2 && n.input(1).shape().rank() == 2;
        default -> false;
      };
    }

    /** A bias with one value per output channel, laid out to broadcast along that channel. */
    private static boolean isChannelVector(Node bias, Node product) {
      int channels = product.shape().dim(1);
      Shape s = bias.shape();
      List<Integer> dims = s.dimList();
      return switch (product.op()) {
        case Op.Conv2d c -> dims.equals(List.of(1, channels, 1, 1)) || dims.equals(List.of(channels, 1, 1));
        default -> dims.equals(List.of(channels)) || dims.equals(List.of(1, channels));
      };
    }

    boolean isConv() {
      return product.op() instanceof Op.Conv2d;
    }

    /** The shape that lines a per-channel vector up with the output channels of the weight. */
    Shape weightScaleShape() {
      Node w = product.input(1);
      return switch (product.op()) {
        case Op.Conv2d c -> Shape.of(w.shape().dim(0), 1, 1, 1);
        case Op.MatMul m -> m.transposeB() ? Shape.of(w.shape().dim(0), 1) : Shape.of(1, w.shape().dim(1));
        default -> throw new IllegalStateException("not a foldable layer: " + product);
      };
    }

    /** The shape that lines a per-channel vector up with the output channels of the result. */
    Shape outputBiasShape() {
      int channels = product.shape().dim(1);
      return isConv() ? Shape.of(1, channels, 1, 1) : Shape.of(1, channels);
    }
  }

  private static Node fold(Node bn, double eps, Layer layer, GraphRewriter rewriter) {
    Fold f = new Fold(bn, rewriter);
    Node gamma = rewriter.input(bn, 1);
    Node beta = rewriter.input(bn, 2);
    Node mean = rewriter.input(bn, 3);
    Node variance = rewriter.input(bn, 4);
    Node product = layer.product();
    int channels = product.shape().dim(1);

    Node std = f.node("std", new Op.Unary(Op.UnaryFn.SQRT),
        f.node("var_eps", new Op.Binary(BinaryFn.ADD), variance, f.scalar("eps", eps)));
    Node scale = f.node("scale", new Op.Binary(BinaryFn.DIV), gamma, std);
    Node weight = rewriter.input(product, 1);
    Node foldedWeight = f.node("weight", new Op.Binary(BinaryFn.MUL), weight,
        f.node("weight_scale", new Op.Reshape(layer.weightScaleShape()), scale));
    Node centered = layer.biasAdd() == null
        ? f.node("neg_mean", new Op.Unary(Op.UnaryFn.NEG), mean)
        : f.node("bias_minus_mean", new Op.Binary(BinaryFn.SUB),
            f.node("bias_vector", new Op.Reshape(Shape.of(channels)),
                rewriter.input(layer.biasAdd(), layer.biasOperand())),
            mean);
    Node foldedBias = f.node("bias", new Op.Binary(BinaryFn.ADD),
        f.node("scaled_bias", new Op.Binary(BinaryFn.MUL), centered, scale), beta);
    Node folded = f.node(product.op().mnemonic(), product.op(), rewriter.input(product, 0), foldedWeight);
    return rewriter.replace(bn, new Op.Binary(BinaryFn.ADD),
        List.of(folded, f.node("bias_channels", new Op.Reshape(layer.outputBiasShape()), foldedBias)));
  }

  /** How many times each node is used: as an operand, an output or a state update's value. */
  private static Map<Node, Integer> uses(Graph graph) {
    Map<Node, Integer> uses = new HashMap<>();
    for (Node n : graph.nodes()) {
      for (Node in : n.inputs()) {
        uses.merge(in, 1, Integer::sum);
      }
    }
    graph.outputs().forEach(n -> uses.merge(n, 1, Integer::sum));
    for (StateUpdate u : graph.updates()) {
      uses.merge(u.value(), 1, Integer::sum);
    }
    return uses;
  }

  /** Emits the helper nodes of one fold, named after the batch norm. */
  private record Fold(Node bn, GraphRewriter rewriter) {
    Node node(String role, Op op, Node... inputs) {
      return rewriter.emit(bn.name() + "/" + role, op, List.of(inputs));
    }

    Node scalar(String role, double value) {
      return node(role, new Op.Constant(NDArray.scalar(bn.dtype(), value)));
    }
  }
}
