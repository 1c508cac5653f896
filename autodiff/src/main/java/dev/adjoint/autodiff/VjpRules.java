package dev.adjoint.autodiff;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;

/**
 * The vector-Jacobian product of every op: given a node's operands {@code x}, its value {@code y}
 * and the cotangent {@code g} of {@code y}, the cotangent of each operand. One exhaustive switch,
 * one entry per op. Rules are lazy ({@link Supplier}s) so the walker builds only the cotangents it
 * needs, and a {@code null} entry means "no gradient flows into this operand". Rules may return a
 * cotangent in the broadcast shape; the walker sums it back to the operand's shape.
 */
public final class VjpRules {
  private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

  private VjpRules() {}

  static List<Supplier<Tensor>> vjp(Op op, List<Tensor> x, Tensor y, Tensor g) {
    GraphBuilder b = g.builder();
    return switch (op) {
      case Op.Input i -> List.of();
      case Op.Parameter p -> List.of();
      case Op.State s -> List.of();
      case Op.Constant c -> List.of();
      case Op.Unary u -> rules(unary(u.fn(), x.get(0), y, g));
      case Op.Binary bin -> binary(bin.fn(), x.get(0), x.get(1), y, g);
      case Op.Compare c -> none(2);
      case Op.Select s ->
          rules(null, () -> b.select(x.get(0), g, g.scalarLike(0)), () -> b.select(x.get(0), g.scalarLike(0), g));
      case Op.Cast c -> rules(() -> g.cast(x.get(0).dtype()));
      case Op.StopGradient s -> none(1);
      case Op.Reduce r -> rules(reduce(r, x.get(0), y, g));
      case Op.SizeOf s -> none(1);
      case Op.Reshape r -> rules(() -> g.reshape(x.get(0).shape()));
      case Op.Transpose t -> rules(() -> g.transpose(inverse(t.permutation())));
      case Op.Broadcast bc -> rules(() -> g);
      case Op.Slice s -> rules(() -> unslice(s, x.get(0).shape(), g));
      case Op.Pad p -> rules(() -> unpad(p, x.get(0).shape(), g));
      case Op.Concat c -> concat(c.axis(), x, g);
      case Op.MatMul m -> matmul(m, x.get(0), x.get(1), g);
      case Op.Conv2d c -> rules(
          () -> b.add(new Op.Conv2dBackwardInput(c.strides(), c.padding(), c.dilations(), c.groups(),
              spatialSize(x.get(0))), g, x.get(1)),
          () -> b.add(new Op.Conv2dBackwardFilter(c.strides(), c.padding(), c.dilations(), c.groups(),
              spatialSize(x.get(1))), x.get(0), g));
      // Conv2dBackwardInput(g, w) is bilinear: <ct, dx(g, w)> = <conv2d(ct, w), g>.
      case Op.Conv2dBackwardInput c -> rules(
          () -> b.add(new Op.Conv2d(c.strides(), c.padding(), c.dilations(), c.groups()), g, x.get(1)),
          () -> b.add(new Op.Conv2dBackwardFilter(c.strides(), c.padding(), c.dilations(), c.groups(),
              spatialSize(x.get(1))), g, x.get(0)));
      // Conv2dBackwardFilter(x, g) is bilinear: <ct, dw(x, g)> = <conv2d(x, ct), g>.
      case Op.Conv2dBackwardFilter c -> rules(
          () -> b.add(new Op.Conv2dBackwardInput(c.strides(), c.padding(), c.dilations(), c.groups(),
              spatialSize(x.get(0))), x.get(1), g),
          () -> b.add(new Op.Conv2d(c.strides(), c.padding(), c.dilations(), c.groups()), x.get(0), g));
      // The backward and select ops are linear in their second operand and depend on x only through
      // the argmax, which is piecewise constant: no cotangent flows into their x.
      case Op.MaxPool2d p ->
          rules(() -> b.add(new Op.MaxPool2dBackward(p.kernel(), p.strides(), p.padding()), x.get(0), g));
      case Op.MaxPool2dBackward p ->
          rules(null, () -> b.add(new Op.MaxPool2dSelect(p.kernel(), p.strides(), p.padding()), x.get(0), g));
      case Op.MaxPool2dSelect p ->
          rules(null, () -> b.add(new Op.MaxPool2dBackward(p.kernel(), p.strides(), p.padding()), x.get(0), g));
      case Op.AvgPool2d p -> rules(() -> b.add(new Op.AvgPool2dBackward(p.kernel(), p.strides(), p.padding(),
          p.countIncludePad(), spatialSize(x.get(0))), g));
      case Op.AvgPool2dBackward p ->
          rules(() -> b.add(new Op.AvgPool2d(p.kernel(), p.strides(), p.padding(), p.countIncludePad()), g));
      case Op.BatchNormTraining bn -> batchNormTraining(bn.eps(), x, g);
      case Op.BatchNormInference bn -> batchNormInference(bn.eps(), x, g);
      case Op.LayerNorm ln -> layerNorm(ln, x, g);
      case Op.OneHot o -> none(1);
      case Op.Softmax s -> rules(() -> y.times(g.minus(g.times(y).sum(true, s.axis()))));
      case Op.LogSoftmax s -> rules(() -> g.minus(y.exp().times(g.sum(true, s.axis()))));
      case Op.SoftmaxCrossEntropy ce -> softmaxCrossEntropy(ce.reduction(), x.get(0), x.get(1), g);
      case Op.RandomUniform r -> none(2);
      // Dropout is linear in x with the same mask: its VJP is the same dropout applied to g,
      // recomputing the mask from (seed, step, key) instead of storing it.
      case Op.Dropout d -> rules(() -> b.add(d, g, x.get(1)), null);
      case Op.CustomVjp c -> customVjp(c, x, g);
    };
  }

  private static Supplier<Tensor> unary(Op.UnaryFn fn, Tensor x, Tensor y, Tensor g) {
    return switch (fn) {
      case NEG -> g::unaryMinus;
      case ABS -> () -> g.times(x.sign());
      case SIGN -> null;
      case EXP -> () -> g.times(y);
      case EXPM1 -> () -> g.times(y.plus(1));
      case LOG -> () -> g.div(x);
      case LOG1P -> () -> g.div(x.plus(1));
      case SQRT -> () -> g.div(y.times(2));
      case RECIPROCAL -> () -> g.times(y.square()).unaryMinus();
      case TANH -> () -> g.times(y.square().unaryMinus().plus(1));
      case SIGMOID -> () -> g.times(y.times(y.unaryMinus().plus(1)));
      case RELU -> () -> x.gt(0).select(g, g.scalarLike(0));
      case ERF -> () -> g.times(x.square().unaryMinus().exp().times(TWO_OVER_SQRT_PI));
    };
  }

  private static List<Supplier<Tensor>> binary(Op.BinaryFn fn, Tensor a, Tensor b, Tensor y, Tensor g) {
    return switch (fn) {
      case ADD -> rules(() -> g, () -> g);
      case SUB -> rules(() -> g, g::unaryMinus);
      case MUL -> rules(() -> g.times(b), () -> g.times(a));
      case DIV -> rules(() -> g.div(b), () -> g.times(y).div(b).unaryMinus());
      case POW -> rules(() -> g.times(b).times(a.pow(b.minus(1))), () -> g.times(y).times(a.log()));
      // Ties send the whole cotangent to the first operand; the two rules still sum to g.
      case MAX -> rules(() -> a.ge(b).select(g, g.scalarLike(0)), () -> a.lt(b).select(g, g.scalarLike(0)));
      case MIN -> rules(() -> a.le(b).select(g, g.scalarLike(0)), () -> a.gt(b).select(g, g.scalarLike(0)));
    };
  }

  private static Supplier<Tensor> reduce(Op.Reduce r, Tensor x, Tensor y, Tensor g) {
    int[] axes = r.axes().stream().mapToInt(Integer::intValue).toArray();
    Shape kept = keptShape(x.shape(), r.axes());
    Tensor gk = r.keepDims() ? g : g.reshape(kept);
    return switch (r.fn()) {
      case SUM -> () -> gk.broadcastTo(x.shape());
      case MEAN -> () -> gk.div(x.sizeOf(axes)).broadcastTo(x.shape());
      // The cotangent is shared evenly among tied extrema, as PyTorch's amax/amin do.
      case MAX, MIN -> () -> {
        Tensor yk = r.keepDims() ? y : y.reshape(kept);
        Tensor hit = x.eq(yk).cast(x.dtype());
        return hit.times(gk.div(hit.sum(true, axes)));
      };
    };
  }

  /**
   * For {@code y = op(a)·op(b)}: {@code dop(a) = g·op(b)ᵀ} and {@code dop(b) = op(a)ᵀ·g}, each
   * written as one matmul with transpose flags so no transpose is materialized and a weight
   * gradient may contract over the symbolic batch.
   */
  private static List<Supplier<Tensor>> matmul(Op.MatMul m, Tensor a, Tensor b, Tensor g) {
    boolean ta = m.transposeA();
    boolean tb = m.transposeB();
    return rules(
        ta ? () -> b.matmul(g, tb, true) : () -> g.matmul(b, false, !tb),
        tb ? () -> g.matmul(a, true, ta) : () -> a.matmul(g, !ta, false));
  }

  /**
   * PyTorch's fused batch norm backward. With {@code xhat = (x - mean)·invstd} and M values per
   * channel: {@code dx = gamma·invstd/M · (M·g - Σg - xhat·Σ(g·xhat))}, {@code dgamma = Σ(g·xhat)},
   * {@code dbeta = Σg}, sums over every axis but the channel axis. The batch statistics are
   * recomputed from x with graph ops (M by sizeOf, so a symbolic N works), so the rule can be
   * differentiated again.
   */
  private static List<Supplier<Tensor>> batchNormTraining(double eps, List<Tensor> x, Tensor g) {
    Tensor in = x.get(0);
    int[] axes = in.rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
    Shape perChannel = channelShape(in);
    Supplier<Normalized> normalized = once(() -> Normalized.of(in, axes, eps));
    Supplier<Tensor> sumG = once(() -> g.sum(true, axes));
    Supplier<Tensor> sumGXhat = once(() -> g.times(normalized.get().xhat()).sum(true, axes));
    return rules(
        () -> {
          Normalized n = normalized.get();
          Tensor m = in.sizeOf(axes);
          Tensor gamma = x.get(1).reshape(perChannel);
          return gamma.times(n.invstd()).div(m)
              .times(m.times(g).minus(sumG.get()).minus(n.xhat().times(sumGXhat.get())));
        },
        () -> sumGXhat.get().reshape(x.get(1).shape()),
        () -> sumG.get().reshape(x.get(2).shape()));
  }

  /**
   * {@code y = (x - mean)·invstd·gamma + beta} with {@code invstd = 1/sqrt(var + eps)} from the running
   * statistics: {@code dx = g·gamma·invstd}, {@code dgamma = Σ g·(x - mean)·invstd}, {@code dbeta =
   * Σg}, {@code dmean = -Σg·gamma·invstd}, {@code dvar = -½·Σ g·(x - mean)·gamma·invstd³}.
   */
  private static List<Supplier<Tensor>> batchNormInference(double eps, List<Tensor> x, Tensor g) {
    Tensor in = x.get(0);
    int[] axes = in.rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
    Shape perChannel = channelShape(in);
    Supplier<Tensor> invstd = once(() -> x.get(4).plus(eps).sqrt().reciprocal());
    Supplier<Tensor> centered = once(() -> in.minus(x.get(3).reshape(perChannel)));
    Supplier<Tensor> sumG = once(() -> g.sum(axes));
    Supplier<Tensor> sumGCentered = once(() -> g.times(centered.get()).sum(axes));
    return rules(
        () -> g.times(x.get(1).times(invstd.get()).reshape(perChannel)),
        () -> sumGCentered.get().times(invstd.get()),
        sumG,
        () -> sumG.get().times(x.get(1)).times(invstd.get()).unaryMinus(),
        () -> sumGCentered.get().times(x.get(1)).times(invstd.get().pow(3)).times(-0.5));
  }

  /**
   * Layer norm's fused backward over the K normalized elements of each row, with {@code gg =
   * g·gamma}: {@code dx = invstd/K · (K·gg - Σgg - xhat·Σ(gg·xhat))}; dgamma and dbeta sum {@code
   * g·xhat} and g over the leading axes.
   */
  private static List<Supplier<Tensor>> layerNorm(Op.LayerNorm ln, List<Tensor> x, Tensor g) {
    Tensor in = x.get(0);
    int[] normalizedAxes = IntStream.range(ln.axis(), in.rank()).toArray();
    int[] leadingAxes = IntStream.range(0, ln.axis()).toArray();
    Supplier<Normalized> normalized = once(() -> Normalized.of(in, normalizedAxes, ln.eps()));
    return rules(
        () -> {
          Normalized n = normalized.get();
          Tensor k = in.sizeOf(normalizedAxes);
          Tensor gg = g.times(x.get(1));
          Tensor sumGg = gg.sum(true, normalizedAxes);
          Tensor sumGgXhat = gg.times(n.xhat()).sum(true, normalizedAxes);
          return n.invstd().div(k).times(k.times(gg).minus(sumGg).minus(n.xhat().times(sumGgXhat)));
        },
        () -> sumOver(g.times(normalized.get().xhat()), leadingAxes),
        () -> sumOver(g, leadingAxes));
  }

  /** {@code x} normalized over {@code axes} with its mean and biased variance (kept dims). */
  private record Normalized(Tensor xhat, Tensor invstd) {
    static Normalized of(Tensor x, int[] axes, double eps) {
      Tensor centered = x.minus(x.mean(true, axes));
      Tensor invstd = centered.square().mean(true, axes).plus(eps).sqrt().reciprocal();
      return new Normalized(centered.times(invstd), invstd);
    }
  }

  /** {@code [1, C]} or {@code [1, C, 1, 1]}: a per-channel vector laid out to broadcast against x. */
  private static Shape channelShape(Tensor x) {
    int[] d = new int[x.rank()];
    Arrays.fill(d, 1);
    d[1] = x.shape().dim(1);
    return Shape.of(d);
  }

  private static List<Integer> spatialSize(Tensor image) {
    return List.of(image.shape().dim(2), image.shape().dim(3));
  }

  /** {@code t} summed over {@code axes}, or itself for none ({@code sum()} with no axes sums all). */
  private static Tensor sumOver(Tensor t, int[] axes) {
    return axes.length == 0 ? t : t.sum(axes);
  }

  /** A supplier that builds its value on first use and returns that same value after, so rules share subgraphs. */
  private static <T> Supplier<T> once(Supplier<T> build) {
    return new Supplier<>() {
      private @Nullable T value;

      @Override
      public T get() {
        if (value == null) {
          value = build.get();
        }
        return value;
      }
    };
  }

  private static List<Supplier<Tensor>> concat(int axis, List<Tensor> x, Tensor g) {
    List<Supplier<Tensor>> out = new ArrayList<>();
    int offset = 0;
    for (Tensor part : x) {
      int start = offset;
      int end = offset + part.shape().dim(axis);
      out.add(() -> g.slice(axis, start, end));
      offset = end;
    }
    return out;
  }

  private static List<Supplier<Tensor>> softmaxCrossEntropy(
      Op.Reduction reduction, Tensor logits, Tensor labels, Tensor g) {
    // Per-row weight of the loss: g / B for a mean, g for a sum, g[r] per row for none.
    Supplier<Tensor> rowWeight =
        switch (reduction) {
          case MEAN -> () -> g.div(logits.sizeOf(0));
          case SUM -> () -> g;
          case NONE -> () -> g.reshape(g.shape().dim(0), 1);
        };
    int classes = logits.shape().dim(1);
    boolean sparse = labels.dtype().isInteger();
    // d/dz of -Σ t·log_softmax(z) is softmax(z)·Σt - t; one-hot rows sum to 1, probability
    // targets need not (PyTorch accepts any non-negative targets).
    return rules(
        () -> {
          Tensor p = logits.softmax(1);
          Tensor grad = sparse
              ? p.minus(labels.oneHot(classes, logits.dtype()))
              : p.times(labels.sum(true, 1)).minus(labels);
          return grad.times(rowWeight.get());
        },
        sparse ? null : () -> logits.logSoftmax(1).unaryMinus().times(rowWeight.get()));
  }

  private static List<Supplier<Tensor>> customVjp(Op.CustomVjp c, List<Tensor> x, Tensor g) {
    List<Tensor> inputs = x.subList(1, x.size());
    List<Tensor> grads = c.rule().vjp(inputs, x.get(0), g);
    if (grads.size() != inputs.size()) {
      throw new AdjointException("custom VJP rule '" + c.name() + "' returned " + grads.size()
          + " cotangents for " + inputs.size() + " inputs");
    }
    List<Supplier<Tensor>> out = new ArrayList<>();
    out.add(null); // the subgraph itself is not differentiated
    for (int i = 0; i < grads.size(); i++) {
      Tensor gi = grads.get(i);
      if (gi != null && gi.dtype() != inputs.get(i).dtype()) {
        throw new AdjointException("custom VJP rule '" + c.name() + "' returned a " + gi.type()
            + " cotangent for input " + i + " of type " + inputs.get(i).type());
      }
      out.add(gi == null ? null : () -> gi);
    }
    return out;
  }

  /** Cotangent of a slice: g placed back at its offsets, zeros elsewhere. */
  private static Tensor unslice(Op.Slice s, Shape in, Tensor g) {
    int[] before = new int[in.rank()];
    int[] after = new int[in.rank()];
    for (int i = 0; i < in.rank(); i++) {
      if (in.dim(i) != Shape.BATCH) {
        before[i] = s.starts().get(i);
        after[i] = in.dim(i) - s.ends().get(i);
      }
    }
    return g.pad(before, after, 0);
  }

  /** Cotangent of a pad: the unpadded window of g. */
  private static Tensor unpad(Op.Pad p, Shape in, Tensor g) {
    int[] starts = new int[in.rank()];
    int[] ends = new int[in.rank()];
    for (int i = 0; i < in.rank(); i++) {
      starts[i] = p.before().get(i);
      ends[i] = in.dim(i) == Shape.BATCH ? Shape.BATCH : p.before().get(i) + in.dim(i);
    }
    return g.slice(starts, ends);
  }

  private static Shape keptShape(Shape s, List<Integer> axes) {
    int[] d = s.dims();
    for (int a : axes) {
      d[a] = 1;
    }
    return Shape.of(d);
  }

  private static int[] inverse(List<Integer> perm) {
    int[] inv = new int[perm.size()];
    for (int i = 0; i < inv.length; i++) {
      inv[perm.get(i)] = i;
    }
    return inv;
  }

  @SafeVarargs
  private static List<Supplier<Tensor>> rules(Supplier<Tensor>... perOperand) {
    return Arrays.asList(perOperand);
  }

  /** No gradient flows into any of the operands. */
  private static List<Supplier<Tensor>> none(int operands) {
    List<Supplier<Tensor>> out = new ArrayList<>(operands);
    for (int i = 0; i < operands; i++) {
      out.add(null);
    }
    return out;
  }
}
