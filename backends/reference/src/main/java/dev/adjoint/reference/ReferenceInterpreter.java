package dev.adjoint.reference;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.FeedCheck;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.StateUpdate;
import dev.adjoint.runtime.ErrorFunction;
import dev.adjoint.runtime.Philox;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The float64 oracle: evaluates a graph node by node, element by element, straight from each op's
 * definition. Every other backend is tested against it, so it favours plain loops over speed.
 *
 * <p>Each node's value has the node's dtype and its shape with the symbolic batch N resolved.
 * Arithmetic runs in double and the result is rounded to the node's dtype ({@link NDArray#of}),
 * so F32 programs are emulated at every op boundary. Integer arithmetic wraps as Java's {@code
 * int} and {@code long} do.
 */
public final class ReferenceInterpreter {
  private ReferenceInterpreter() {}

  /**
   * The values of {@code graph.outputs()}, in order.
   *
   * @param feeds values by node name for the graph's inputs, parameters and states; every one the
   *     outputs depend on must be present
   * @throws AdjointException if a feed is missing, unknown or of the wrong type (checked before
   *     anything is evaluated), or if an op fails at run time (a label out of range), naming the node
   */
  public static List<NDArray> run(Graph graph, Map<String, NDArray> feeds) {
    return execute(graph, feeds).outputs();
  }

  /** What one run produces: the outputs, and the new value of every state the graph updates. */
  public record Execution(List<NDArray> outputs, Map<String, NDArray> updatedState) {}

  /** Runs the graph and its {@linkplain Graph#updates() state updates}; feeds as for {@link #run}. */
  public static Execution execute(Graph graph, Map<String, NDArray> feeds) {
    Map<Node, NDArray> values = evaluate(graph, feeds);
    Map<String, NDArray> updated = new LinkedHashMap<>();
    for (StateUpdate u : graph.updates()) {
      updated.put(u.state().name(), values.get(u.value()));
    }
    return new Execution(graph.outputs().stream().map(values::get).toList(), Collections.unmodifiableMap(updated));
  }

  /**
   * The values of every node the outputs and state updates depend on, in graph order (for debugging and tests).
   * Feeds as for {@link #run}.
   */
  public static Map<Node, NDArray> evaluate(Graph graph, Map<String, NDArray> feeds) {
    FeedCheck check = new FeedCheck(graph);
    int batch = check.validate(feeds);
    Map<Node, NDArray> values = new LinkedHashMap<>();
    for (Node node : graph.nodes()) {
      if (check.needs(node)) {
        List<NDArray> operands = node.inputs().stream().map(values::get).toList();
        values.put(node, new Evaluation(node, operands, feeds, batch).run());
      }
    }
    return Collections.unmodifiableMap(values);
  }

  /**
   * Where a sliding window reads its input: window position {@code i} along the height covers input
   * rows {@code i·strideHeight - top + k·dilationHeight} for {@code k < kernelHeight}; likewise for
   * columns. Rows outside the input are padding.
   */
  private record Window(
      int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int top, int left, int dilationHeight,
      int dilationWidth) {

    static Window convolution(
        int kernelHeight, int kernelWidth, List<Integer> strides, List<Integer> padding, List<Integer> dilations) {
      return new Window(kernelHeight, kernelWidth, strides.get(0), strides.get(1), padding.get(0), padding.get(2),
          dilations.get(0), dilations.get(1));
    }

    static Window pooling(List<Integer> kernel, List<Integer> strides, List<Integer> padding) {
      return convolution(kernel.get(0), kernel.get(1), strides, padding, List.of(1, 1));
    }

    int row(int position, int k) {
      return position * strideHeight - top + k * dilationHeight;
    }

    int col(int position, int k) {
      return position * strideWidth - left + k * dilationWidth;
    }
  }

  /** A function of one result element: the operand elements broadcasting maps it to, and where. */
  @FunctionalInterface
  private interface ElementFn {
    double apply(double[] operands, int[] position);
  }

  /** Evaluates one node; holds the context every error message needs. */
  private record Evaluation(Node node, List<NDArray> in, Map<String, NDArray> feeds, int batch) {

    NDArray run() {
      return switch (node.op()) {
        case Op.Input _, Op.Parameter _, Op.State _ -> feeds.get(node.name());
        case Op.Constant c -> c.value();
        case Op.Unary u -> result(elementwise((x, _) -> unary(u.fn(), x[0])));
        case Op.Binary b -> result(elementwise((x, at) -> binary(b.fn(), x[0], x[1], at)));
        case Op.Compare c -> result(elementwise((x, _) -> compare(c.fn(), x[0], x[1]) ? 1 : 0));
        case Op.Select _ -> result(elementwise((x, _) -> x[0] != 0 ? x[1] : x[2]));
        case Op.Cast c -> result(elementwise((x, _) -> cast(c.to(), x[0])));
        case Op.StopGradient _ -> result(in.get(0).toDoubleArray());
        case Op.Reduce r -> result(reduce(r));
        case Op.SizeOf s -> result(sizeOf(s));
        case Op.Reshape _ -> result(in.get(0).toDoubleArray());
        case Op.Transpose t -> result(transpose(t));
        case Op.Broadcast _ -> result(elementwise((x, _) -> x[0]));
        case Op.Slice s -> result(slice(s));
        case Op.Pad p -> result(pad(p));
        case Op.Concat c -> result(concat(c));
        case Op.MatMul mm -> result(matmul(mm));
        case Op.Conv2d c -> result(conv2d(c));
        case Op.Conv2dBackwardInput c -> result(conv2dBackwardInput(c));
        case Op.Conv2dBackwardFilter c -> result(conv2dBackwardFilter(c));
        case Op.MaxPool2d p -> result(maxPool2d(Window.pooling(p.kernel(), p.strides(), p.padding())));
        case Op.MaxPool2dBackward p -> result(maxPool2dBackward(Window.pooling(p.kernel(), p.strides(), p.padding())));
        case Op.MaxPool2dSelect p -> result(maxPool2dSelect(Window.pooling(p.kernel(), p.strides(), p.padding())));
        case Op.AvgPool2d p ->
            result(avgPool2d(Window.pooling(p.kernel(), p.strides(), p.padding()), p.countIncludePad()));
        case Op.AvgPool2dBackward p ->
            result(avgPool2dBackward(Window.pooling(p.kernel(), p.strides(), p.padding()), p.countIncludePad()));
        case Op.BatchNormTraining bn -> result(batchNorm(true, bn.eps()));
        case Op.BatchNormInference bn -> result(batchNorm(false, bn.eps()));
        case Op.LayerNorm ln -> result(layerNorm(ln));
        case Op.OneHot o -> result(oneHot(o));
        case Op.Softmax s -> result(softmax(s.axis(), false));
        case Op.LogSoftmax s -> result(softmax(s.axis(), true));
        case Op.SoftmaxCrossEntropy ce -> result(softmaxCrossEntropy(ce));
        case Op.RandomUniform r -> result(randomUniform(r));
        case Op.Dropout d -> result(dropout(d));
        case Op.CustomVjp _ -> in.get(0);
      };
    }

    // ---- context ----

    private AdjointException fail(String reason) {
      String operands = in.stream().map(a -> a.type().toString()).collect(Collectors.joining(", "));
      return new AdjointException("node " + node.describe() + ": " + reason + "; operands: (" + operands + ")");
    }

    /** The node's dims with N resolved to the bound batch size. */
    private int[] outDims() {
      if (node.shape().isBatched() && batch == FeedCheck.UNBOUND) {
        throw fail("its type " + node.type() + " has the symbolic batch N, but no batched feed binds N");
      }
      return node.shape().resolve(batch).dims();
    }

    private NDArray result(double[] values) {
      return NDArray.of(node.dtype(), Shape.of(outDims()), values);
    }

    // ---- elementwise ----

    /** Applies {@code f} at every result position to the operand elements broadcasting maps there. */
    private double[] elementwise(ElementFn f) {
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      double[] operands = new double[in.size()];
      for (int i = 0; i < out.length; i++) {
        int[] at = Index.unravel(i, dims);
        for (int k = 0; k < operands.length; k++) {
          operands[k] = in.get(k).get(Index.broadcastSource(at, in.get(k).shape().dims()));
        }
        out[i] = f.apply(operands, at);
      }
      return out;
    }

    private double unary(Op.UnaryFn fn, double x) {
      if (node.dtype().isInteger()) {
        long v = (long) x;
        return switch (fn) {
          case NEG -> wrap(-v);
          case ABS -> wrap(Math.abs(v));
          case SIGN -> Long.signum(v);
          case EXP, EXPM1, LOG, LOG1P, SQRT, RECIPROCAL, TANH, SIGMOID, RELU, ERF ->
              throw fail(fn.text() + " is not defined for " + node.dtype());
        };
      }
      return switch (fn) {
        case NEG -> -x;
        case ABS -> Math.abs(x);
        case SIGN -> Math.signum(x);
        case EXP -> Math.exp(x);
        case EXPM1 -> Math.expm1(x);
        case LOG -> Math.log(x);
        case LOG1P -> Math.log1p(x);
        case SQRT -> Math.sqrt(x);
        case RECIPROCAL -> 1 / x;
        case TANH -> Math.tanh(x);
        // exp of a non-positive argument only, so neither branch overflows.
        case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
        case RELU -> Math.max(x, 0);
        case ERF -> ErrorFunction.erf(x);
      };
    }

    private double binary(Op.BinaryFn fn, double x, double y, int[] at) {
      if (node.dtype().isInteger()) {
        long a = (long) x;
        long b = (long) y;
        return switch (fn) {
          case ADD -> wrap(a + b);
          case SUB -> wrap(a - b);
          case MUL -> wrap(a * b);
          case DIV -> {
            if (b == 0) {
              throw fail("integer division by zero at position " + Arrays.toString(at) + " (" + a + " / 0)");
            }
            yield wrap(a / b); // Java's division truncates toward zero.
          }
          case POW -> throw fail("pow is not defined for " + node.dtype());
          case MAX -> Math.max(a, b);
          case MIN -> Math.min(a, b);
        };
      }
      return switch (fn) {
        case ADD -> x + y;
        case SUB -> x - y;
        case MUL -> x * y;
        case DIV -> x / y;
        case POW -> Math.pow(x, y);
        case MAX -> Math.max(x, y);
        case MIN -> Math.min(x, y);
      };
    }

    /** An integer result wrapped to the node's width, as Java's int arithmetic does. */
    private double wrap(long v) {
      return node.dtype() == DType.I32 ? (int) v : v;
    }

    private static boolean compare(Op.CompareFn fn, double x, double y) {
      return switch (fn) {
        case EQ -> x == y;
        case NE -> x != y;
        case LT -> x < y;
        case LE -> x <= y;
        case GT -> x > y;
        case GE -> x >= y;
      };
    }

    /**
     * Float to integer truncates toward zero (saturating, NaN to 0, as Java's casts); to bool is
     * {@code x != 0}; integer to i32 wraps like Java's {@code (int) long}. NDArray.of applies the
     * rounding to the target type.
     */
    private double cast(DType to, double x) {
      return to == DType.I32 && in.get(0).dtype().isInteger() ? (int) (long) x : x;
    }

    // ---- reductions ----

    private double[] reduce(Op.Reduce r) {
      NDArray x = in.get(0);
      int[] xDims = x.shape().dims();
      List<Integer> axes = r.axes();
      int[] reducedDims = axes.stream().mapToInt(a -> xDims[a]).toArray();
      int count = Index.size(reducedDims);
      if (count == 0 && (r.fn() == Op.ReduceFn.MAX || r.fn() == Op.ReduceFn.MIN)) {
        throw fail(r.fn().text() + " over axes " + axes + " of " + x.shape() + " has no elements");
      }
      int[] outDims = outDims();
      double[] out = new double[Index.size(outDims)];
      for (int o = 0; o < out.length; o++) {
        int[] at = Index.unravel(o, outDims);
        int[] source = new int[xDims.length];
        int kept = 0;
        for (int a = 0; a < xDims.length; a++) {
          if (!axes.contains(a)) {
            source[a] = r.keepDims() ? at[a] : at[kept];
            kept++;
          }
        }
        double[] group = new double[count];
        for (int j = 0; j < count; j++) {
          int[] within = Index.unravel(j, reducedDims);
          for (int m = 0; m < axes.size(); m++) {
            source[axes.get(m)] = within[m];
          }
          group[j] = x.get(Index.ravel(source, xDims));
        }
        out[o] = fold(r.fn(), group);
      }
      return out;
    }

    private double fold(Op.ReduceFn fn, double[] group) {
      return switch (fn) {
        case SUM -> sum(group);
        case MEAN -> sum(group) / group.length;
        case MAX -> Arrays.stream(group).reduce(Math::max).orElseThrow();
        case MIN -> Arrays.stream(group).reduce(Math::min).orElseThrow();
      };
    }

    /** Left-to-right sum; integers accumulate in long and wrap. */
    private double sum(double[] group) {
      if (node.dtype().isInteger()) {
        long total = 0;
        for (double v : group) {
          total += (long) v;
        }
        return wrap(total);
      }
      double total = 0;
      for (double v : group) {
        total += v;
      }
      return total;
    }

    private double[] sizeOf(Op.SizeOf s) {
      double size = 1;
      for (int a : s.axes()) {
        size *= in.get(0).shape().dim(a);
      }
      return new double[] {size};
    }

    // ---- layout ----

    private double[] transpose(Op.Transpose t) {
      NDArray x = in.get(0);
      int[] xDims = x.shape().dims();
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < out.length; i++) {
        int[] at = Index.unravel(i, dims);
        int[] source = new int[xDims.length];
        for (int a = 0; a < dims.length; a++) {
          source[t.permutation().get(a)] = at[a];
        }
        out[i] = x.get(Index.ravel(source, xDims));
      }
      return out;
    }

    private double[] slice(Op.Slice s) {
      NDArray x = in.get(0);
      int[] xDims = x.shape().dims();
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < out.length; i++) {
        int[] source = Index.unravel(i, dims);
        for (int a = 0; a < dims.length; a++) {
          source[a] += s.starts().get(a);
        }
        out[i] = x.get(Index.ravel(source, xDims));
      }
      return out;
    }

    private double[] pad(Op.Pad p) {
      NDArray x = in.get(0);
      int[] xDims = x.shape().dims();
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < out.length; i++) {
        int[] source = Index.unravel(i, dims);
        boolean inside = true;
        for (int a = 0; a < dims.length; a++) {
          source[a] -= p.before().get(a);
          inside &= source[a] >= 0 && source[a] < xDims[a];
        }
        out[i] = inside ? x.get(Index.ravel(source, xDims)) : p.value();
      }
      return out;
    }

    private double[] concat(Op.Concat c) {
      int axis = c.axis();
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < out.length; i++) {
        int[] source = Index.unravel(i, dims);
        int k = 0;
        while (source[axis] >= in.get(k).shape().dim(axis)) {
          source[axis] -= in.get(k).shape().dim(axis);
          k++;
        }
        out[i] = in.get(k).get(Index.ravel(source, in.get(k).shape().dims()));
      }
      return out;
    }

    // ---- linear algebra ----

    /**
     * {@code op(a) x op(b)} with {@code op} transposing the last two dims where the op's flag says
     * so: {@code [..., M, K] x [..., K, N]}; the leading dims broadcast like elementwise operands.
     */
    private double[] matmul(Op.MatMul mm) {
      NDArray a = in.get(0);
      NDArray b = in.get(1);
      int[] aDims = a.shape().dims();
      int[] bDims = b.shape().dims();
      int[] aBatch = Arrays.copyOf(aDims, aDims.length - 2);
      int[] bBatch = Arrays.copyOf(bDims, bDims.length - 2);
      int aRows = aDims[aDims.length - 2];
      int aCols = aDims[aDims.length - 1];
      int bRows = bDims[bDims.length - 2];
      int bCols = bDims[bDims.length - 1];
      int inner = mm.transposeA() ? aRows : aCols;
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < out.length; i++) {
        int[] at = Index.unravel(i, dims);
        int[] batchAt = Arrays.copyOf(at, at.length - 2);
        int m = at[at.length - 2];
        int n = at[at.length - 1];
        int aBase = Index.broadcastSource(batchAt, aBatch) * aRows * aCols;
        int bBase = Index.broadcastSource(batchAt, bBatch) * bRows * bCols;
        double total = 0;
        for (int k = 0; k < inner; k++) {
          double aElement = a.get(aBase + (mm.transposeA() ? k * aCols + m : m * aCols + k));
          double bElement = b.get(bBase + (mm.transposeB() ? n * bCols + k : k * bCols + n));
          total += aElement * bElement;
        }
        out[i] = total;
      }
      return out;
    }

    // ---- convolution and pooling (NCHW) ----

    /** Flat positions of one product of a convolution: input x, weight w and output y. */
    @FunctionalInterface
    private interface Tap {
      void visit(int x, int w, int y);
    }

    /**
     * Every product {@code x[n, g·Cg + c, row(i, kh), col(j, kw)] · w[o, c, kh, kw]} that output
     * {@code y[n, o, i, j]} sums (positions inside x only: the padding is zeros; g is the group of
     * output channel o). The forward convolution and both backward ops are sums over these taps.
     */
    private static void forEachTap(int[] xDims, int[] wDims, int[] yDims, List<Integer> strides, List<Integer> padding,
        List<Integer> dilations, int groups, Tap tap) {
      Window window = Window.convolution(wDims[2], wDims[3], strides, padding, dilations);
      int inPerGroup = wDims[1];
      int outPerGroup = wDims[0] / groups;
      int outputs = Index.size(yDims);
      for (int y = 0; y < outputs; y++) {
        int[] at = Index.unravel(y, yDims);
        int group = at[1] / outPerGroup;
        for (int ci = 0; ci < inPerGroup; ci++) {
          for (int kh = 0; kh < wDims[2]; kh++) {
            for (int kw = 0; kw < wDims[3]; kw++) {
              int row = window.row(at[2], kh);
              int col = window.col(at[3], kw);
              if (inside(row, xDims[2]) && inside(col, xDims[3])) {
                tap.visit(Index.ravel(new int[] {at[0], group * inPerGroup + ci, row, col}, xDims),
                    Index.ravel(new int[] {at[1], ci, kh, kw}, wDims), y);
              }
            }
          }
        }
      }
    }

    /** Cross-correlation: {@code y = Σ x·w} over the taps of each output. */
    private double[] conv2d(Op.Conv2d c) {
      NDArray x = in.get(0);
      NDArray w = in.get(1);
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      forEachTap(x.shape().dims(), w.shape().dims(), dims, c.strides(), c.padding(), c.dilations(), c.groups(),
          (xi, wi, yi) -> out[yi] += x.get(xi) * w.get(wi));
      return out;
    }

    /** The transpose of {@link #conv2d} in x: {@code dx = Σ g·w} over the taps that read each x. */
    private double[] conv2dBackwardInput(Op.Conv2dBackwardInput c) {
      NDArray g = in.get(0);
      NDArray w = in.get(1);
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      forEachTap(dims, w.shape().dims(), g.shape().dims(), c.strides(), c.padding(), c.dilations(), c.groups(),
          (xi, wi, yi) -> out[xi] += g.get(yi) * w.get(wi));
      return out;
    }

    /** The transpose of {@link #conv2d} in w: {@code dw = Σ x·g} over the taps that use each w. */
    private double[] conv2dBackwardFilter(Op.Conv2dBackwardFilter c) {
      NDArray x = in.get(0);
      NDArray g = in.get(1);
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      forEachTap(x.shape().dims(), dims, g.shape().dims(), c.strides(), c.padding(), c.dilations(), c.groups(),
          (xi, wi, yi) -> out[wi] += x.get(xi) * g.get(yi));
      return out;
    }

    /**
     * The flat positions in x (dims {@code xDims}) that the window at pooled position {@code at}
     * covers, in row-major window order, leaving out padding.
     */
    private static int[] windowPositions(int[] xDims, Window window, int[] at) {
      List<Integer> positions = new ArrayList<>();
      for (int kh = 0; kh < window.kernelHeight(); kh++) {
        for (int kw = 0; kw < window.kernelWidth(); kw++) {
          int row = window.row(at[2], kh);
          int col = window.col(at[3], kw);
          if (inside(row, xDims[2]) && inside(col, xDims[3])) {
            positions.add(Index.ravel(new int[] {at[0], at[1], row, col}, xDims));
          }
        }
      }
      return positions.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The flat position in x of the maximum of the window at pooled position {@code at}: its first
     * largest element in row-major window order, a NaN counting as largest. Padding is never chosen;
     * the shape rule guarantees that every window covers part of x.
     */
    private static int argmax(NDArray x, Window window, int[] at) {
      int best = -1;
      for (int p : windowPositions(x.shape().dims(), window, at)) {
        if (best < 0 || (!Double.isNaN(x.get(best)) && (x.get(p) > x.get(best) || Double.isNaN(x.get(p))))) {
          best = p;
        }
      }
      return best;
    }

    private double[] maxPool2d(Window window) {
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < out.length; i++) {
        out[i] = in.get(0).get(argmax(in.get(0), window, Index.unravel(i, dims)));
      }
      return out;
    }

    /** {@code (x, g)}: each g element added at the argmax of its window of x. */
    private double[] maxPool2dBackward(Window window) {
      NDArray g = in.get(1);
      int[] gDims = g.shape().dims();
      double[] out = new double[in.get(0).size()];
      for (int i = 0; i < g.size(); i++) {
        out[argmax(in.get(0), window, Index.unravel(i, gDims))] += g.get(i);
      }
      return out;
    }

    /** {@code (x, c)}: c at the argmax of each window of x. */
    private double[] maxPool2dSelect(Window window) {
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < out.length; i++) {
        out[i] = in.get(1).get(argmax(in.get(0), window, Index.unravel(i, dims)));
      }
      return out;
    }

    private static double divisor(Window window, int[] positions, boolean countIncludePad) {
      return countIncludePad ? window.kernelHeight() * window.kernelWidth() : positions.length;
    }

    private double[] avgPool2d(Window window, boolean countIncludePad) {
      NDArray x = in.get(0);
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < out.length; i++) {
        int[] positions = windowPositions(x.shape().dims(), window, Index.unravel(i, dims));
        double total = 0;
        for (int p : positions) {
          total += x.get(p);
        }
        out[i] = total / divisor(window, positions, countIncludePad);
      }
      return out;
    }

    /** Each g element shared out over the unpadded positions of its window, as the mean weighs them. */
    private double[] avgPool2dBackward(Window window, boolean countIncludePad) {
      NDArray g = in.get(0);
      int[] gDims = g.shape().dims();
      int[] dims = outDims();
      double[] out = new double[Index.size(dims)];
      for (int i = 0; i < g.size(); i++) {
        int[] positions = windowPositions(dims, window, Index.unravel(i, gDims));
        for (int p : positions) {
          out[p] += g.get(i) / divisor(window, positions, countIncludePad);
        }
      }
      return out;
    }

    private static boolean inside(int index, int size) {
      return index >= 0 && index < size;
    }

    // ---- normalization ----

    /**
     * {@code (x - mean)/sqrt(var + eps)·gamma + beta} per channel (axis 1): in training with the
     * batch's mean and biased variance over all other axes, in inference with operands 3 and 4.
     */
    private double[] batchNorm(boolean training, double eps) {
      NDArray x = in.get(0);
      int[] xDims = x.shape().dims();
      int channels = xDims[1];
      int spatial = xDims.length == 4 ? xDims[2] * xDims[3] : 1;
      int count = xDims[0] * spatial;
      double[] mean = new double[channels];
      double[] variance = new double[channels];
      if (training) {
        if (count <= 1) {
          throw fail("batch norm in training mode needs more than one value per channel, got " + count
              + " for input " + x.shape());
        }
        for (int i = 0; i < x.size(); i++) {
          mean[i / spatial % channels] += x.get(i);
        }
        for (int c = 0; c < channels; c++) {
          mean[c] /= count;
        }
        for (int i = 0; i < x.size(); i++) {
          double d = x.get(i) - mean[i / spatial % channels];
          variance[i / spatial % channels] += d * d;
        }
        for (int c = 0; c < channels; c++) {
          variance[c] /= count;
        }
      } else {
        mean = in.get(3).toDoubleArray();
        variance = in.get(4).toDoubleArray();
      }
      double[] out = new double[x.size()];
      for (int i = 0; i < out.length; i++) {
        int c = i / spatial % channels;
        out[i] = (x.get(i) - mean[c]) / Math.sqrt(variance[c] + eps) * in.get(1).get(c) + in.get(2).get(c);
      }
      return out;
    }

    /** Normalizes each block of the trailing axes from {@code axis} with its mean and biased variance. */
    private double[] layerNorm(Op.LayerNorm ln) {
      NDArray x = in.get(0);
      int[] xDims = x.shape().dims();
      int inner = Index.size(Arrays.copyOfRange(xDims, ln.axis(), xDims.length));
      double[] out = new double[x.size()];
      for (int start = 0; start < out.length; start += inner) {
        double total = 0;
        for (int j = 0; j < inner; j++) {
          total += x.get(start + j);
        }
        double mean = total / inner;
        double squares = 0;
        for (int j = 0; j < inner; j++) {
          double d = x.get(start + j) - mean;
          squares += d * d;
        }
        double variance = squares / inner;
        double invstd = 1 / Math.sqrt(variance + ln.eps());
        for (int j = 0; j < inner; j++) {
          out[start + j] = (x.get(start + j) - mean) * invstd * in.get(1).get(j) + in.get(2).get(j);
        }
      }
      return out;
    }

    // ---- classification ----

    /** The class at flat position {@code i} of {@code labels}, checked to be in [0, classes). */
    private int label(NDArray labels, int i, int classes) {
      double label = labels.get(i);
      if (label < 0 || label >= classes) {
        int[] at = Index.unravel(i, labels.shape().dims());
        String where = switch (at.length) {
          case 0 -> "the label is ";
          case 1 -> "row " + at[0] + " has label ";
          default -> "position " + Arrays.toString(at) + " has label ";
        };
        throw fail(where + (long) label + ", expected 0.." + (classes - 1));
      }
      return (int) label;
    }

    private double[] oneHot(Op.OneHot o) {
      NDArray labels = in.get(0);
      double[] out = new double[labels.size() * o.depth()];
      for (int i = 0; i < labels.size(); i++) {
        out[i * o.depth() + label(labels, i, o.depth())] = 1;
      }
      return out;
    }

    /**
     * Softmax (or log-softmax) along {@code axis}, shifted by the row maximum; a row whose maximum
     * is not finite is shifted by 0 (JAX's guard), so all -inf does not turn into inf - inf.
     */
    private double[] softmax(int axis, boolean log) {
      NDArray x = in.get(0);
      int[] dims = x.shape().dims();
      int length = dims[axis];
      int outer = Index.size(Arrays.copyOfRange(dims, 0, axis));
      int innerSize = Index.size(Arrays.copyOfRange(dims, axis + 1, dims.length));
      double[] out = new double[x.size()];
      for (int o = 0; o < outer; o++) {
        for (int i = 0; i < innerSize; i++) {
          double[] row = new double[length];
          for (int j = 0; j < length; j++) {
            row[j] = x.get((o * length + j) * innerSize + i);
          }
          double shift = shift(row);
          double sumExp = sumExp(row, shift);
          for (int j = 0; j < length; j++) {
            out[(o * length + j) * innerSize + i] =
                log ? row[j] - shift - Math.log(sumExp) : Math.exp(row[j] - shift) / sumExp;
          }
        }
      }
      return out;
    }

    private static double shift(double[] row) {
      double max = Double.NEGATIVE_INFINITY;
      for (double v : row) {
        max = Math.max(max, v);
      }
      return Double.isFinite(max) ? max : 0;
    }

    private static double sumExp(double[] row, double shift) {
      double total = 0;
      for (double v : row) {
        total += Math.exp(v - shift);
      }
      return total;
    }

    /** Per row: logsumexp(x) - x[label], or -Σ t·logsoftmax(x) for probability targets. */
    private double[] softmaxCrossEntropy(Op.SoftmaxCrossEntropy ce) {
      NDArray logits = in.get(0);
      NDArray labels = in.get(1);
      int rows = logits.shape().dim(0);
      int classes = logits.shape().dim(1);
      double[] losses = new double[rows];
      for (int r = 0; r < rows; r++) {
        double[] row = new double[classes];
        for (int c = 0; c < classes; c++) {
          row[c] = logits.get(r * classes + c);
        }
        double shift = shift(row);
        double sumExp = sumExp(row, shift);
        if (labels.dtype().isInteger()) {
          losses[r] = shift + Math.log(sumExp) - row[label(labels, r, classes)];
        } else {
          double loss = 0;
          for (int c = 0; c < classes; c++) {
            loss -= labels.get(r * classes + c) * (row[c] - shift - Math.log(sumExp));
          }
          losses[r] = loss;
        }
      }
      return switch (ce.reduction()) {
        case NONE -> losses;
        case SUM -> new double[] {sum(losses)};
        case MEAN -> new double[] {sum(losses) / rows};
      };
    }

    // ---- randomness ----

    private long step() {
      return (long) in.get(1).item();
    }

    private double[] randomUniform(Op.RandomUniform r) {
      double[] out = new double[in.get(0).size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = Philox.uniform(r.seed(), step(), r.key(), i);
      }
      return out;
    }

    /** Keeps element i iff uniform(seed, step, key, i) >= p; with p = 1 none is kept, so none is divided. */
    private double[] dropout(Op.Dropout d) {
      NDArray x = in.get(0);
      double[] out = new double[x.size()];
      for (int i = 0; i < out.length; i++) {
        boolean kept = Philox.uniform(d.seed(), step(), d.key(), i) >= d.p();
        out[i] = kept ? x.get(i) / (1 - d.p()) : 0;
      }
      return out;
    }
  }
}
