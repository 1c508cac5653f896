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
}
