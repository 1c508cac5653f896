package dev.adjoint.ir;

import java.util.List;

/**
 * Every operation a graph node can perform. One record per op, holding its attributes; operands
 * are the node's inputs. Every table that must know every op (shape rule, reference evaluation,
 * VJP rule, text form, lowering) is an exhaustive {@code switch} over this sealed interface, so a
 * new op does not compile until each table has its entry.
 *
 * <p>The set is small on purpose: primitives, plus a few fused composites (softmax, log-softmax,
 * softmax cross-entropy, dropout) that carry hand-derived gradient rules tested against their
 * decompositions.
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
