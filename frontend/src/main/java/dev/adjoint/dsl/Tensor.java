package dev.adjoint.dsl;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Op.BinaryFn;
import dev.adjoint.ir.Op.CompareFn;
import dev.adjoint.ir.Op.ReduceFn;
import dev.adjoint.ir.Op.UnaryFn;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A handle on one node of a graph under construction. Every method adds a typed node and returns
 * its handle. Methods named {@code plus}, {@code minus}, {@code times}, {@code div}, {@code
 * unaryMinus} and {@code get} are operators in Kotlin. Axes may be negative (-1 is the last).
 */
public final class Tensor {
  private final GraphBuilder builder;
  private final Node node;

  Tensor(GraphBuilder builder, Node node) {
    this.builder = builder;
    this.node = node;
  }

  public GraphBuilder builder() {
    return builder;
  }

  public Node node() {
    return node;
  }

  public TensorType type() {
    return node.type();
  }

  public DType dtype() {
    return node.dtype();
  }

  public Shape shape() {
    return node.shape();
  }

  public int rank() {
    return node.shape().rank();
  }

  public String name() {
    return node.name();
  }

  /** Renames this freshly made node (see {@link GraphBuilder#rename}). */
  public Tensor named(String name) {
    return builder.rename(this, name);
  }

  private Tensor op(Op op, Tensor... others) {
    Tensor[] all = new Tensor[others.length + 1];
    all[0] = this;
    System.arraycopy(others, 0, all, 1, others.length);
    return builder.add(op, all);
  }

  /** A scalar constant of this tensor's dtype. */
  public Tensor scalarLike(double value) {
    return builder.scalar(dtype(), value);
  }

  // ---- arithmetic (NumPy broadcasting) ----

  public Tensor plus(Tensor o) {
    return op(new Op.Binary(BinaryFn.ADD), o);
  }

  public Tensor plus(double c) {
    return plus(scalarLike(c));
  }

  public Tensor minus(Tensor o) {
    return op(new Op.Binary(BinaryFn.SUB), o);
  }

  public Tensor minus(double c) {
    return minus(scalarLike(c));
  }

  public Tensor times(Tensor o) {
    return op(new Op.Binary(BinaryFn.MUL), o);
  }

  public Tensor times(double c) {
    return times(scalarLike(c));
  }

  public Tensor div(Tensor o) {
    return op(new Op.Binary(BinaryFn.DIV), o);
  }

  public Tensor div(double c) {
    return div(scalarLike(c));
  }

  public Tensor pow(Tensor o) {
    return op(new Op.Binary(BinaryFn.POW), o);
  }

  public Tensor pow(double c) {
    return pow(scalarLike(c));
  }

  /** Elementwise maximum. */
  public Tensor maximum(Tensor o) {
    return op(new Op.Binary(BinaryFn.MAX), o);
  }

  public Tensor maximum(double c) {
    return maximum(scalarLike(c));
  }

  /** Elementwise minimum. */
  public Tensor minimum(Tensor o) {
    return op(new Op.Binary(BinaryFn.MIN), o);
  }

  public Tensor minimum(double c) {
    return minimum(scalarLike(c));
  }

  public Tensor unaryMinus() {
    return unary(UnaryFn.NEG);
  }

  public Tensor square() {
    return times(this);
  }

  // ---- elementwise functions ----

  public Tensor unary(UnaryFn fn) {
    return op(new Op.Unary(fn));
  }

  public Tensor abs() {
    return unary(UnaryFn.ABS);
  }

  public Tensor sign() {
    return unary(UnaryFn.SIGN);
  }

  public Tensor exp() {
    return unary(UnaryFn.EXP);
  }

  public Tensor expm1() {
    return unary(UnaryFn.EXPM1);
  }

  public Tensor log() {
    return unary(UnaryFn.LOG);
  }

  public Tensor log1p() {
    return unary(UnaryFn.LOG1P);
  }

  public Tensor sqrt() {
    return unary(UnaryFn.SQRT);
  }

  public Tensor reciprocal() {
    return unary(UnaryFn.RECIPROCAL);
  }

  public Tensor tanh() {
    return unary(UnaryFn.TANH);
  }

  public Tensor sigmoid() {
    return unary(UnaryFn.SIGMOID);
  }

  public Tensor relu() {
    return unary(UnaryFn.RELU);
  }

  public Tensor erf() {
    return unary(UnaryFn.ERF);
  }

  // ---- activations built from primitives ----

  /** {@code x} where positive, {@code slope·x} elsewhere. */
  public Tensor leakyRelu(double slope) {
    return builder.select(gt(0), this, times(slope));
  }

  /** {@code x} where positive, {@code alpha·(exp(x)-1)} elsewhere. */
  public Tensor elu(double alpha) {
    return builder.select(gt(0), this, expm1().times(alpha));
  }

  /** {@code log(1+exp(x))} computed as {@code relu(x) + log1p(exp(-|x|))}: no overflow. */
  public Tensor softplus() {
    return relu().plus(abs().unaryMinus().exp().log1p());
  }

  /** Exact GELU: {@code x·Φ(x) = 0.5·x·(1+erf(x/√2))}. */
  public Tensor gelu() {
    return times(0.5).times(times(1 / Math.sqrt(2)).erf().plus(1));
  }

  /** SiLU (swish): {@code x·sigmoid(x)}. */
  public Tensor silu() {
    return times(sigmoid());
  }

  public Tensor softmax(int axis) {
    return op(new Op.Softmax(normalizeAxis(axis)));
  }

  public Tensor logSoftmax(int axis) {
    return op(new Op.LogSoftmax(normalizeAxis(axis)));
  }

  // ---- comparisons and selection ----

  public Tensor compare(CompareFn fn, Tensor o) {
    return op(new Op.Compare(fn), o);
  }

  public Tensor eq(Tensor o) {
    return compare(CompareFn.EQ, o);
  }

  public Tensor ne(Tensor o) {
    return compare(CompareFn.NE, o);
  }

  public Tensor lt(Tensor o) {
    return compare(CompareFn.LT, o);
  }

  public Tensor le(Tensor o) {
    return compare(CompareFn.LE, o);
  }

  public Tensor gt(Tensor o) {
    return compare(CompareFn.GT, o);
  }

  public Tensor ge(Tensor o) {
    return compare(CompareFn.GE, o);
  }

  public Tensor lt(double c) {
    return lt(scalarLike(c));
  }

  public Tensor le(double c) {
    return le(scalarLike(c));
  }

  public Tensor gt(double c) {
    return gt(scalarLike(c));
  }

  public Tensor ge(double c) {
    return ge(scalarLike(c));
  }

  /** This boolean tensor picks {@code a} where true, {@code b} where false. */
  public Tensor select(Tensor a, Tensor b) {
    return builder.select(this, a, b);
  }

  public Tensor cast(DType to) {
    return op(new Op.Cast(to));
  }

  /** Identity whose gradient is zero. */
  public Tensor stopGradient() {
    return op(new Op.StopGradient());
  }

  // ---- reductions (no axes: all axes) ----

  public Tensor reduce(ReduceFn fn, boolean keepDims, int... axes) {
    return op(new Op.Reduce(fn, axisList(axes), keepDims));
  }

  public Tensor sum(int... axes) {
    return reduce(ReduceFn.SUM, false, axes);
  }

  public Tensor sum(boolean keepDims, int... axes) {
    return reduce(ReduceFn.SUM, keepDims, axes);
  }

  public Tensor mean(int... axes) {
    return reduce(ReduceFn.MEAN, false, axes);
  }

  public Tensor mean(boolean keepDims, int... axes) {
    return reduce(ReduceFn.MEAN, keepDims, axes);
  }

  public Tensor max(int... axes) {
    return reduce(ReduceFn.MAX, false, axes);
  }

  public Tensor max(boolean keepDims, int... axes) {
    return reduce(ReduceFn.MAX, keepDims, axes);
  }

  public Tensor min(int... axes) {
    return reduce(ReduceFn.MIN, false, axes);
  }

  public Tensor min(boolean keepDims, int... axes) {
    return reduce(ReduceFn.MIN, keepDims, axes);
  }

  /** Number of elements over {@code axes} (all if none) as a scalar of this dtype; works on N. */
  public Tensor sizeOf(int... axes) {
    return op(new Op.SizeOf(axisList(axes), dtype() == DType.BOOL ? DType.I64 : dtype()));
  }

  // ---- shape ----

  /** Reshape; use {@link Shape#BATCH} (-1) as dim 0 to keep the symbolic batch. */
  public Tensor reshape(int... dims) {
    return reshape(Shape.of(dims));
  }

  public Tensor reshape(Shape shape) {
    return op(new Op.Reshape(shape));
  }

  /** Keeps dimension 0 and flattens the rest: {@code [N, C, H, W] -> [N, C·H·W]}. */
  public Tensor flatten() {
    if (rank() < 1) {
      throw new AdjointException("flatten needs rank >= 1, " + node.describe() + " is a scalar");
    }
    int rest = 1;
    for (int i = 1; i < rank(); i++) {
      rest *= shape().dim(i);
    }
    return reshape(shape().dim(0), rest);
  }

  public Tensor transpose(int... permutation) {
    return op(new Op.Transpose(Arrays.stream(permutation).map(this::normalizeAxis).boxed().toList()));
  }

  /** Swaps the last two dimensions. */
  public Tensor transpose() {
    if (rank() < 2) {
      throw new AdjointException("transpose() swaps the last two dims; " + node.describe() + " has rank " + rank());
    }
    int[] perm = new int[rank()];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = i;
    }
    perm[rank() - 2] = rank() - 1;
    perm[rank() - 1] = rank() - 2;
    return transpose(perm);
  }

  public Tensor broadcastTo(Shape shape) {
    return shape.equals(shape()) ? this : op(new Op.Broadcast(shape));
  }

  public Tensor broadcastTo(int... dims) {
    return broadcastTo(Shape.of(dims));
  }

  /** Unit-stride slice per axis; a batched axis 0 needs start 0 and end {@link Shape#BATCH}. */
  public Tensor slice(int[] starts, int[] ends) {
    return op(new Op.Slice(Arrays.stream(starts).boxed().toList(), Arrays.stream(ends).boxed().toList()));
  }

  /** Slice {@code [start, end)} of one axis, the others whole. */
  public Tensor slice(int axis, int start, int end) {
    int a = normalizeAxis(axis);
    if (a < 0 || a >= rank()) {
      throw new AdjointException("slice: axis " + axis + " is out of range for " + node.describe() + " of rank " + rank());
    }
    int[] starts = new int[rank()];
    int[] ends = shape().dims();
    starts[a] = start;
    ends[a] = end;
    return slice(starts, ends);
  }

  /** Element {@code index} along axis 0, with that axis dropped (Kotlin: {@code x[i]}). */
  public Tensor get(int index) {
    if (rank() < 1 || shape().dim(0) == Shape.BATCH) {
      throw new AdjointException("get(" + index + ") needs a concrete dimension 0; " + node.describe() + " is " + type());
    }
    Tensor row = slice(0, index, index + 1);
    return row.reshape(Arrays.copyOfRange(shape().dims(), 1, rank()));
  }

  public Tensor pad(int[] before, int[] after, double value) {
    return op(new Op.Pad(Arrays.stream(before).boxed().toList(), Arrays.stream(after).boxed().toList(), value));
  }

  public Tensor concat(int axis, Tensor... others) {
    List<Tensor> all = new ArrayList<>();
    all.add(this);
    all.addAll(Arrays.asList(others));
    return builder.concat(axis, all);
  }

  // ---- linear algebra, classification, randomness ----

  public Tensor matmul(Tensor o) {
    return op(new Op.MatMul(), o);
  }

  /** {@code op(this) x op(o)}, transposing the last two dims of an operand whose flag is set. */
  public Tensor matmul(Tensor o, boolean transposeThis, boolean transposeOther) {
    return op(new Op.MatMul(transposeThis, transposeOther), o);
  }

  public Tensor oneHot(int depth, DType dtype) {
    return op(new Op.OneHot(depth, dtype));
  }

  /**
   * Inverted dropout when the builder is in training mode (keyed by the builder's seed, its {@link
   * GraphBuilder#step() step} and a fresh node key); the identity in inference mode.
   */
  public Tensor dropout(double p) {
    if (!builder.isTraining()) {
      if (!(p >= 0 && p <= 1)) {
        throw new AdjointException("dropout probability p must be in [0, 1], got " + p);
      }
      return this;
    }
    return op(new Op.Dropout(p, builder.seed(), builder.nextKey()), builder.step());
  }

  // ---- convolution, pooling and normalization (NCHW) ----

  /**
   * 2-D convolution (cross-correlation) of this {@code [N, C, H, W]} tensor with {@code w [O,
   * C/groups, KH, KW]}: {@code [N, O, OH, OW]}. "Same" padding is resolved here from H, W and the
   * window.
   */
  public Tensor conv2d(Tensor w, Conv2dOptions options) {
    int[] strides = {options.strideHeight(), options.strideWidth()};
    int[] dilations = {options.dilationHeight(), options.dilationWidth()};
    // A weight of the wrong rank is reported by the shape rule; the kernel only sizes "same" padding.
    int[] kernel = w.rank() == 4 ? new int[] {w.shape().dim(2), w.shape().dim(3)} : new int[] {1, 1};
    List<Integer> padding = options.padding().resolve(shape(), kernel, strides, dilations);
    return op(new Op.Conv2d(ints(strides), padding, ints(dilations), options.groups()), w);
  }

  /** {@link #conv2d(Tensor, Conv2dOptions)} with one stride for both axes, no dilation, one group. */
  public Tensor conv2d(Tensor w, int stride, Padding padding) {
    return conv2d(w, Conv2dOptions.defaults().withStride(stride).withPadding(padding));
  }

  /** Max over each {@code kernel×kernel} window, without padding. */
  public Tensor maxPool2d(int kernel, int stride) {
    return maxPool2d(kernel, stride, Padding.valid());
  }

  /** Max over each {@code kernel×kernel} window; padding is never chosen (at most half the kernel per side). */
  public Tensor maxPool2d(int kernel, int stride, Padding padding) {
    return op(new Op.MaxPool2d(List.of(kernel, kernel), List.of(stride, stride), poolPadding(kernel, stride, padding)));
  }

  /** Mean over each {@code kernel×kernel} window, without padding. */
  public Tensor avgPool2d(int kernel, int stride) {
    return avgPool2d(kernel, stride, Padding.valid(), true);
  }

  /**
   * Mean over each {@code kernel×kernel} window; {@code countIncludePad} divides by {@code
   * kernel²}, else by the number of unpadded positions in the window.
   */
  public Tensor avgPool2d(int kernel, int stride, Padding padding, boolean countIncludePad) {
    return op(new Op.AvgPool2d(List.of(kernel, kernel), List.of(stride, stride), poolPadding(kernel, stride, padding),
        countIncludePad));
  }

  /** The mean over H and W: {@code [N, C, H, W] -> [N, C]}. */
  public Tensor globalAvgPool() {
    return mean(2, 3);
  }

  /**
   * Batch norm with this batch's statistics (biased variance), per channel (axis 1) of an {@code [N,
   * C]} or {@code [N, C, H, W]} tensor: {@code (x - mean)/sqrt(var + eps)·gamma + beta}.
   */
  public Tensor batchNormTraining(Tensor gamma, Tensor beta, double eps) {
    return op(new Op.BatchNormTraining(eps), gamma, beta);
  }

  /** Batch norm with running statistics: {@code (x - mean)/sqrt(variance + eps)·gamma + beta}. */
  public Tensor batchNormInference(Tensor gamma, Tensor beta, Tensor mean, Tensor variance, double eps) {
    return op(new Op.BatchNormInference(eps), gamma, beta, mean, variance);
  }

  /**
   * Layer norm over the axes from {@code axis} (negative counts from the end) to the last; gamma and
   * beta have the shape of those axes.
   */
  public Tensor layerNorm(Tensor gamma, Tensor beta, double eps, int axis) {
    return op(new Op.LayerNorm(eps, normalizeAxis(axis)), gamma, beta);
  }

  private List<Integer> poolPadding(int kernel, int stride, Padding padding) {
    return padding.resolve(shape(), new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {1, 1});
  }

  private static List<Integer> ints(int[] values) {
    return Arrays.stream(values).boxed().toList();
  }

  // ---- helpers ----

  /** Resolves a negative axis against this tensor's rank; an out-of-range axis is left for the
   * shape rule to report with the node's name. */
  int normalizeAxis(int axis) {
    return axis < 0 && axis + rank() >= 0 ? axis + rank() : axis;
  }

  private List<Integer> axisList(int[] axes) {
    if (axes.length == 0) {
      List<Integer> all = new ArrayList<>();
      for (int i = 0; i < rank(); i++) {
        all.add(i);
      }
      return all;
    }
    return Arrays.stream(axes).map(this::normalizeAxis).sorted().boxed().toList();
  }

  @Override
  public String toString() {
    return "Tensor(" + node + ")";
  }
}
