package dev.adjoint.passes;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Op.BinaryFn;
import dev.adjoint.ir.Op.ReduceFn;
import dev.adjoint.ir.Shape;
import java.util.List;

/**
 * Rewrites the fused composites into primitives, so that generic fusion sees elementwise ops and
 * reductions. Each decomposition computes what the reference interpreter computes, in the same
 * order, so in F64 the values agree exactly:
 *
 * <ul>
 *   <li>softmax and log-softmax shift by the maximum along the axis, excluded from differentiation;
 *       a maximum that is not finite shifts by 0, as the reference does (JAX's guard);
 *   <li>softmax cross-entropy is {@code logsumexp(row) − row[label]} for integer labels (the label's
 *       logit picked by a one-hot mask, so an {@code −∞} logit elsewhere stays harmless) and {@code
 *       −Σ t·log_softmax(row)} for probability targets; MEAN divides the sum by {@code size_of} the
 *       batch axis, so it works with a symbolic batch;
 *   <li>dropout draws {@code random_uniform} with the same seed and key, so its mask is identical,
 *       and selects {@code x / (1−p)} or 0;
 *   <li>batch norm (training: the batch's mean and biased variance; inference: the running
 *       statistics) and layer norm become {@code (x − mean)/sqrt(var + ε)·γ + β}.
 * </ul>
 *
 * Convolutions and pooling are primitives and stay.
 *
 * Helper nodes are named after the composite ({@code softmax_1/shift}); the last node keeps the
 * composite's name. A composite reducing over an axis of size 0 is left whole: a maximum over no
 * elements is undefined.
 */
public final class DecomposeComposites implements Pass {
  /** {@code Philox.uniform} draws multiples of 2^-24; see {@link #dropout}. */
  private static final double UNIFORM_STEPS = 0x1.0p24;

  @Override
  public String name() {
    return "decompose-composites";
  }

  @Override
  public Graph run(Graph graph) {
    return GraphRewriter.rewrite(graph, DecomposeComposites::decompose);
  }

  private static Node decompose(Node node, GraphRewriter rewriter) {
    Decomposition d = new Decomposition(node, rewriter);
    return switch (node.op()) {
      case Op.Softmax s -> softmax(d, s.axis(), false);
      case Op.LogSoftmax s -> softmax(d, s.axis(), true);
      case Op.SoftmaxCrossEntropy ce -> crossEntropy(d, ce.reduction());
      case Op.Dropout dropout -> dropout(d, dropout);
      case Op.BatchNormTraining bn -> normalize(d, batchNormAxes(node), bn.eps(), true);
      case Op.BatchNormInference bn -> normalize(d, batchNormAxes(node), bn.eps(), false);
      case Op.LayerNorm ln -> normalize(d, trailingAxes(node, ln.axis()), ln.eps(), true);
      case Op.Conv2d _, Op.Conv2dBackwardInput _, Op.Conv2dBackwardFilter _, Op.MaxPool2d _, Op.MaxPool2dBackward _,
          Op.MaxPool2dSelect _, Op.AvgPool2d _, Op.AvgPool2dBackward _ -> rewriter.keep(node);
      case Op.Input _, Op.Parameter _, Op.State _, Op.Constant _, Op.Unary _, Op.Binary _, Op.Compare _,
          Op.Select _, Op.Cast _, Op.StopGradient _, Op.Reduce _, Op.SizeOf _, Op.Reshape _, Op.Transpose _,
          Op.Broadcast _, Op.Slice _, Op.Pad _, Op.Concat _, Op.MatMul _, Op.OneHot _, Op.RandomUniform _,
          Op.CustomVjp _ -> rewriter.keep(node);
    };
  }

  private static Node softmax(Decomposition d, int axis, boolean log) {
    Node x = d.input(0);
    if (x.shape().dim(axis) == 0) {
      return d.keep();
    }
    Node shifted = d.node("shifted", binary(BinaryFn.SUB), x, shift(d, x, axis));
    Node exp = d.node("exp", new Op.Unary(Op.UnaryFn.EXP), shifted);
    Node sumExp = d.node("sum_exp", new Op.Reduce(ReduceFn.SUM, List.of(axis), true), exp);
    if (!log) {
      return d.result(binary(BinaryFn.DIV), exp, sumExp);
    }
    Node logSumExp = d.node("log_sum_exp", new Op.Unary(Op.UnaryFn.LOG), sumExp);
    return d.result(binary(BinaryFn.SUB), shifted, logSumExp);
  }

  /**
   * {@code stop_gradient(max)} along {@code axis} with kept dims, or 0 where the maximum is not
   * finite: {@code max − max == 0} holds exactly for finite maxima.
   */
  private static Node shift(Decomposition d, Node x, int axis) {
    Node zero = d.scalar("zero", x.dtype(), 0);
    Node max = d.node("max", new Op.Reduce(ReduceFn.MAX, List.of(axis), true), x);
    Node maxMinusMax = d.node("max_minus_max", binary(BinaryFn.SUB), max, max);
    Node finite = d.node("max_is_finite", new Op.Compare(Op.CompareFn.EQ), maxMinusMax, zero);
    Node finiteMax = d.node("finite_max", new Op.Select(), finite, max, zero);
    return d.node("shift", new Op.StopGradient(), finiteMax);
  }

  private static Node crossEntropy(Decomposition d, Op.Reduction reduction) {
    Node logits = d.input(0);
    Node labels = d.input(1);
    int batch = logits.shape().dim(0);
    int classes = logits.shape().dim(1);
    if (classes == 0) {
      return d.keep();
    }
    Node shift = shift(d, logits, 1);
    Node shifted = d.node("shifted", binary(BinaryFn.SUB), logits, shift);
    Node exp = d.node("exp", new Op.Unary(Op.UnaryFn.EXP), shifted);
    Node sumExp = d.node("sum_exp", new Op.Reduce(ReduceFn.SUM, List.of(1), true), exp);
    Node logSumExpShifted = d.node("log_sum_exp", new Op.Unary(Op.UnaryFn.LOG), sumExp);
    if (labels.dtype().isInteger()) {
      Node logSumExp = d.node("logsumexp", binary(BinaryFn.ADD), shift, logSumExpShifted);
      Node oneHot = d.node("one_hot", new Op.OneHot(classes, logits.dtype()), labels);
      Node zero = d.scalar("zero_logit", logits.dtype(), 0);
      Node isLabel = d.node("is_label", new Op.Compare(Op.CompareFn.GT), oneHot, zero);
      Node picked = d.node("picked", new Op.Select(), isLabel, logits, zero);
      Node labelLogit = d.node("label_logit", new Op.Reduce(ReduceFn.SUM, List.of(1), true), picked);
      Node loss = d.node("loss", binary(BinaryFn.SUB), logSumExp, labelLogit);
      return reduceRows(d, new Op.Reshape(Shape.of(batch)), loss, reduction);
    }
    Node logProbabilities = d.node("log_probabilities", binary(BinaryFn.SUB), shifted, logSumExpShifted);
    Node weighted = d.node("weighted", binary(BinaryFn.MUL), labels, logProbabilities);
    Node sum = d.node("sum", new Op.Reduce(ReduceFn.SUM, List.of(1), false), weighted);
    return reduceRows(d, new Op.Unary(Op.UnaryFn.NEG), sum, reduction);
  }

  /** The per-row losses {@code rowOp(rowInput)}, reduced over the rows as {@code reduction} says. */
  private static Node reduceRows(Decomposition d, Op rowOp, Node rowInput, Op.Reduction reduction) {
    Op total = new Op.Reduce(ReduceFn.SUM, List.of(0), false);
    return switch (reduction) {
      case NONE -> d.result(rowOp, rowInput);
      case SUM -> d.result(total, d.node("rows", rowOp, rowInput));
      case MEAN -> {
        Node rows = d.node("rows", rowOp, rowInput);
        Node count = d.node("rows_count", new Op.SizeOf(List.of(0), rows.dtype()), rows);
        yield d.result(binary(BinaryFn.DIV), d.node("total", total, rows), count);
      }
    };
  }

  /**
   * {@code select(u >= p, x / (1−p), 0)} with {@code u = random_uniform(x, step)}. The threshold is
   * p rounded up to the 2^-24 grid of the draws, which is exact in F32 as well as F64, so the mask
   * is the reference's in both. p = 0 keeps {@code x}; p = 1 gives zeros without a division.
   */
  private static Node dropout(Decomposition d, Op.Dropout dropout) {
    Node x = d.input(0);
    Node step = d.input(1);
    double p = dropout.p();
    if (p == 0) {
      return x;
    }
    if (p == 1) {
      return d.result(new Op.Broadcast(x.shape()), d.scalar("zero", x.dtype(), 0));
    }
    Node uniform = d.node("uniform", new Op.RandomUniform(dropout.seed(), dropout.key(), x.dtype()), x, step);
    Node threshold = d.scalar("threshold", x.dtype(), Math.ceil(p * UNIFORM_STEPS) / UNIFORM_STEPS);
    Node kept = d.node("kept", new Op.Compare(Op.CompareFn.GE), uniform, threshold);
    Node scaled = d.node("scaled", binary(BinaryFn.DIV), x, d.scalar("keep_probability", x.dtype(), 1 - p));
    return d.result(new Op.Select(), kept, scaled, d.scalar("zero", x.dtype(), 0));
  }

  /**
   * {@code (x − mean)/sqrt(var + ε)·γ + β}, with the mean and biased variance of x over {@code
   * axes} ({@code fromBatch}), or batch norm's running statistics (operands 3 and 4). γ and β (and
   * the running statistics) are reshaped to broadcast along the axes they do not span.
   */
  private static Node normalize(Decomposition d, List<Integer> axes, double eps, boolean fromBatch) {
    Node x = d.input(0);
    for (int a : axes) {
      if (x.shape().dim(a) == 0) {
        return d.keep();
      }
    }
    boolean batchNorm = !(d.composite().op() instanceof Op.LayerNorm);
    Shape statShape = keptShape(x.shape(), axes);
    Node mean;
    Node variance;
    Node centered;
    if (fromBatch) {
      mean = batchMean(d, "mean", axes, statShape, x);
      centered = d.node("centered", binary(BinaryFn.SUB), x, mean);
      Node squares = d.node("squares", binary(BinaryFn.MUL), centered, centered);
      variance = batchMean(d, "variance", axes, statShape, squares);
    } else {
      mean = d.node("mean", new Op.Reshape(statShape), d.input(3));
      centered = d.node("centered", binary(BinaryFn.SUB), x, mean);
      variance = d.node("variance", new Op.Reshape(statShape), d.input(4));
    }
    Node std = d.node("std", new Op.Unary(Op.UnaryFn.SQRT),
        d.node("variance_eps", binary(BinaryFn.ADD), variance, d.scalar("eps", x.dtype(), eps)));
    Node normalized = d.node("normalized", binary(BinaryFn.DIV), centered, std);
    // Batch norm's γ and β are [C] for axis 1; layer norm's already span the trailing axes.
    Node gamma = batchNorm ? d.node("gamma", new Op.Reshape(statShape), d.input(1)) : d.input(1);
    Node beta = batchNorm ? d.node("beta", new Op.Reshape(statShape), d.input(2)) : d.input(2);
    return d.result(binary(BinaryFn.ADD), d.node("scaled", binary(BinaryFn.MUL), normalized, gamma), beta);
  }

  /**
   * The mean of {@code values} over {@code axes}, shaped {@code statShape}. Where that shape has no
   * symbolic batch (batch norm's {@code [1,C,1,1]}), as a reshape of the mean without the kept
   * axes: the form a training layer's running-statistics update computes too ({@code
   * dev.adjoint.nn.BatchNorm}), so common-subexpression elimination merges the two and the kernel
   * reduces once.
   */
  private static Node batchMean(Decomposition d, String role, List<Integer> axes, Shape statShape, Node values) {
    if (statShape.isBatched()) {
      return d.node(role, new Op.Reduce(ReduceFn.MEAN, axes, true), values);
    }
    Node reduced = d.node(role + "_values", new Op.Reduce(ReduceFn.MEAN, axes, false), values);
    return d.node(role, new Op.Reshape(statShape), reduced);
  }

  /** Batch norm reduces over every axis but the channel axis 1. */
  private static List<Integer> batchNormAxes(Node node) {
    List<Integer> axes = new java.util.ArrayList<>();
    for (int a = 0; a < node.shape().rank(); a++) {
      if (a != 1) {
        axes.add(a);
      }
    }
    return axes;
  }

  private static List<Integer> trailingAxes(Node node, int from) {
    List<Integer> axes = new java.util.ArrayList<>();
    for (int a = from; a < node.shape().rank(); a++) {
      axes.add(a);
    }
    return axes;
  }

  /** {@code shape} with each of {@code axes} set to 1. */
  private static Shape keptShape(Shape shape, List<Integer> axes) {
    int[] dims = shape.dims();
    for (int a : axes) {
      dims[a] = 1;
    }
    return Shape.of(dims);
  }

  private static Op binary(BinaryFn fn) {
    return new Op.Binary(fn);
  }

  /** Emits the helper nodes of one composite, named after it, and finally its replacement. */
  private record Decomposition(Node composite, GraphRewriter rewriter) {

    Node input(int i) {
      return rewriter.input(composite, i);
    }

    Node keep() {
      return rewriter.keep(composite);
    }

    Node node(String role, Op op, Node... inputs) {
      return rewriter.emit(composite.name() + "/" + role, op, List.of(inputs));
    }

    Node scalar(String role, DType dtype, double value) {
      return node(role, new Op.Constant(NDArray.scalar(dtype, value)));
    }

    /** The node that takes the composite's place and name. */
    Node result(Op op, Node... inputs) {
      return rewriter.replace(composite, op, List.of(inputs));
    }
  }
}
