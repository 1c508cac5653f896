package dev.adjoint.tests.jvm;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import dev.adjoint.ir.Weights;
import dev.adjoint.testing.InputDomain;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random well-typed graphs for differential testing of the JVM backend: an image input {@code x
 * [B, C, H, W]} and a matrix input {@code m [B, F]} (B the symbolic batch or a fixed size), then
 * steps that each add a few nodes on an earlier tensor: elementwise chains, broadcasts against
 * parameters, reductions, dense layers, convolutions (grouped and depthwise too), batch and layer
 * norms, pooling, softmax and softmax cross-entropy, residual adds, layout changes, dropout,
 * selects, casts and running means kept in state. Values stay in domains where every op is
 * defined (logs of {@code |x| + 1}, divisions by {@code |y| + 1}). The graph returns the last
 * tensor and one earlier one; jqwik shrinks a failing case by dropping steps.
 */
final class RandomGraphs {
  static final int KINDS = 16;
  private static final long SEED = 23;

  private RandomGraphs() {}

  /** One step; {@code pick}, {@code choice} and {@code bits} are read modulo what the step needs. */
  record Step(int kind, int pick, int choice, int bits) {}

  /** A graph and everything needed to feed it, reproducible from the case. */
  record Case(DType dtype, boolean batched, int batch, int channels, int size, int features, List<Step> steps,
      int outputPick) {

    Built build() {
      return RandomGraphs.build(this);
    }

    @Override
    public String toString() {
      return dtype + (batched ? " N=" + batch : " B=" + batch) + " C=" + channels + " HW=" + size + " F=" + features
          + " steps " + steps + " output " + outputPick;
    }
  }

  /** The graph and its feeds. */
  record Built(Graph graph, Map<String, NDArray> feeds) {}

  static Arbitrary<Case> cases() {
    Arbitrary<Step> step = Combinators.combine(
            Arbitraries.integers().between(0, KINDS - 1),
            Arbitraries.integers().between(0, 1000),
            Arbitraries.integers().between(0, 1000),
            Arbitraries.integers().between(0, 255))
        .as(Step::new);
    return Combinators.combine(
            Arbitraries.of(DType.F64, DType.F32),
            Arbitraries.of(true, false),
            Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(1, 3),
            Arbitraries.integers().between(1, 5),
            Arbitraries.integers().between(1, 4),
            step.list().ofMinSize(1).ofMaxSize(10),
            Arbitraries.integers().between(0, 1000))
        .as(Case::new);
  }

  /** Builds the graph and draws its feeds. */
  static Built build(Case c) {
    GraphBuilder b = new GraphBuilder("fuzz").seed(SEED);
    int batchDim = c.batched() ? Shape.BATCH : c.batch();
    List<Tensor> made = new ArrayList<>();
    made.add(b.input("x", c.dtype(), batchDim, c.channels(), c.size(), c.size()));
    made.add(b.input("m", c.dtype(), batchDim, c.features()));
    Map<String, Integer> labels = new LinkedHashMap<>();
    for (Step s : c.steps()) {
      Tensor t = new Builder(b, c, made, labels, s).apply();
      if (t != null) {
        made.add(t);
      }
    }
    Graph graph = b.build(made.getLast(), made.get(c.outputPick() % made.size()));
    return new Built(graph, feeds(graph, c, labels));
  }

  private static Map<String, NDArray> feeds(Graph graph, Case c, Map<String, Integer> labels) {
    Map<String, NDArray> feeds = new LinkedHashMap<>(Weights.initialize(graph, SEED));
    Random rng = new Random(c.hashCode());
    for (Node input : graph.inputs()) {
      TensorType type = input.type().withShape(input.shape().resolve(c.batch()));
      Integer classes = labels.get(input.name());
      if (classes != null) {
        feeds.put(input.name(), NDArray.generate(DType.I64, type.shape(), i -> rng.nextInt(classes)));
      } else if (input.name().equals("step")) {
        feeds.put("step", NDArray.scalar(DType.I64, rng.nextInt(1000)));
      } else {
        feeds.put(input.name(), InputDomain.REAL.sample(type, rng));
      }
    }
    return feeds;
  }

  /** Applies one step to the tensors made so far. */
  private record Builder(GraphBuilder b, Case c, List<Tensor> made, Map<String, Integer> labels, Step s) {

    /** The new tensor, or null if no tensor made so far suits the step. */
    Tensor apply() {
      return switch (s.kind()) {
        case 0 -> unary(pick(t -> true), s.choice());
        case 1 -> binary(pick(t -> true));
        case 2 -> reduce(pick(t -> t.rank() > 0));
        case 3 -> dense(pick(t -> t.rank() == 2));
        case 4 -> conv(pick(t -> t.rank() == 4));
        case 5 -> batchNorm(pick(t -> t.rank() == 2 || t.rank() == 4));
        case 6 -> pool(pick(t -> t.rank() == 4 && t.shape().dim(2) >= 2 && t.shape().dim(3) >= 2));
        case 7 -> softmax(pick(t -> t.rank() >= 1 && last(t) > 0));
        case 8 -> crossEntropy(pick(t -> t.rank() == 2 && last(t) > 0));
        case 9 -> residual(pick(t -> sameShape(t) != null));
        case 10 -> layout(pick(t -> t.rank() >= 1 && last(t) != Shape.BATCH));
        case 11 -> dropout(pick(t -> t.rank() >= 1));
        case 12 -> layerNorm(pick(t -> t.rank() >= 2 && last(t) > 1));
        case 13 -> roundTrip(pick(t -> true));
        case 14 -> select(pick(t -> true));
        case 15 -> runningMean(pick(t -> t.rank() >= 1));
        default -> throw new IllegalStateException("kind " + s.kind());
      };
    }

    /** The first tensor from the picked one on that suits the step, or null. */
    private Tensor pick(java.util.function.Predicate<Tensor> suits) {
      for (int k = 0; k < made.size(); k++) {
        Tensor t = made.get((s.pick() + k) % made.size());
        if (suits.test(t)) {
          return t;
        }
      }
      return null;
    }

    private Tensor dropout(Tensor t) {
      return t == null ? null : t.dropout(0.25);
    }

    private Tensor roundTrip(Tensor t) {
      return t == null ? null : t.cast(t.dtype() == DType.F64 ? DType.F32 : DType.F64).tanh().cast(t.dtype());
    }

    /** A state updated to a running mean of {@code t} over its first axis; returns the batch mean. */
    private Tensor runningMean(Tensor t) {
      if (t == null) {
        return null;
      }
      Tensor mean = t.mean(0);
      Tensor state = b.state("running" + made.size(), c.dtype(), mean.shape(), Initializer.zeros());
      b.assign(state, state.times(0.9).plus(mean.times(0.1)));
      return mean;
    }

    private Tensor select(Tensor t) {
      return t == null ? null : b.select(t.gt(0), t, t.times(0.5));
    }

    private static int last(Tensor t) {
      return t.shape().dim(t.rank() - 1);
    }

    private Tensor param(String name, int... dims) {
      return b.parameter(name + made.size(), c.dtype(), new Initializer.Uniform(-1, 1), dims);
    }

    private Tensor unary(Tensor t, int choice) {
      if (t == null) {
        return null;
      }
      return switch (choice % 9) {
        case 0 -> t.unaryMinus();
        case 1 -> t.abs();
        case 2 -> t.tanh();
        case 3 -> t.sigmoid();
        case 4 -> t.relu();
        case 5 -> t.erf();
        case 6 -> t.tanh().exp();
        case 7 -> t.abs().plus(1).log();
        default -> t.abs().plus(0.5).sqrt();
      };
    }

    /** With a tensor of the same shape, or a parameter broadcast along some dims. */
    private Tensor binary(Tensor t) {
      if (t == null) {
        return null;
      }
      Tensor other = sameShape(t);
      if (other == null || (s.bits() & 1) == 1) {
        int[] dims = t.shape().dims();
        for (int a = 0; a < dims.length; a++) {
          if (dims[a] == Shape.BATCH || ((s.bits() >> (a + 1)) & 1) == 1) {
            dims[a] = 1;
          }
        }
        other = param("p", dims);
      }
      return switch (s.choice() % 6) {
        case 0 -> t.plus(other);
        case 1 -> t.minus(other);
        case 2 -> t.times(other);
        case 3 -> t.maximum(other);
        case 4 -> t.minimum(other);
        default -> t.div(other.abs().plus(1));
      };
    }

    private Tensor sameShape(Tensor t) {
      for (int k = 0; k < made.size(); k++) {
        Tensor u = made.get((s.choice() + k) % made.size());
        if (u != t && u.type().equals(t.type())) {
          return u;
        }
      }
      return null;
    }

    private Tensor reduce(Tensor t) {
      if (t == null) {
        return null;
      }
      List<Integer> axes = new ArrayList<>();
      for (int a = 0; a < t.rank(); a++) {
        if (((s.bits() >> a) & 1) == 1) {
          axes.add(a);
        }
      }
      if (axes.isEmpty()) {
        axes.add(t.rank() - 1);
      }
      Op.ReduceFn fn = Op.ReduceFn.values()[s.choice() % 4];
      boolean keep = ((s.bits() >> 5) & 1) == 1;
      return b.add(new Op.Reduce(fn, axes, keep), t);
    }

    private Tensor dense(Tensor t) {
      if (t == null) {
        return null;
      }
      int in = last(t);
      int out = 1 + s.choice() % 5;
      boolean transposed = (s.bits() & 1) == 1;
      Tensor y = transposed
          ? b.add(new Op.MatMul(false, true), t, param("w", out, in))
          : t.matmul(param("w", in, out));
      y = y.plus(param("bias", out));
      return (s.bits() & 2) != 0 ? y.relu() : y;
    }

    private Tensor conv(Tensor t) {
      if (t == null) {
        return null;
      }
      int channels = t.shape().dim(1);
      int h = t.shape().dim(2);
      int w = t.shape().dim(3);
      boolean depthwise = (s.bits() & 1) == 1 && channels > 1;
      int out = depthwise ? channels : 1 + s.choice() % 3;
      int groups = depthwise ? channels : 1;
      int pad = (s.bits() >> 1) & 1;
      int stride = 1 + ((s.bits() >> 2) & 1);
      int kernel = Math.min(1 + s.choice() % 3, Math.min(h, w) + 2 * pad);
      Tensor weight = param("k", out, channels / groups, kernel, kernel);
      Tensor y = b.add(new Op.Conv2d(List.of(stride, stride), List.of(pad, pad, pad, pad), List.of(1, 1), groups),
          t, weight);
      if ((s.bits() & 8) != 0) {
        y = y.plus(param("cb", out).reshape(1, out, 1, 1));
      }
      return (s.bits() & 16) != 0 ? y.relu() : y;
    }

    private Tensor batchNorm(Tensor t) {
      if (t == null) {
        return null;
      }
      int channels = t.shape().dim(1);
      Tensor gamma = param("gamma", channels);
      Tensor beta = param("beta", channels);
      int rows = t.shape().dim(0) == Shape.BATCH ? c.batch() : t.shape().dim(0);
      int perChannel = rows * (t.rank() == 4 ? t.shape().dim(2) * t.shape().dim(3) : 1);
      if (perChannel >= 2 && (s.bits() & 1) == 0) {
        return b.add(new Op.BatchNormTraining(1e-5), t, gamma, beta);
      }
      Tensor mean = param("mean", channels);
      Tensor variance = b.parameter("var" + made.size(), c.dtype(), new Initializer.Uniform(0.5, 1.5), channels);
      return b.add(new Op.BatchNormInference(1e-5), t, gamma, beta, mean, variance);
    }

    private Tensor pool(Tensor t) {
      if (t == null) {
        return null;
      }
      int stride = 1 + (s.bits() & 1);
      int pad = (s.bits() >> 1) & 1;
      List<Integer> kernel = List.of(2, 2);
      List<Integer> strides = List.of(stride, stride);
      List<Integer> padding = List.of(pad, pad, pad, pad);
      return (s.choice() & 1) == 0
          ? b.add(new Op.MaxPool2d(kernel, strides, padding), t)
          : b.add(new Op.AvgPool2d(kernel, strides, padding, (s.bits() & 4) != 0), t);
    }

    private Tensor softmax(Tensor t) {
      if (t == null) {
        return null;
      }
      int axis = t.rank() - 1;
      return (s.choice() & 1) == 0 ? t.softmax(axis) : t.logSoftmax(axis);
    }

    private Tensor crossEntropy(Tensor t) {
      if (t == null) {
        return null;
      }
      int classes = last(t);
      String name = "labels" + made.size();
      Tensor y = b.input(name, DType.I64, t.shape().dim(0));
      labels.put(name, classes);
      Op.Reduction reduction = Op.Reduction.values()[s.choice() % 3];
      return b.add(new Op.SoftmaxCrossEntropy(reduction), t, y);
    }

    private Tensor residual(Tensor t) {
      if (t == null) {
        return null;
      }
      Tensor other = sameShape(t);
      return other == null ? null : t.plus(other).relu();
    }

    private Tensor layout(Tensor t) {
      if (t == null) {
        return null;
      }
      int rank = t.rank();
      return switch (s.choice() % 5) {
        case 0 -> rank == 4 ? t.flatten() : null;
        case 1 -> rank >= 3 ? t.transpose(transposedLastTwo(rank)) : null;
        case 2 -> rank >= 2 && last(t) >= 2 ? t.slice(rank - 1, 1, last(t)) : null;
        case 3 -> rank >= 1 ? b.add(new Op.Pad(padding(rank, 0), padding(rank, 1), 0.5), t) : null;
        default -> rank >= 2 ? b.concat(rank - 1, t, t.times(2)) : null;
      };
    }

    private static int[] transposedLastTwo(int rank) {
      int[] perm = new int[rank];
      for (int i = 0; i < rank; i++) {
        perm[i] = i;
      }
      perm[rank - 2] = rank - 1;
      perm[rank - 1] = rank - 2;
      return perm;
    }

    private static List<Integer> padding(int rank, int last) {
      List<Integer> pad = new ArrayList<>();
      for (int i = 0; i < rank; i++) {
        pad.add(i == rank - 1 ? 1 + last : 0);
      }
      return pad;
    }

    private Tensor layerNorm(Tensor t) {
      if (t == null) {
        return null;
      }
      int features = last(t);
      return b.add(new Op.LayerNorm(1e-5, t.rank() - 1), t, param("ln_gamma", features), param("ln_beta", features));
    }
  }
}
