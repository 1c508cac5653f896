package dev.adjoint.ir;

import java.util.List;

/**
 * Every operation a graph node can perform. One record per op, holding its attributes; operands
 * are the node's inputs. Every table that must know every op (shape rule, reference evaluation,
 * VJP rule, text form, lowering) is an exhaustive {@code switch} over this sealed interface, so a
 * new op does not compile until each table has its entry.
 *
 * <p>The set is small on purpose: primitives, plus a few fused composites (softmax, log-softmax,
 * softmax cross-entropy, dropout, batch and layer norm) that carry hand-derived gradient rules
 * tested against their decompositions.
 */
public sealed interface Op {

  /** The op's name in the IR text form and in error messages. */
  String mnemonic();

  // ---- Leaves: no operands ----

  /** A value fed at run time. Its node's name is the feed name. */
  record Input(TensorType type) implements Op {
    public String mnemonic() {
      return "input";
    }
  }

  /** A trainable value; {@code key} separates the random streams of its initializer. */
  record Parameter(TensorType type, Initializer init, long key) implements Op {
    public String mnemonic() {
      return "parameter";
    }
  }

  /** A non-trainable buffer that persists across runs (running statistics, step counters). */
  record State(TensorType type, Initializer init) implements Op {
    public String mnemonic() {
      return "state";
    }
  }

  record Constant(NDArray value) implements Op {
    public String mnemonic() {
      return "constant";
    }
  }

  // ---- Elementwise ----

  enum UnaryFn {
    NEG, ABS, SIGN, EXP, EXPM1, LOG, LOG1P, SQRT, RECIPROCAL, TANH, SIGMOID, RELU, ERF;

    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One floating operand (NEG, ABS and SIGN also take integers). */
  record Unary(UnaryFn fn) implements Op {
    public String mnemonic() {
      return fn.text();
    }
  }

  enum BinaryFn {
    ADD, SUB, MUL, DIV, POW, MAX, MIN;

    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Two operands of one dtype, NumPy broadcasting. */
  record Binary(BinaryFn fn) implements Op {
    public String mnemonic() {
      return fn.text();
    }
  }

  enum CompareFn {
    EQ, NE, LT, LE, GT, GE;

    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Two operands of one dtype, broadcast; the result is BOOL. */
  record Compare(CompareFn fn) implements Op {
    public String mnemonic() {
      return fn.text();
    }
  }

  /** {@code select(cond, a, b)}: a where cond, else b; all three broadcast. */
  record Select() implements Op {
    public String mnemonic() {
      return "select";
    }
  }

  record Cast(DType to) implements Op {
    public String mnemonic() {
      return "cast";
    }
  }

  /** Identity forward; blocks gradients. */
  record StopGradient() implements Op {
    public String mnemonic() {
      return "stop_gradient";
    }
  }

  // ---- Reductions ----

  enum ReduceFn {
    SUM, MEAN, MAX, MIN;

    public String text() {
      return "reduce_" + name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Reduces over {@code axes} (sorted, non-negative, distinct). */
  record Reduce(ReduceFn fn, List<Integer> axes, boolean keepDims) implements Op {
    public Reduce {
      axes = List.copyOf(axes);
    }

    public String mnemonic() {
      return fn.text();
    }
  }

  /**
   * The number of elements of the operand over {@code axes}, as a scalar of {@code dtype}. Only the
   * operand's shape is read, so it works with a symbolic batch (mean over the batch, for example).
   */
  record SizeOf(List<Integer> axes, DType dtype) implements Op {
    public SizeOf {
      axes = List.copyOf(axes);
    }

    public String mnemonic() {
      return "size_of";
    }
  }

  // ---- Shape and layout ----

  /** Same elements, new shape; may keep the symbolic batch as dimension 0. */
  record Reshape(Shape shape) implements Op {
    public String mnemonic() {
      return "reshape";
    }
  }

  record Transpose(List<Integer> permutation) implements Op {
    public Transpose {
      permutation = List.copyOf(permutation);
    }

    public String mnemonic() {
      return "transpose";
    }
  }

  /** NumPy broadcast of the operand to {@code shape}. */
  record Broadcast(Shape shape) implements Op {
    public String mnemonic() {
      return "broadcast";
    }
  }

  /** Unit-stride slice {@code [starts, ends)} per axis. A batched axis 0 must be taken whole. */
  record Slice(List<Integer> starts, List<Integer> ends) implements Op {
    public Slice {
      starts = List.copyOf(starts);
      ends = List.copyOf(ends);
    }

    public String mnemonic() {
      return "slice";
    }
  }

  /** Pads each axis with {@code before[i]} and {@code after[i]} copies of {@code value}. */
  record Pad(List<Integer> before, List<Integer> after, double value) implements Op {
    public Pad {
      before = List.copyOf(before);
      after = List.copyOf(after);
    }

    public String mnemonic() {
      return "pad";
    }
  }

  /** Joins one or more operands along {@code axis}. */
  record Concat(int axis) implements Op {
    public String mnemonic() {
      return "concat";
    }
  }

  // ---- Linear algebra ----

  /**
   * {@code op(a) x op(b)} with {@code op} a transpose of the last two dims where its flag is set:
   * {@code [..., M, K] x [..., K, N] -> [..., M, N]}; leading dims broadcast. The flags let the
   * backward pass contract over the symbolic batch ({@code xᵀ·g} for a dense layer's weight
   * gradient) and let GEMM kernels read transposed operands in place.
   */
  record MatMul(boolean transposeA, boolean transposeB) implements Op {
    public MatMul() {
      this(false, false);
    }

    public String mnemonic() {
      return "matmul";
    }
  }

  // ---- Convolution, pooling and normalization (NCHW) ----

  /**
   * 2-D convolution (cross-correlation, as PyTorch). x {@code [N, C, H, W]}, w {@code [O, C/groups,
   * KH, KW]} -> {@code [N, O, OH, OW]}, {@code OH = (H + top + bottom - dh·(KH-1) - 1) / sh + 1}
   * (floor). Strides {@code [sh, sw] >= 1}; padding {@code [top, bottom, left, right] >= 0} (zeros);
   * dilations {@code [dh, dw] >= 1}. Output channel o reads the input channels of group {@code
   * o / (O/groups)}.
   */
  record Conv2d(List<Integer> strides, List<Integer> padding, List<Integer> dilations, int groups) implements Op {
    public Conv2d {
      strides = List.copyOf(strides);
      padding = List.copyOf(padding);
      dilations = List.copyOf(dilations);
    }

    public String mnemonic() {
      return "conv2d";
    }
  }

  /**
   * The input cotangent of Conv2d: {@code (g [N, O, OH, OW], w) -> [N, C, H, W]}; {@code inputSize
   * = [H, W]} (the forward size cannot be recovered from OH when the stride drops rows).
   */
  record Conv2dBackwardInput(
      List<Integer> strides, List<Integer> padding, List<Integer> dilations, int groups, List<Integer> inputSize)
      implements Op {
    public Conv2dBackwardInput {
      strides = List.copyOf(strides);
      padding = List.copyOf(padding);
      dilations = List.copyOf(dilations);
      inputSize = List.copyOf(inputSize);
    }

    public String mnemonic() {
      return "conv2d_backward_input";
    }
  }

  /**
   * The filter cotangent of Conv2d: {@code (x, g) -> [O, C/groups, KH, KW]}; {@code kernelSize =
   * [KH, KW]}. Sums over the batch, so it works with a symbolic N.
   */
  record Conv2dBackwardFilter(
      List<Integer> strides, List<Integer> padding, List<Integer> dilations, int groups, List<Integer> kernelSize)
      implements Op {
    public Conv2dBackwardFilter {
      strides = List.copyOf(strides);
      padding = List.copyOf(padding);
      dilations = List.copyOf(dilations);
      kernelSize = List.copyOf(kernelSize);
    }

    public String mnemonic() {
      return "conv2d_backward_filter";
    }
  }

  /**
   * Max over each {@code kh×kw} window ({@code kernel = [kh, kw]}); padded positions are -inf (never
   * chosen). Floor output size. The window's maximum is its first largest element in row-major
   * window order, a NaN counting as larger than any number, so NaNs propagate.
   */
  record MaxPool2d(List<Integer> kernel, List<Integer> strides, List<Integer> padding) implements Op {
    public MaxPool2d {
      kernel = List.copyOf(kernel);
      strides = List.copyOf(strides);
      padding = List.copyOf(padding);
    }

    public String mnemonic() {
      return "max_pool2d";
    }
  }

  /**
   * {@code (x, g)}: scatters {@code g[window]} to the argmax of that window of x (its first maximum
   * in row-major window order, as {@link MaxPool2d} picks it), summing where windows overlap ->
   * shape of x.
   */
  record MaxPool2dBackward(List<Integer> kernel, List<Integer> strides, List<Integer> padding) implements Op {
    public MaxPool2dBackward {
      kernel = List.copyOf(kernel);
      strides = List.copyOf(strides);
      padding = List.copyOf(padding);
    }

    public String mnemonic() {
      return "max_pool2d_backward";
    }
  }

  /**
   * {@code (x, c)} with c shaped like x: c at the argmax of each window of x -> pooled shape. The
   * adjoint of MaxPool2dBackward in its second operand, so max pooling is differentiable any number
   * of times.
   */
  record MaxPool2dSelect(List<Integer> kernel, List<Integer> strides, List<Integer> padding) implements Op {
    public MaxPool2dSelect {
      kernel = List.copyOf(kernel);
      strides = List.copyOf(strides);
      padding = List.copyOf(padding);
    }

    public String mnemonic() {
      return "max_pool2d_select";
    }
  }

  /**
   * Mean over each window; {@code countIncludePad}: divide by {@code kh·kw}, else by the number of
   * the window's unpadded positions.
   */
  record AvgPool2d(List<Integer> kernel, List<Integer> strides, List<Integer> padding, boolean countIncludePad)
      implements Op {
    public AvgPool2d {
      kernel = List.copyOf(kernel);
      strides = List.copyOf(strides);
      padding = List.copyOf(padding);
    }

    public String mnemonic() {
      return "avg_pool2d";
    }
  }

  /** {@code (g) -> [N, C, H, W]}: the adjoint of AvgPool2d; {@code inputSize = [H, W]}. */
  record AvgPool2dBackward(
      List<Integer> kernel, List<Integer> strides, List<Integer> padding, boolean countIncludePad,
      List<Integer> inputSize) implements Op {
    public AvgPool2dBackward {
      kernel = List.copyOf(kernel);
      strides = List.copyOf(strides);
      padding = List.copyOf(padding);
      inputSize = List.copyOf(inputSize);
    }

    public String mnemonic() {
      return "avg_pool2d_backward";
    }
  }

  /**
   * Training-mode batch norm: {@code (x [N, C] or [N, C, H, W], gamma [C], beta [C]) -> y},
   * normalizing each channel over all other axes with the BIASED batch variance: {@code y = (x -
   * mean)/sqrt(var + eps)·gamma + beta}. Needs more than one value per channel.
   */
  record BatchNormTraining(double eps) implements Op {
    public String mnemonic() {
      return "batch_norm_training";
    }
  }

  /**
   * Inference-mode batch norm: {@code (x, gamma, beta, runningMean [C], runningVar [C]) -> (x -
   * runningMean)/sqrt(runningVar + eps)·gamma + beta}.
   */
  record BatchNormInference(double eps) implements Op {
    public String mnemonic() {
      return "batch_norm_inference";
    }
  }

  /**
   * Layer norm over axes {@code axis..rank-1} (biased variance): {@code (x, gamma, beta)} with gamma
   * and beta shaped {@code x.shape[axis:]}.
   */
  record LayerNorm(double eps, int axis) implements Op {
    public String mnemonic() {
      return "layer_norm";
    }
  }

  // ---- Classification helpers and fused composites ----

  /** Integer class labels {@code [...]} to {@code [..., depth]} one-hot rows; a label outside
   * {@code [0, depth)} is a run-time error naming the row. */
  record OneHot(int depth, DType dtype) implements Op {
    public String mnemonic() {
      return "one_hot";
    }
  }

  /** Max-shifted softmax along {@code axis}. */
  record Softmax(int axis) implements Op {
    public String mnemonic() {
      return "softmax";
    }
  }

  /** {@code x - max - log(sum(exp(x - max)))} along {@code axis}: stable for large logits. */
  record LogSoftmax(int axis) implements Op {
    public String mnemonic() {
      return "log_softmax";
    }
  }

  enum Reduction {
    MEAN, SUM, NONE;

    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Softmax cross-entropy of logits {@code [B, C]} against integer labels {@code [B]} or
   * probability targets {@code [B, C]}; a scalar for MEAN and SUM, {@code [B]} for NONE.
   */
  record SoftmaxCrossEntropy(Reduction reduction) implements Op {
    public String mnemonic() {
      return "softmax_cross_entropy";
    }
  }

  // ---- Randomness (Philox keyed by seed, step and node key) ----

  /** Uniform [0, 1) draws shaped like operand 0; operand 1 is the step (an i64 scalar). */
  record RandomUniform(long seed, long key, DType dtype) implements Op {
    public String mnemonic() {
      return "random_uniform";
    }
  }

  /**
   * Inverted dropout of operand 0 (keep with probability 1-p, scale kept values by 1/(1-p)); operand
   * 1 is the step (an i64 scalar). The mask is element i kept iff {@code uniform(seed, step, key,
   * i) >= p}, so it is recomputed, never stored.
   */
  record Dropout(double p, long seed, long key) implements Op {
    public String mnemonic() {
      return "dropout";
    }
  }

  // ---- User-defined gradients ----

  /**
   * Forwards operand 0 (the output of a user subgraph); its gradient with respect to the remaining
   * operands (the subgraph's inputs) comes from {@code rule} instead of differentiating the
   * subgraph. The rule is code: the text form names it and a parser resolves the name.
   */
  record CustomVjp(String name, dev.adjoint.dsl.CustomVjpRule rule) implements Op {
    public String mnemonic() {
      return "custom_vjp";
    }
  }
}
