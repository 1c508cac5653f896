package dev.adjoint.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The type rule of every op: operand types in, result type out, or a {@link ShapeException} that
 * names the node, the op, the operands and what is wrong. One exhaustive switch over {@link Op}.
 */
public final class ShapeRules {
  private ShapeRules() {}

  public static TensorType infer(String node, Op op, List<TensorType> in) {
    return new Check(node, op, in).run();
  }

  /** NumPy broadcast of two shapes; the symbolic batch broadcasts only with itself or 1. */
  public static Shape broadcast(Shape a, Shape b) {
    Shape s = tryBroadcast(a, b);
    if (s == null) {
      throw new AdjointException("shapes " + a + " and " + b + " do not broadcast");
    }
    return s;
  }

  /** The broadcast shape, or null if the shapes do not broadcast. */
  public static Shape tryBroadcast(Shape a, Shape b) {
    int rank = Math.max(a.rank(), b.rank());
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i < rank - a.rank() ? 1 : a.dim(i - (rank - a.rank()));
      int db = i < rank - b.rank() ? 1 : b.dim(i - (rank - b.rank()));
      if (da == db || db == 1) {
        out[i] = da;
      } else if (da == 1) {
        out[i] = db;
      } else {
        return null;
      }
    }
    // The symbolic batch may only end up at dimension 0.
    for (int i = 1; i < rank; i++) {
      if (out[i] == Shape.BATCH) {
        return null;
      }
    }
    return Shape.of(out);
  }

  /** Runs one rule; holds the context every error message needs. */
  private record Check(String node, Op op, List<TensorType> in) {

    private ShapeException fail(String reason) {
      return new ShapeException(node, op.mnemonic(), in, reason);
    }

    private void arity(int n) {
      if (in.size() != n) {
        throw fail("expects " + n + " operand" + (n == 1 ? "" : "s") + ", got " + in.size());
      }
    }

    private TensorType floating(int i) {
      TensorType t = in.get(i);
      if (!t.dtype().isFloating()) {
        throw fail("operand " + i + " must be f32 or f64, got " + t.dtype());
      }
      return t;
    }

    private void sameDType(int i, int j) {
      if (in.get(i).dtype() != in.get(j).dtype()) {
        throw fail("operands " + i + " and " + j + " have different dtypes " + in.get(i).dtype() + " and " + in.get(j).dtype());
      }
    }

    private Shape broadcastAll(int from) {
      Shape s = in.get(from).shape();
      for (int i = from + 1; i < in.size(); i++) {
        Shape b = tryBroadcast(s, in.get(i).shape());
        if (b == null) {
          throw fail("shapes " + s + " and " + in.get(i).shape() + " do not broadcast");
        }
        s = b;
      }
      return s;
    }

    private void scalarInteger(int i, String what) {
      TensorType t = in.get(i);
      if (!t.dtype().isInteger() || t.rank() != 0) {
        throw fail("operand " + i + " (" + what + ") must be an integer scalar, got " + t);
      }
    }

    private int axis(int axis, int rank) {
      if (axis < 0 || axis >= rank) {
        throw fail("axis " + axis + " is out of range for rank " + rank);
      }
      return axis;
    }

    private void axes(List<Integer> axes, int rank) {
      Set<Integer> seen = new HashSet<>();
      for (int a : axes) {
        axis(a, rank);
        if (!seen.add(a)) {
          throw fail("axis " + a + " is repeated in " + axes);
        }
      }
    }

    TensorType run() {
      return switch (op) {
        case Op.Input i -> leaf(i.type());
        case Op.Parameter p -> {
          if (!p.type().dtype().isFloating()) {
            throw fail("a parameter must be f32 or f64, got " + p.type().dtype());
          }
          yield leaf(p.type());
        }
        case Op.State s -> leaf(s.type());
        case Op.Constant c -> leaf(c.value().type());
        case Op.Unary u -> {
          arity(1);
          boolean integerOk = u.fn() == Op.UnaryFn.NEG || u.fn() == Op.UnaryFn.ABS || u.fn() == Op.UnaryFn.SIGN;
          if (integerOk ? in.get(0).dtype() == DType.BOOL : !in.get(0).dtype().isFloating()) {
            throw fail("operand 0 must be " + (integerOk ? "numeric" : "f32 or f64") + ", got " + in.get(0).dtype());
          }
          yield in.get(0);
        }
        case Op.Binary b -> {
          arity(2);
          sameDType(0, 1);
          DType t = in.get(0).dtype();
          if (t == DType.BOOL || (b.fn() == Op.BinaryFn.POW && !t.isFloating())) {
            throw fail(b.fn().text() + " is not defined for " + t);
          }
          yield new TensorType(t, broadcastAll(0));
        }
        case Op.Compare c -> {
          arity(2);
          sameDType(0, 1);
          yield new TensorType(DType.BOOL, broadcastAll(0));
        }
        case Op.Select s -> {
          arity(3);
          if (in.get(0).dtype() != DType.BOOL) {
            throw fail("operand 0 (the condition) must be bool, got " + in.get(0).dtype());
          }
          sameDType(1, 2);
          yield new TensorType(in.get(1).dtype(), broadcastAll(0));
        }
        case Op.Cast c -> {
          arity(1);
          yield in.get(0).withDType(c.to());
        }
        case Op.StopGradient s -> {
          arity(1);
          yield in.get(0);
        }
        case Op.Reduce r -> {
          arity(1);
          TensorType x = in.get(0);
          axes(r.axes(), x.rank());
          if (x.dtype() == DType.BOOL || (r.fn() == Op.ReduceFn.MEAN && !x.dtype().isFloating())) {
            throw fail(r.fn().text() + " is not defined for " + x.dtype());
          }
          yield x.withShape(reduced(x.shape(), r.axes(), r.keepDims()));
        }
        case Op.SizeOf s -> {
          arity(1);
          axes(s.axes(), in.get(0).rank());
          if (s.dtype() == DType.BOOL) {
            throw fail("size_of cannot produce bool");
          }
          yield new TensorType(s.dtype(), Shape.scalar());
        }
        case Op.Reshape r -> {
          arity(1);
          yield in.get(0).withShape(reshape(in.get(0).shape(), r.shape()));
        }
        case Op.Transpose t -> {
          arity(1);
          yield in.get(0).withShape(transpose(in.get(0).shape(), t.permutation()));
        }
        case Op.Broadcast b -> {
          arity(1);
          Shape from = in.get(0).shape();
          Shape to = tryBroadcast(from, b.shape());
          if (to == null || !to.equals(b.shape())) {
            throw fail("cannot broadcast " + from + " to " + b.shape());
          }
          yield in.get(0).withShape(to);
        }
        case Op.Slice s -> {
          arity(1);
          yield in.get(0).withShape(slice(in.get(0).shape(), s));
        }
        case Op.Pad p -> {
          arity(1);
          yield in.get(0).withShape(pad(in.get(0).shape(), p));
        }
        case Op.Concat c -> concat(c.axis());
        case Op.MatMul mm -> matmul(mm);
        case Op.Conv2d c -> conv2d(c);
        case Op.Conv2dBackwardInput c -> conv2dBackwardInput(c);
        case Op.Conv2dBackwardFilter c -> conv2dBackwardFilter(c);
        case Op.MaxPool2d p -> {
          arity(1);
          yield floating(0).withShape(pooled(p.kernel(), p.strides(), p.padding()));
        }
        case Op.MaxPool2dBackward p -> {
          arity(2);
          TensorType x = floating(0);
          floating(1);
          sameDType(0, 1);
          TensorType pooled = x.withShape(pooled(p.kernel(), p.strides(), p.padding()));
          if (!in.get(1).equals(pooled)) {
            throw fail("the cotangent must be " + pooled + " (the pooled shape of the input), got " + in.get(1));
          }
          yield x;
        }
        case Op.MaxPool2dSelect p -> {
          arity(2);
          TensorType x = floating(0);
          if (!in.get(1).equals(x)) {
            throw fail("operand 1 (the values to select) must have the input's type " + x + ", got " + in.get(1));
          }
          yield x.withShape(pooled(p.kernel(), p.strides(), p.padding()));
        }
        case Op.AvgPool2d p -> {
          arity(1);
          yield floating(0).withShape(pooled(p.kernel(), p.strides(), p.padding()));
        }
        case Op.AvgPool2dBackward p -> avgPool2dBackward(p);
        case Op.BatchNormTraining bn -> {
          arity(3);
          TensorType x = batchNormInput(bn.eps());
          channelVector(1, "gamma", x);
          channelVector(2, "beta", x);
          Shape s = x.shape();
          if (!s.isBatched()) {
            long perChannel = s.rank() == 4 ? (long) s.dim(0) * s.dim(2) * s.dim(3) : s.dim(0);
            if (perChannel <= 1) {
              throw fail("batch norm in training mode needs more than one value per channel, got " + perChannel
                  + " for input " + s);
            }
          }
          yield x;
        }
        case Op.BatchNormInference bn -> {
          arity(5);
          TensorType x = batchNormInput(bn.eps());
          channelVector(1, "gamma", x);
          channelVector(2, "beta", x);
          channelVector(3, "running mean", x);
          channelVector(4, "running variance", x);
          yield x;
        }
        case Op.LayerNorm ln -> layerNorm(ln);
        case Op.OneHot o -> {
          arity(1);
          if (!in.get(0).dtype().isInteger()) {
            throw fail("labels must be i32 or i64, got " + in.get(0).dtype());
          }
          if (o.depth() < 1) {
            throw fail("depth must be at least 1, got " + o.depth());
          }
          if (!o.dtype().isFloating()) {
            throw fail("one_hot produces f32 or f64, not " + o.dtype());
          }
          int[] d = Arrays.copyOf(in.get(0).shape().dims(), in.get(0).rank() + 1);
          d[d.length - 1] = o.depth();
          yield new TensorType(o.dtype(), Shape.of(d));
        }
        case Op.Softmax s -> {
          arity(1);
          axis(s.axis(), floating(0).rank());
          yield in.get(0);
        }
        case Op.LogSoftmax s -> {
          arity(1);
          axis(s.axis(), floating(0).rank());
          yield in.get(0);
        }
        case Op.SoftmaxCrossEntropy ce -> softmaxCrossEntropy(ce);
        case Op.RandomUniform r -> {
          arity(2);
          scalarInteger(1, "step");
          if (!r.dtype().isFloating()) {
            throw fail("random_uniform produces f32 or f64, not " + r.dtype());
          }
          yield new TensorType(r.dtype(), in.get(0).shape());
        }
        case Op.Dropout d -> {
          arity(2);
          floating(0);
          scalarInteger(1, "step");
          if (!(d.p() >= 0 && d.p() <= 1)) {
            throw fail("dropout probability p must be in [0, 1], got " + d.p());
          }
          yield in.get(0);
        }
        case Op.CustomVjp c -> {
          if (in.isEmpty()) {
            throw fail("expects the subgraph output and its inputs, got no operands");
          }
          yield in.get(0);
        }
      };
    }

    /** A result dimension, or an error if it does not fit in an int. */
    private int dimension(long size, int axis) {
      if (size > Integer.MAX_VALUE) {
        throw fail("dimension " + axis + " of the result would be " + size + ", more than 2^31-1");
      }
      return (int) size;
    }

    private TensorType leaf(TensorType t) {
      arity(0);
      return t;
    }

    private Shape reduced(Shape s, List<Integer> axes, boolean keepDims) {
      List<Integer> out = new ArrayList<>();
      for (int i = 0; i < s.rank(); i++) {
        if (!axes.contains(i)) {
          out.add(s.dim(i));
        } else if (keepDims) {
          out.add(1);
        }
      }
      if (s.isBatched() && !axes.contains(0) && out.get(0) != Shape.BATCH) {
        throw fail("internal: batch dimension lost");
      }
      return Shape.of(out);
    }

    private Shape reshape(Shape from, Shape to) {
      if (from.isBatched() != to.isBatched()) {
        throw fail(from.isBatched()
            ? "cannot reshape batched " + from + " to " + to + ": keep N as dimension 0"
            : "cannot reshape " + from + " to batched " + to + ": the operand has no batch dimension");
      }
      long a = restSize(from);
      long b = restSize(to);
      if (a != b) {
        throw fail("cannot reshape " + from + " (" + a + " elements" + (from.isBatched() ? " per batch row" : "")
            + ") to " + to + " (" + b + ")");
      }
      return to;
    }

    private static long restSize(Shape s) {
      long n = 1;
      for (int i = s.isBatched() ? 1 : 0; i < s.rank(); i++) {
        n *= s.dim(i);
      }
      return n;
    }

    private Shape transpose(Shape s, List<Integer> perm) {
      if (perm.size() != s.rank()) {
        throw fail("permutation " + perm + " has " + perm.size() + " entries for rank " + s.rank());
      }
      axes(perm, s.rank());
      if (s.isBatched() && perm.get(0) != 0) {
        throw fail("permutation " + perm + " moves the symbolic batch dimension N away from dimension 0");
      }
      int[] d = new int[s.rank()];
      for (int i = 0; i < d.length; i++) {
        d[i] = s.dim(perm.get(i));
      }
      return Shape.of(d);
    }

    private Shape slice(Shape s, Op.Slice sl) {
      if (sl.starts().size() != s.rank() || sl.ends().size() != s.rank()) {
        throw fail("slice bounds " + sl.starts() + ".." + sl.ends() + " do not match rank " + s.rank());
      }
      int[] d = new int[s.rank()];
      for (int i = 0; i < d.length; i++) {
        int start = sl.starts().get(i);
        int end = sl.ends().get(i);
        if (s.dim(i) == Shape.BATCH) {
          if (start != 0 || end != Shape.BATCH) {
            throw fail("the symbolic batch dimension N must be sliced whole (start 0, end N)");
          }
          d[i] = Shape.BATCH;
        } else if (start < 0 || end > s.dim(i) || start > end) {
          throw fail("slice [" + start + ", " + end + ") is out of range for axis " + i + " of size " + s.dim(i));
        } else {
          d[i] = end - start;
        }
      }
      return Shape.of(d);
    }

    private Shape pad(Shape s, Op.Pad p) {
      if (p.before().size() != s.rank() || p.after().size() != s.rank()) {
        throw fail("padding " + p.before() + "/" + p.after() + " does not match rank " + s.rank());
      }
      int[] d = new int[s.rank()];
      for (int i = 0; i < d.length; i++) {
        int lo = p.before().get(i);
        int hi = p.after().get(i);
        if (lo < 0 || hi < 0) {
          throw fail("padding must be non-negative, got " + lo + "/" + hi + " on axis " + i);
        }
        if (s.dim(i) == Shape.BATCH && lo + hi != 0) {
          throw fail("the symbolic batch dimension N cannot be padded");
        }
        d[i] = s.dim(i) == Shape.BATCH ? Shape.BATCH : dimension((long) s.dim(i) + lo + hi, i);
      }
      return Shape.of(d);
    }

    private TensorType concat(int axis) {
      if (in.isEmpty()) {
        throw fail("expects at least one operand");
      }
      TensorType first = in.get(0);
      axis(axis, first.rank());
      long total = 0;
      for (int i = 0; i < in.size(); i++) {
        sameDType(0, i);
        Shape s = in.get(i).shape();
        if (s.rank() != first.rank()) {
          throw fail("operand " + i + " has rank " + s.rank() + ", operand 0 has rank " + first.rank());
        }
        for (int a = 0; a < s.rank(); a++) {
          if (a != axis && s.dim(a) != first.shape().dim(a)) {
            throw fail("operand " + i + " differs from operand 0 on axis " + a + " (" + Shape.dimText(s.dim(a))
                + " vs " + Shape.dimText(first.shape().dim(a)) + ")");
          }
        }
        if (s.dim(axis) == Shape.BATCH) {
          throw fail("cannot concatenate along the symbolic batch dimension N");
        }
        total += s.dim(axis);
      }
      return first.withShape(first.shape().withDim(axis, dimension(total, axis)));
    }

    private TensorType matmul(Op.MatMul mm) {
      arity(2);
      TensorType a = floating(0);
      floating(1);
      sameDType(0, 1);
      Shape sa = a.shape();
      Shape sb = in.get(1).shape();
      if (sa.rank() < 2 || sb.rank() < 2) {
        throw fail("both operands need rank >= 2 ([..., M, K] x [..., K, N])");
      }
      int rowsA = sa.dim(sa.rank() - 2);
      int colsA = sa.dim(sa.rank() - 1);
      int rowsB = sb.dim(sb.rank() - 2);
      int colsB = sb.dim(sb.rank() - 1);
      int m = mm.transposeA() ? colsA : rowsA;
      int k1 = mm.transposeA() ? rowsA : colsA;
      int k2 = mm.transposeB() ? colsB : rowsB;
      int n = mm.transposeB() ? rowsB : colsB;
      if (k1 != k2) {
        throw fail("inner dimensions differ: " + describe(sa, mm.transposeA()) + " x " + describe(sb, mm.transposeB())
            + " (" + Shape.dimText(k1) + " vs " + Shape.dimText(k2) + ")");
      }
      Shape batchA = Shape.of(Arrays.copyOf(sa.dims(), sa.rank() - 2));
      Shape batchB = Shape.of(Arrays.copyOf(sb.dims(), sb.rank() - 2));
      Shape batch = tryBroadcast(batchA, batchB);
      if (batch == null) {
        throw fail("batch dimensions " + batchA + " and " + batchB + " do not broadcast");
      }
      int[] d = Arrays.copyOf(batch.dims(), batch.rank() + 2);
      d[d.length - 2] = m;
      d[d.length - 1] = n;
      for (int i = 1; i < d.length; i++) {
        if (d[i] == Shape.BATCH) {
          throw fail("the symbolic batch dimension N would end up at dimension " + i + " of the result");
        }
      }
      return a.withShape(Shape.of(d));
    }

    // ---- convolution, pooling and normalization ----

    /** Operand {@code i} as an NCHW image: rank 4, only its batch may be symbolic. */
    private Shape image(int i, String role, String layout) {
      Shape s = in.get(i).shape();
      if (s.rank() != 4) {
        throw fail(role + " must be " + layout + " (rank 4), got " + s);
      }
      return s;
    }

    /** Operand {@code i} as a convolution weight: rank 4 and concrete. */
    private Shape weight(int i) {
      Shape s = in.get(i).shape();
      if (s.rank() != 4 || s.isBatched()) {
        throw fail("weight must be a concrete [O, C/groups, KH, KW], got " + s);
      }
      return s;
    }

    private void entries(String name, List<Integer> values, int count, String layout, int min) {
      if (values.size() != count) {
        throw fail(name + " must have " + count + " entries " + layout + ", got " + values);
      }
      for (int v : values) {
        if (v < min) {
          throw fail(name + (min == 0 ? " must be non-negative" : " must be >= " + min) + ", got " + values);
        }
      }
    }

    private void convAttributes(List<Integer> strides, List<Integer> padding, List<Integer> dilations, int groups) {
      entries("strides", strides, 2, "[sh, sw]", 1);
      entries("padding", padding, 4, "[top, bottom, left, right]", 0);
      entries("dilations", dilations, 2, "[dh, dw]", 1);
      if (groups < 1) {
        throw fail("groups must be at least 1, got " + groups);
      }
    }

    private void divisibleByGroups(String what, int channels, int groups) {
      if (channels % groups != 0) {
        throw fail(what + " " + channels + " are not divisible by groups " + groups);
      }
    }

    /**
     * The number of window positions along spatial axis {@code axis} (2: height, 3: width), {@code
     * (size + before + after - dilation·(kernel-1) - 1) / stride + 1} (floor), or an error if the
     * dilated kernel does not fit.
     */
    private int windows(int axis, int size, int before, int after, int kernel, int stride, int dilation) {
      long padded = (long) size + before + after;
      long span = (long) dilation * (kernel - 1) + 1;
      if (span > padded) {
        String dilated = dilation == 1 ? "" : " (dilated " + span + ")";
        throw fail("kernel " + kernel + dilated + " is larger than the padded input " + (axis == 2 ? "height" : "width")
            + " " + padded);
      }
      return dimension((padded - span) / stride + 1, axis);
    }

    /** The spatial output size {@code [OH, OW]} of a convolution or pooling window over {@code height × width}. */
    private int[] outputSize(
        int height, int width, List<Integer> kernel, List<Integer> strides, List<Integer> padding,
        List<Integer> dilations) {
      return new int[] {
        windows(2, height, padding.get(0), padding.get(1), kernel.get(0), strides.get(0), dilations.get(0)),
        windows(3, width, padding.get(2), padding.get(3), kernel.get(1), strides.get(1), dilations.get(1))
      };
    }

    private TensorType conv2d(Op.Conv2d c) {
      arity(2);
      TensorType x = floating(0);
      floating(1);
      sameDType(0, 1);
      Shape xs = image(0, "input", "[N, C, H, W]");
      Shape ws = weight(1);
      convAttributes(c.strides(), c.padding(), c.dilations(), c.groups());
      int channels = xs.dim(1);
      divisibleByGroups("input channels", channels, c.groups());
      divisibleByGroups("output channels", ws.dim(0), c.groups());
      if (ws.dim(1) != channels / c.groups()) {
        throw fail("weight in-channels " + ws.dim(1) + " do not match input channels " + channels + " / groups "
            + c.groups() + " = " + channels / c.groups());
      }
      int[] out = outputSize(xs.dim(2), xs.dim(3), List.of(ws.dim(2), ws.dim(3)), c.strides(), c.padding(),
          c.dilations());
      return x.withShape(Shape.of(xs.dim(0), ws.dim(0), out[0], out[1]));
    }

    private TensorType conv2dBackwardInput(Op.Conv2dBackwardInput c) {
      arity(2);
      TensorType g = floating(0);
      floating(1);
      sameDType(0, 1);
      Shape gs = image(0, "the cotangent", "[N, O, OH, OW]");
      Shape ws = weight(1);
      convAttributes(c.strides(), c.padding(), c.dilations(), c.groups());
      entries("input size", c.inputSize(), 2, "[H, W]", 1);
      divisibleByGroups("output channels", ws.dim(0), c.groups());
      if (gs.dim(1) != ws.dim(0)) {
        throw fail("the cotangent has " + gs.dim(1) + " channels, the weight " + ws.dim(0) + " output channels");
      }
      int[] out = outputSize(c.inputSize().get(0), c.inputSize().get(1), List.of(ws.dim(2), ws.dim(3)), c.strides(),
          c.padding(), c.dilations());
      if (out[0] != gs.dim(2) || out[1] != gs.dim(3)) {
        throw fail("input size " + c.inputSize() + " gives a " + out[0] + "x" + out[1]
            + " output, but the cotangent is " + gs);
      }
      return g.withShape(Shape.of(gs.dim(0), ws.dim(1) * c.groups(), c.inputSize().get(0), c.inputSize().get(1)));
    }

    private TensorType conv2dBackwardFilter(Op.Conv2dBackwardFilter c) {
      arity(2);
      TensorType x = floating(0);
      floating(1);
      sameDType(0, 1);
      Shape xs = image(0, "input", "[N, C, H, W]");
      Shape gs = image(1, "the cotangent", "[N, O, OH, OW]");
      convAttributes(c.strides(), c.padding(), c.dilations(), c.groups());
      entries("kernel size", c.kernelSize(), 2, "[KH, KW]", 1);
      if (xs.dim(0) != gs.dim(0)) {
        throw fail("the input and the cotangent have different batch sizes " + Shape.dimText(xs.dim(0)) + " and "
            + Shape.dimText(gs.dim(0)));
      }
      divisibleByGroups("input channels", xs.dim(1), c.groups());
      divisibleByGroups("output channels", gs.dim(1), c.groups());
      int[] out = outputSize(xs.dim(2), xs.dim(3), c.kernelSize(), c.strides(), c.padding(), c.dilations());
      if (out[0] != gs.dim(2) || out[1] != gs.dim(3)) {
        throw fail("kernel size " + c.kernelSize() + " gives a " + out[0] + "x" + out[1]
            + " output, but the cotangent is " + gs);
      }
      return x.withShape(
          Shape.of(gs.dim(1), xs.dim(1) / c.groups(), c.kernelSize().get(0), c.kernelSize().get(1)));
    }

    /** Checks pooling attributes: PyTorch's rule that padding is at most half the kernel on each side. */
    private void poolAttributes(List<Integer> kernel, List<Integer> strides, List<Integer> padding) {
      entries("kernel", kernel, 2, "[kh, kw]", 1);
      entries("strides", strides, 2, "[sh, sw]", 1);
      entries("padding", padding, 4, "[top, bottom, left, right]", 0);
      String[] sides = {"top", "bottom", "left", "right"};
      for (int i = 0; i < 4; i++) {
        int k = kernel.get(i / 2);
        if (padding.get(i) > k / 2) {
          throw fail("padding " + padding.get(i) + " (" + sides[i] + ") is more than half the kernel "
              + (i < 2 ? "height " : "width ") + k);
        }
      }
    }

    /** The shape of operand 0 pooled: {@code [N, C, OH, OW]}. */
    private Shape pooled(List<Integer> kernel, List<Integer> strides, List<Integer> padding) {
      Shape xs = image(0, "input", "[N, C, H, W]");
      poolAttributes(kernel, strides, padding);
      int[] out = outputSize(xs.dim(2), xs.dim(3), kernel, strides, padding, List.of(1, 1));
      return Shape.of(xs.dim(0), xs.dim(1), out[0], out[1]);
    }

    private TensorType avgPool2dBackward(Op.AvgPool2dBackward p) {
      arity(1);
      TensorType g = floating(0);
      Shape gs = image(0, "the cotangent", "[N, C, OH, OW]");
      poolAttributes(p.kernel(), p.strides(), p.padding());
      entries("input size", p.inputSize(), 2, "[H, W]", 1);
      int[] out = outputSize(p.inputSize().get(0), p.inputSize().get(1), p.kernel(), p.strides(), p.padding(),
          List.of(1, 1));
      if (out[0] != gs.dim(2) || out[1] != gs.dim(3)) {
        throw fail("input size " + p.inputSize() + " pools to " + out[0] + "x" + out[1] + ", but the cotangent is "
            + gs);
      }
      return g.withShape(Shape.of(gs.dim(0), gs.dim(1), p.inputSize().get(0), p.inputSize().get(1)));
    }

    private void epsilon(double eps) {
      if (!(eps >= 0 && Double.isFinite(eps))) {
        throw fail("eps must be non-negative and finite, got " + eps);
      }
    }

    /** Operand 0 of a batch norm: floating, {@code [N, C]} or {@code [N, C, H, W]}. */
    private TensorType batchNormInput(double eps) {
      TensorType x = floating(0);
      if (x.rank() != 2 && x.rank() != 4) {
        throw fail("input must be [N, C] or [N, C, H, W], got " + x.shape());
      }
      epsilon(eps);
      return x;
    }

    /** Operand {@code i} must be one value per channel of {@code x}, in its dtype. */
    private void channelVector(int i, String role, TensorType x) {
      TensorType expected = new TensorType(x.dtype(), Shape.of(x.shape().dim(1)));
      if (!in.get(i).equals(expected)) {
        throw fail(role + " must be " + expected + ", got " + in.get(i));
      }
    }

    private TensorType layerNorm(Op.LayerNorm ln) {
      arity(3);
      TensorType x = floating(0);
      axis(ln.axis(), x.rank());
      epsilon(ln.eps());
      if (ln.axis() == 0 && x.shape().isBatched()) {
        throw fail("layer norm from axis 0 would normalize across the symbolic batch N; start at axis 1 or later");
      }
      int[] dims = x.shape().dims();
      TensorType expected = new TensorType(x.dtype(), Shape.of(Arrays.copyOfRange(dims, ln.axis(), dims.length)));
      for (int i = 1; i <= 2; i++) {
        if (!in.get(i).equals(expected)) {
          throw fail((i == 1 ? "gamma" : "beta") + " must be " + expected + " (the input's shape from axis " + ln.axis()
              + "), got " + in.get(i));
        }
      }
      return x;
    }

    private static String describe(Shape s, boolean transposed) {
      return transposed ? s + "ᵀ" : s.toString();
    }

    private TensorType softmaxCrossEntropy(Op.SoftmaxCrossEntropy ce) {
      arity(2);
      TensorType logits = floating(0);
      TensorType labels = in.get(1);
      if (logits.rank() != 2) {
        throw fail("logits must be [batch, classes], got " + logits.shape());
      }
      int batch = logits.shape().dim(0);
      if (labels.dtype().isInteger()) {
        if (labels.rank() != 1 || labels.shape().dim(0) != batch) {
          throw fail("integer labels must be [" + Shape.dimText(batch) + "], got " + labels.shape());
        }
      } else if (labels.dtype() == logits.dtype()) {
        if (!labels.shape().equals(logits.shape())) {
          throw fail("probability targets must match the logits shape " + logits.shape() + ", got " + labels.shape());
        }
      } else {
        throw fail("labels must be integer class indices or " + logits.dtype() + " probabilities, got " + labels.dtype());
      }
      Shape out = ce.reduction() == Op.Reduction.NONE ? Shape.of(batch) : Shape.scalar();
      return logits.withShape(out);
    }
  }
}
