package dev.adjoint.tests.opinfo;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * The ops' definitions in plain Java over {@code double[]}, written from the mathematics and
 * NumPy's conventions, independently of the reference interpreter: the expectations of the
 * forward tests. Every result is an f64 array.
 */
final class ReferenceMath {
  private ReferenceMath() {}

  /** A function of the operand elements that broadcasting brings together at one position. */
  @FunctionalInterface
  interface ElementFn {
    double apply(double[] elements);
  }

  static NDArray array(int[] dims, double[] values) {
    return NDArray.of(DType.F64, Shape.of(dims), values);
  }

  static int count(int[] dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    return n;
  }

  /** Row-major strides: the last axis is contiguous. */
  static int[] strides(int[] dims) {
    int[] s = new int[dims.length];
    int stride = 1;
    for (int a = dims.length - 1; a >= 0; a--) {
      s[a] = stride;
      stride *= dims[a];
    }
    return s;
  }

  static int[] position(int flat, int[] dims) {
    int[] s = strides(dims);
    int[] at = new int[dims.length];
    for (int a = 0; a < dims.length; a++) {
      at[a] = flat / s[a];
      flat -= at[a] * s[a];
    }
    return at;
  }

  static int flat(int[] position, int[] dims) {
    int[] s = strides(dims);
    int f = 0;
    for (int a = 0; a < dims.length; a++) {
      f += position[a] * s[a];
    }
    return f;
  }

  /** NumPy broadcasting: align on the right; per axis the sizes agree or one of them is 1. */
  static int[] broadcastDims(List<int[]> shapes) {
    int rank = shapes.stream().mapToInt(d -> d.length).max().orElse(0);
    int[] out = new int[rank];
    Arrays.fill(out, 1);
    for (int[] d : shapes) {
      for (int k = 1; k <= d.length; k++) {
        int mine = d[d.length - k];
        int theirs = out[rank - k];
        if (theirs != 1 && mine != 1 && mine != theirs) {
          throw new IllegalArgumentException("reference: " + Arrays.toString(d) + " does not broadcast");
        }
        out[rank - k] = theirs == 1 ? mine : theirs;
      }
    }
    return out;
  }

  /** The element of {@code x} that broadcasting reads at result position {@code at}. */
  static double read(NDArray x, int[] at) {
    int[] dims = x.shape().dims();
    int[] own = new int[dims.length];
    for (int k = 1; k <= dims.length; k++) {
      own[dims.length - k] = dims[dims.length - k] == 1 ? 0 : at[at.length - k];
    }
    return x.get(flat(own, dims));
  }

  static NDArray elementwise(List<NDArray> xs, ElementFn f) {
    int[] dims = broadcastDims(xs.stream().map(x -> x.shape().dims()).toList());
    double[] out = new double[count(dims)];
    double[] elements = new double[xs.size()];
    for (int i = 0; i < out.length; i++) {
      int[] at = position(i, dims);
      for (int k = 0; k < elements.length; k++) {
        elements[k] = read(xs.get(k), at);
      }
      out[i] = f.apply(elements);
    }
    return array(dims, out);
  }

  /** {@code x} broadcast to {@code dims}. */
  static NDArray broadcastTo(NDArray x, int[] dims) {
    double[] out = new double[count(dims)];
    for (int i = 0; i < out.length; i++) {
      out[i] = read(x, position(i, dims));
    }
    return array(dims, out);
  }

  static NDArray map(NDArray x, DoubleUnaryOperator f) {
    return elementwise(List.of(x), e -> f.applyAsDouble(e[0]));
  }

  /** Groups the elements of {@code x} by their position outside {@code axes} and folds each group. */
  static NDArray reduce(NDArray x, List<Integer> axes, boolean keepDims, ToDoubleFunction<double[]> fold) {
    int[] dims = x.shape().dims();
    int[] keptDims = dims.clone();
    for (int a : axes) {
      keptDims[a] = 1;
    }
    List<List<Double>> groups = new ArrayList<>();
    for (int g = 0; g < count(keptDims); g++) {
      groups.add(new ArrayList<>());
    }
    for (int i = 0; i < x.size(); i++) {
      int[] at = position(i, dims);
      for (int a : axes) {
        at[a] = 0;
      }
      groups.get(flat(at, keptDims)).add(x.get(i));
    }
    double[] out = new double[groups.size()];
    for (int g = 0; g < out.length; g++) {
      out[g] = fold.applyAsDouble(groups.get(g).stream().mapToDouble(Double::doubleValue).toArray());
    }
    int[] outDims = keepDims
        ? keptDims
        : IntStream.range(0, dims.length).filter(a -> !axes.contains(a)).map(a -> dims[a]).toArray();
    return array(outDims, out);
  }

  static double sum(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s;
  }

  static double max(double[] values) {
    return Arrays.stream(values).max().orElseThrow();
  }

  static double min(double[] values) {
    return Arrays.stream(values).min().orElseThrow();
  }

  /** {@code out[i0, i1, ...] = x[i_perm0, ...]}: result axis k is operand axis {@code perm[k]}. */
  static NDArray transpose(NDArray x, List<Integer> perm) {
    int[] dims = x.shape().dims();
    int[] outDims = perm.stream().mapToInt(p -> dims[p]).toArray();
    double[] out = new double[x.size()];
    for (int i = 0; i < out.length; i++) {
      int[] at = position(i, outDims);
      int[] source = new int[dims.length];
      for (int k = 0; k < at.length; k++) {
        source[perm.get(k)] = at[k];
      }
      out[i] = x.get(flat(source, dims));
    }
    return array(outDims, out);
  }

  static NDArray slice(NDArray x, int[] starts, int[] ends) {
    int[] dims = x.shape().dims();
    int[] outDims = new int[dims.length];
    for (int a = 0; a < dims.length; a++) {
      outDims[a] = ends[a] - starts[a];
    }
    double[] out = new double[count(outDims)];
    for (int i = 0; i < out.length; i++) {
      int[] at = position(i, outDims);
      for (int a = 0; a < at.length; a++) {
        at[a] += starts[a];
      }
      out[i] = x.get(flat(at, dims));
    }
    return array(outDims, out);
  }

  static NDArray pad(NDArray x, int[] before, int[] after, double value) {
    int[] dims = x.shape().dims();
    int[] outDims = new int[dims.length];
    for (int a = 0; a < dims.length; a++) {
      outDims[a] = before[a] + dims[a] + after[a];
    }
    double[] out = new double[count(outDims)];
    Arrays.fill(out, value);
    for (int i = 0; i < x.size(); i++) {
      int[] at = position(i, dims);
      for (int a = 0; a < at.length; a++) {
        at[a] += before[a];
      }
      out[flat(at, outDims)] = x.get(i);
    }
    return array(outDims, out);
  }

  /** Writes each operand into its block of the result, block after block along {@code axis}. */
  static NDArray concat(List<NDArray> xs, int axis) {
    int[] outDims = xs.get(0).shape().dims();
    outDims[axis] = xs.stream().mapToInt(x -> x.shape().dim(axis)).sum();
    double[] out = new double[count(outDims)];
    int offset = 0;
    for (NDArray x : xs) {
      int[] dims = x.shape().dims();
      for (int i = 0; i < x.size(); i++) {
        int[] at = position(i, dims);
        at[axis] += offset;
        out[flat(at, outDims)] = x.get(i);
      }
      offset += dims[axis];
    }
    return array(outDims, out);
  }

  /**
   * Batched {@code op(a)·op(b)} with Commons Math doing each matrix product; the leading (batch)
   * dimensions broadcast.
   */
  static NDArray matmul(NDArray a, NDArray b, boolean transposeA, boolean transposeB) {
    int[] aDims = a.shape().dims();
    int[] bDims = b.shape().dims();
    int[] aBatch = Arrays.copyOf(aDims, aDims.length - 2);
    int[] bBatch = Arrays.copyOf(bDims, bDims.length - 2);
    int[] batch = broadcastDims(List.of(aBatch, bBatch));
    List<RealMatrix> products = new ArrayList<>();
    for (int i = 0; i < count(batch); i++) {
      int[] at = position(i, batch);
      RealMatrix left = matrix(a, aBatch, at, transposeA);
      RealMatrix right = matrix(b, bBatch, at, transposeB);
      products.add(left.multiply(right));
    }
    int rows = products.getFirst().getRowDimension();
    int cols = products.getFirst().getColumnDimension();
    double[] out = new double[count(batch) * rows * cols];
    for (int i = 0; i < products.size(); i++) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          out[(i * rows + r) * cols + c] = products.get(i).getEntry(r, c);
        }
      }
    }
    int[] outDims = Arrays.copyOf(batch, batch.length + 2);
    outDims[batch.length] = rows;
    outDims[batch.length + 1] = cols;
    return array(outDims, out);
  }

  /** The matrix of {@code x} that the broadcast batch position {@code at} reads. */
  private static RealMatrix matrix(NDArray x, int[] xBatch, int[] at, boolean transpose) {
    int[] dims = x.shape().dims();
    int rows = dims[dims.length - 2];
    int cols = dims[dims.length - 1];
    int[] own = new int[xBatch.length];
    for (int k = 1; k <= xBatch.length; k++) {
      own[xBatch.length - k] = xBatch[xBatch.length - k] == 1 ? 0 : at[at.length - k];
    }
    int base = flat(own, xBatch) * rows * cols;
    double[][] m = new double[rows][cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        m[r][c] = x.get(base + r * cols + c);
      }
    }
    RealMatrix matrix = new Array2DRowRealMatrix(m, false);
    return transpose ? matrix.transpose() : matrix;
  }

  /** {@code log Σ exp(v)}, shifted by the maximum so large entries do not overflow. */
  static double logSumExp(double[] values) {
    double m = max(values);
    double s = 0;
    for (double v : values) {
      s += Math.exp(v - m);
    }
    return m + Math.log(s);
  }

  /** Softmax {@code exp(x_j) / Σ_k exp(x_k)} or log-softmax {@code x_j - log Σ_k exp(x_k)} along {@code axis}. */
  static NDArray softmax(NDArray x, int axis, boolean log) {
    int[] dims = x.shape().dims();
    double[] out = new double[x.size()];
    for (int i = 0; i < out.length; i++) {
      int[] at = position(i, dims);
      double[] line = new double[dims[axis]];
      for (int j = 0; j < line.length; j++) {
        at[axis] = j;
        line[j] = x.get(flat(at, dims));
      }
      double lse = logSumExp(line);
      out[i] = log ? x.get(i) - lse : Math.exp(x.get(i) - lse);
    }
    return array(dims, out);
  }

  /** One row of 1 at column {@code label} per label. */
  static NDArray oneHot(NDArray labels, int depth) {
    double[] out = new double[labels.size() * depth];
    for (int i = 0; i < labels.size(); i++) {
      out[i * depth + (int) labels.get(i)] = 1;
    }
    int[] dims = Arrays.copyOf(labels.shape().dims(), labels.shape().rank() + 1);
    dims[dims.length - 1] = depth;
    return array(dims, out);
  }

  /**
   * Cross-entropy of {@code softmax(logits[r])} against row r's target: {@code -log p[label]} for an
   * integer label, {@code -Σ_c t_c log p_c} for a probability row; then mean, sum or none over rows.
   */
  static NDArray softmaxCrossEntropy(NDArray logits, NDArray labels, Op.Reduction reduction) {
    int rows = logits.shape().dim(0);
    int classes = logits.shape().dim(1);
    double[] losses = new double[rows];
    for (int r = 0; r < rows; r++) {
      double[] row = Arrays.copyOfRange(logits.toDoubleArray(), r * classes, (r + 1) * classes);
      double lse = logSumExp(row);
      if (labels.dtype().isInteger()) {
        losses[r] = lse - row[(int) labels.get(r)];
      } else {
        for (int c = 0; c < classes; c++) {
          losses[r] -= labels.get(r * classes + c) * (row[c] - lse);
        }
      }
    }
    return switch (reduction) {
      case NONE -> array(new int[] {rows}, losses);
      case SUM -> array(new int[0], new double[] {sum(losses)});
      case MEAN -> array(new int[0], new double[] {sum(losses) / rows});
    };
  }

  // ---- convolution and pooling (NCHW) ----

  /**
   * The attributes of a sliding-window op: {@code kernel}, {@code strides} and {@code dilations} as
   * {@code [height, width]}, {@code padding} as {@code [top, bottom, left, right]}.
   */
  record Window(int[] kernel, int[] strides, int[] padding, int[] dilations) {
    static Window of(List<Integer> kernel, List<Integer> strides, List<Integer> padding, List<Integer> dilations) {
      return new Window(ints(kernel), ints(strides), ints(padding), ints(dilations));
    }

    /** The window positions along axis {@code a} (0: height, 1: width) of an input of {@code size}. */
    int outputs(int a, int size) {
      int span = dilations[a] * (kernel[a] - 1) + 1;
      return (size + padding[2 * a] + padding[2 * a + 1] - span) / strides[a] + 1;
    }
  }

  static int[] ints(List<Integer> values) {
    return values.stream().mapToInt(Integer::intValue).toArray();
  }

  /** {@code x [N, C, H, W]} padded with {@code value} by {@code [top, bottom, left, right]}. */
  private static NDArray padImage(NDArray x, int[] padding, double value) {
    return pad(x, new int[] {0, 0, padding[0], padding[2]}, new int[] {0, 0, padding[1], padding[3]}, value);
  }

  /**
   * Cross-correlation by direct loops over the zero-padded input: {@code y[n, o, i, j] = Σ_{c, kh,
   * kw} xp[n, g·Cg + c, i·sh + kh·dh, j·sw + kw·dw] · w[o, c, kh, kw]}, g the group of o.
   */
  static NDArray conv2d(NDArray x, NDArray w, Window window, int groups) {
    int[] xDims = x.shape().dims();
    int[] wDims = w.shape().dims();
    NDArray padded = padImage(x, window.padding(), 0);
    int[] pDims = padded.shape().dims();
    int[] outDims = {xDims[0], wDims[0], window.outputs(0, xDims[2]), window.outputs(1, xDims[3])};
    int inPerGroup = wDims[1];
    int outPerGroup = wDims[0] / groups;
    double[] out = new double[count(outDims)];
    for (int i = 0; i < out.length; i++) {
      int[] at = position(i, outDims);
      int group = at[1] / outPerGroup;
      for (int c = 0; c < inPerGroup; c++) {
        for (int kh = 0; kh < wDims[2]; kh++) {
          for (int kw = 0; kw < wDims[3]; kw++) {
            int row = at[2] * window.strides()[0] + kh * window.dilations()[0];
            int col = at[3] * window.strides()[1] + kw * window.dilations()[1];
            out[i] += padded.get(flat(new int[] {at[0], group * inPerGroup + c, row, col}, pDims))
                * w.get(flat(new int[] {at[1], c, kh, kw}, wDims));
          }
        }
      }
    }
    return array(outDims, out);
  }

  /**
   * The patches of sample n and one group as the columns of a matrix: row {@code (c, kh, kw)},
   * column {@code (i, j)} holds the padded input that kernel tap meets at output position (i, j).
   */
  private static RealMatrix im2col(NDArray padded, int n, int firstChannel, int channels, int[] kernel,
      Window window, int[] outSize) {
    int[] pDims = padded.shape().dims();
    RealMatrix cols = new Array2DRowRealMatrix(channels * kernel[0] * kernel[1], outSize[0] * outSize[1]);
    for (int c = 0; c < channels; c++) {
      for (int kh = 0; kh < kernel[0]; kh++) {
        for (int kw = 0; kw < kernel[1]; kw++) {
          for (int i = 0; i < outSize[0]; i++) {
            for (int j = 0; j < outSize[1]; j++) {
              int row = i * window.strides()[0] + kh * window.dilations()[0];
              int col = j * window.strides()[1] + kw * window.dilations()[1];
              cols.setEntry((c * kernel[0] + kh) * kernel[1] + kw, i * outSize[1] + j,
                  padded.get(flat(new int[] {n, firstChannel + c, row, col}, pDims)));
            }
          }
        }
      }
    }
    return cols;
  }

  /** The rows {@code [first, first + count)} of a 4-D array's sample n, as a {@code count × (rest)} matrix. */
  private static RealMatrix rows(NDArray a, int n, int first, int count) {
    int[] dims = a.shape().dims();
    int rest = dims[2] * dims[3];
    RealMatrix m = new Array2DRowRealMatrix(count, rest);
    for (int r = 0; r < count; r++) {
      for (int k = 0; k < rest; k++) {
        m.setEntry(r, k, a.get(((n * dims[1] + first + r) * rest) + k));
      }
    }
    return m;
  }

  /** Convolution as im2col and one Commons Math matrix product per sample and group: {@code W_g · cols}. */
  static NDArray conv2dIm2col(NDArray x, NDArray w, Window window, int groups) {
    int[] xDims = x.shape().dims();
    int[] wDims = w.shape().dims();
    int[] kernel = {wDims[2], wDims[3]};
    int[] outSize = {window.outputs(0, xDims[2]), window.outputs(1, xDims[3])};
    int outPerGroup = wDims[0] / groups;
    NDArray padded = padImage(x, window.padding(), 0);
    NDArray flatWeights = w.reshape(Shape.of(1, wDims[0], wDims[1] * kernel[0], kernel[1]));
    int[] outDims = {xDims[0], wDims[0], outSize[0], outSize[1]};
    double[] out = new double[count(outDims)];
    for (int n = 0; n < xDims[0]; n++) {
      for (int g = 0; g < groups; g++) {
        RealMatrix weights = rows(flatWeights, 0, g * outPerGroup, outPerGroup);
        RealMatrix product = weights.multiply(im2col(padded, n, g * wDims[1], wDims[1], kernel, window, outSize));
        for (int o = 0; o < outPerGroup; o++) {
          for (int k = 0; k < product.getColumnDimension(); k++) {
            out[(n * wDims[0] + g * outPerGroup + o) * product.getColumnDimension() + k] = product.getEntry(o, k);
          }
        }
      }
    }
    return array(outDims, out);
  }

  /**
   * The input cotangent of a convolution, gathered: padded-input position (r, s) of channel ch
   * receives {@code g[n, o, i, j]·w[o, ch - g·Cg, kh, kw]} from every output position and tap that
   * reads it ({@code i·sh + kh·dh = r}, {@code j·sw + kw·dw = s}); the padding is then cropped.
   */
  static NDArray conv2dBackwardInput(NDArray g, NDArray w, Window window, int groups, int[] inputSize) {
    int[] gDims = g.shape().dims();
    int[] wDims = w.shape().dims();
    int inPerGroup = wDims[1];
    int outPerGroup = wDims[0] / groups;
    int[] pDims = {gDims[0], inPerGroup * groups, inputSize[0] + window.padding()[0] + window.padding()[1],
      inputSize[1] + window.padding()[2] + window.padding()[3]};
    double[] padded = new double[count(pDims)];
    for (int p = 0; p < padded.length; p++) {
      int[] at = position(p, pDims);
      int group = at[1] / inPerGroup;
      for (int o = group * outPerGroup; o < (group + 1) * outPerGroup; o++) {
        for (int kh = 0; kh < wDims[2]; kh++) {
          for (int kw = 0; kw < wDims[3]; kw++) {
            int i = tap(at[2] - kh * window.dilations()[0], window.strides()[0], gDims[2]);
            int j = tap(at[3] - kw * window.dilations()[1], window.strides()[1], gDims[3]);
            if (i >= 0 && j >= 0) {
              padded[p] += g.get(flat(new int[] {at[0], o, i, j}, gDims))
                  * w.get(flat(new int[] {o, at[1] - group * inPerGroup, kh, kw}, wDims));
            }
          }
        }
      }
    }
    return slice(array(pDims, padded), new int[] {0, 0, window.padding()[0], window.padding()[2]},
        new int[] {pDims[0], pDims[1], window.padding()[0] + inputSize[0], window.padding()[2] + inputSize[1]});
  }

  /** The output position {@code offset / stride} if the stride lands on {@code offset} inside {@code [0, outputs)}, else -1. */
  private static int tap(int offset, int stride, int outputs) {
    return offset >= 0 && offset % stride == 0 && offset / stride < outputs ? offset / stride : -1;
  }

  /** The filter cotangent of a convolution: {@code Σ_n G_{n,g} · cols_{n,g}ᵀ} per group, with Commons Math. */
  static NDArray conv2dBackwardFilter(NDArray x, NDArray g, Window window, int groups, int[] kernel) {
    int[] xDims = x.shape().dims();
    int[] gDims = g.shape().dims();
    int inPerGroup = xDims[1] / groups;
    int outPerGroup = gDims[1] / groups;
    NDArray padded = padImage(x, window.padding(), 0);
    int[] outDims = {gDims[1], inPerGroup, kernel[0], kernel[1]};
    int taps = inPerGroup * kernel[0] * kernel[1];
    double[] out = new double[count(outDims)];
    for (int grp = 0; grp < groups; grp++) {
      RealMatrix total = new Array2DRowRealMatrix(outPerGroup, taps);
      for (int n = 0; n < xDims[0]; n++) {
        RealMatrix cols = im2col(padded, n, grp * inPerGroup, inPerGroup, kernel, window, new int[] {gDims[2], gDims[3]});
        total = total.add(rows(g, n, grp * outPerGroup, outPerGroup).multiply(cols.transpose()));
      }
      for (int o = 0; o < outPerGroup; o++) {
        for (int k = 0; k < taps; k++) {
          out[(grp * outPerGroup + o) * taps + k] = total.getEntry(o, k);
        }
      }
    }
    return array(outDims, out);
  }

  /**
   * The padded-input positions (flat in the padded array) of the window at pooled position {@code
   * at}, in row-major window order.
   */
  private static int[] window(int[] pDims, Window window, int[] at) {
    int[] positions = new int[window.kernel()[0] * window.kernel()[1]];
    for (int kh = 0; kh < window.kernel()[0]; kh++) {
      for (int kw = 0; kw < window.kernel()[1]; kw++) {
        int row = at[2] * window.strides()[0] + kh;
        int col = at[3] * window.strides()[1] + kw;
        positions[kh * window.kernel()[1] + kw] = flat(new int[] {at[0], at[1], row, col}, pDims);
      }
    }
    return positions;
  }

  private static int[] pooledDims(int[] xDims, Window window) {
    return new int[] {xDims[0], xDims[1], window.outputs(0, xDims[2]), window.outputs(1, xDims[3])};
  }

  /** The first largest element of each window of x padded with -inf, as a position in the padded array. */
  private static int[] argmaxes(NDArray paddedX, int[] pooledDims, Window window) {
    int[] best = new int[count(pooledDims)];
    for (int i = 0; i < best.length; i++) {
      int[] positions = window(paddedX.shape().dims(), window, position(i, pooledDims));
      best[i] = positions[0];
      for (int p : positions) {
        if (paddedX.get(p) > paddedX.get(best[i])) {
          best[i] = p;
        }
      }
    }
    return best;
  }

  static NDArray maxPool2d(NDArray x, Window window) {
    NDArray padded = padImage(x, window.padding(), Double.NEGATIVE_INFINITY);
    int[] dims = pooledDims(x.shape().dims(), window);
    int[] best = argmaxes(padded, dims, window);
    double[] out = new double[best.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = padded.get(best[i]);
    }
    return array(dims, out);
  }

  /**
   * Gathered: each element of x receives the sum of g over the windows whose maximum it is (padded
   * coordinates, then cropped).
   */
  static NDArray maxPool2dBackward(NDArray x, NDArray g, Window window) {
    NDArray padded = padImage(x, window.padding(), Double.NEGATIVE_INFINITY);
    int[] best = argmaxes(padded, g.shape().dims(), window);
    double[] sums = new double[padded.size()];
    for (int p = 0; p < sums.length; p++) {
      for (int w = 0; w < best.length; w++) {
        sums[p] += best[w] == p ? g.get(w) : 0;
      }
    }
    return cropImage(array(padded.shape().dims(), sums), window.padding(), x.shape().dims());
  }

  /** c (shaped like x) read at the maximum of each window of x. */
  static NDArray maxPool2dSelect(NDArray x, NDArray c, Window window) {
    NDArray paddedX = padImage(x, window.padding(), Double.NEGATIVE_INFINITY);
    NDArray paddedC = padImage(c, window.padding(), Double.NaN);
    int[] dims = pooledDims(x.shape().dims(), window);
    int[] best = argmaxes(paddedX, dims, window);
    double[] out = new double[best.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = paddedC.get(best[i]);
    }
    return array(dims, out);
  }

  /** Per window: the number its sum is divided by. */
  private static double[] divisors(NDArray paddedMask, int[] pooledDims, Window window, boolean countIncludePad) {
    double[] d = new double[count(pooledDims)];
    for (int i = 0; i < d.length; i++) {
      for (int p : window(paddedMask.shape().dims(), window, position(i, pooledDims))) {
        d[i] += countIncludePad ? 1 : paddedMask.get(p);
      }
    }
    return d;
  }

  private static NDArray ones(int[] dims) {
    double[] v = new double[count(dims)];
    Arrays.fill(v, 1);
    return array(dims, v);
  }

  static NDArray avgPool2d(NDArray x, Window window, boolean countIncludePad) {
    NDArray padded = padImage(x, window.padding(), 0);
    NDArray mask = padImage(ones(x.shape().dims()), window.padding(), 0);
    int[] dims = pooledDims(x.shape().dims(), window);
    double[] divisors = divisors(mask, dims, window, countIncludePad);
    double[] out = new double[count(dims)];
    for (int i = 0; i < out.length; i++) {
      for (int p : window(padded.shape().dims(), window, position(i, dims))) {
        out[i] += padded.get(p);
      }
      out[i] /= divisors[i];
    }
    return array(dims, out);
  }

  /** Gathered: each input position receives {@code g[w] / divisor(w)} from every window w covering it. */
  static NDArray avgPool2dBackward(NDArray g, Window window, boolean countIncludePad, int[] inputSize) {
    int[] gDims = g.shape().dims();
    int[] xDims = {gDims[0], gDims[1], inputSize[0], inputSize[1]};
    NDArray mask = padImage(ones(xDims), window.padding(), 0);
    double[] divisors = divisors(mask, gDims, window, countIncludePad);
    double[] sums = new double[mask.size()];
    for (int p = 0; p < sums.length; p++) {
      for (int w = 0; w < g.size(); w++) {
        for (int q : window(mask.shape().dims(), window, position(w, gDims))) {
          sums[p] += q == p ? g.get(w) / divisors[w] : 0;
        }
      }
    }
    return cropImage(array(mask.shape().dims(), sums), window.padding(), xDims);
  }

  /** The unpadded part of a padded image. */
  private static NDArray cropImage(NDArray padded, int[] padding, int[] xDims) {
    return slice(padded, new int[] {0, 0, padding[0], padding[2]},
        new int[] {xDims[0], xDims[1], padding[0] + xDims[2], padding[2] + xDims[3]});
  }

  // ---- normalization ----

  /** {@code x}'s values over {@code axes} normalized by their mean and biased variance (kept dims). */
  private static NDArray normalized(NDArray x, List<Integer> axes, double eps) {
    NDArray mean = reduce(x, axes, true, v -> sum(v) / v.length);
    NDArray centered = elementwise(List.of(x, mean), e -> e[0] - e[1]);
    NDArray variance = reduce(map(centered, v -> v * v), axes, true, v -> sum(v) / v.length);
    return elementwise(List.of(centered, variance), e -> e[0] / Math.sqrt(e[1] + eps));
  }

  /** A per-channel vector {@code [C]} laid out as {@code [1, C]} or {@code [1, C, 1, 1]} for x of {@code rank}. */
  private static NDArray perChannel(NDArray v, int rank) {
    int[] dims = new int[rank];
    Arrays.fill(dims, 1);
    dims[1] = v.size();
    return array(dims, v.toDoubleArray());
  }

  /** Training-mode batch norm: each channel normalized over every other axis, then scaled and shifted. */
  static NDArray batchNormTraining(NDArray x, NDArray gamma, NDArray beta, double eps) {
    int rank = x.shape().rank();
    List<Integer> axes = rank == 4 ? List.of(0, 2, 3) : List.of(0);
    return elementwise(List.of(normalized(x, axes, eps), perChannel(gamma, rank), perChannel(beta, rank)),
        e -> e[0] * e[1] + e[2]);
  }

  static NDArray batchNormInference(NDArray x, NDArray gamma, NDArray beta, NDArray mean, NDArray variance, double eps) {
    int rank = x.shape().rank();
    return elementwise(
        List.of(x, perChannel(mean, rank), perChannel(variance, rank), perChannel(gamma, rank), perChannel(beta, rank)),
        e -> (e[0] - e[1]) / Math.sqrt(e[2] + eps) * e[3] + e[4]);
  }

  /** Each block of the axes from {@code axis} normalized, then scaled and shifted elementwise. */
  static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, double eps, int axis) {
    List<Integer> axes = IntStream.range(axis, x.shape().rank()).boxed().toList();
    return elementwise(List.of(normalized(x, axes, eps), gamma, beta), e -> e[0] * e[1] + e[2]);
  }
}
