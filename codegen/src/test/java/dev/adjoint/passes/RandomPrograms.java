package dev.adjoint.passes;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.ShapeRules;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random well-typed graphs for the pass properties: two inputs {@code x} and {@code y} of one
 * shape (possibly with the batch N), then steps that each add a few nodes on earlier ones. The
 * steps favour what the passes look for: identities (also broadcasting lookalikes), transposes
 * and reshapes of transposes and reshapes, duplicated nodes, constant subexpressions, composites,
 * state updates. The graph returns the last node and one earlier node; whatever else was made is
 * dead unless a state update reads it.
 *
 * <p>Nothing divides by a computed value (no reciprocal; division and power only by constants):
 * simplifying {@code x + 0} may leave a −0 where IEEE gives +0 (see {@link SimplifyAlgebra}), and
 * only a division by that zero could tell, so every other rewrite can be checked bit for bit.
 */
final class RandomPrograms {
  private static final int KINDS = 13;
  private static final Op.UnaryFn[] UNARY =
      Arrays.stream(Op.UnaryFn.values()).filter(fn -> fn != Op.UnaryFn.RECIPROCAL).toArray(Op.UnaryFn[]::new);

  private RandomPrograms() {}

  /** One step; {@code operand}, {@code choice} and {@code bits} are read modulo what the step needs. */
  record Step(int kind, int operand, int choice, int bits) {}

  static Arbitrary<Graph> programs(Arbitrary<DType> dtypes) {
    Arbitrary<Step> step = Combinators.combine(
            Arbitraries.integers().between(0, KINDS - 1),
            Arbitraries.integers().between(0, 1000),
            Arbitraries.integers().between(0, 1000),
            Arbitraries.integers().between(0, 255))
        .as(Step::new);
    return Combinators.combine(
            dtypes,
            Arbitraries.integers().between(1, 3).list().ofMaxSize(3),
            Arbitraries.of(false, true),
            step.list().ofMinSize(1).ofMaxSize(14),
            Arbitraries.integers().between(0, 1000))
        .as(RandomPrograms::build);
  }

  static Graph build(DType dtype, List<Integer> dims, boolean batched, List<Step> steps, int outputPick) {
    List<Integer> shape = new ArrayList<>(dims);
    if (batched) {
      shape.addFirst(Shape.BATCH);
    }
    GraphBuilder b = new GraphBuilder("random").seed(17);
    int[] d = shape.stream().mapToInt(Integer::intValue).toArray();
    List<Tensor> made = new ArrayList<>(List.of(b.input("x", dtype, d), b.input("y", dtype, d)));
    for (Step s : steps) {
      made.add(apply(b, made, s));
    }
    return b.build(made.getLast(), made.get(outputPick % made.size()));
  }

  private static <T> T pick(T[] values, int i) {
    return values[i % values.length];
  }

  private static Tensor apply(GraphBuilder b, List<Tensor> made, Step s) {
    Tensor a = made.get(s.operand() % made.size());
    Tensor other = made.get(s.choice() % made.size());
    return switch (s.kind()) {
      case 0 -> a.unary(pick(UNARY, s.choice()));
      case 1 -> {
        Op.BinaryFn fn = pick(Op.BinaryFn.values(), s.bits());
        boolean byConstant = fn == Op.BinaryFn.DIV || fn == Op.BinaryFn.POW
            || ShapeRules.tryBroadcast(a.shape(), other.shape()) == null;
        yield b.add(new Op.Binary(fn), a, byConstant ? a.scalarLike(1.5) : other);
      }
      case 2 -> identity(b, a, s);
      case 3 -> reduce(a, s);
      case 4 -> reshape(a, s);
      case 5 -> transpose(a, s);
      case 6 -> identityOfAnotherKind(b, a, other, s);
      case 7 -> duplicate(b, a, other);
      case 8 -> a.rank() == 0
          ? a.exp()
          : s.bits() % 2 == 0 ? a.softmax(s.choice() % a.rank()) : a.logSoftmax(s.choice() % a.rank());
      case 9 -> constantSubexpression(b, a, s);
      case 10 -> b.add(new Op.Dropout(pick(new Double[] {0.0, 0.3, 0.5, 1.0}, s.choice()), b.seed(), b.nextKey()), a,
          b.step());
      case 11 -> assignToState(b, a, made.size());
      default -> a.rank() == 2
          ? b.add(new Op.SoftmaxCrossEntropy(pick(Op.Reduction.values(), s.choice())), a, other.type().equals(a.type())
              ? other.sigmoid()
              : a.sigmoid())
          : a.tanh();
    };
  }

  /** Makes the program write {@code a + 1} into a new state, if {@code a} has a static shape; returns the state. */
  private static Tensor assignToState(GraphBuilder b, Tensor a, int index) {
    if (a.shape().isBatched()) {
      return a.abs();
    }
    Tensor state = b.state("state_" + index, a.dtype(), a.shape(), new Initializer.Constant(0.5));
    b.assign(state, a.plus(1));
    return state;
  }

  /** {@code a} combined with a constant of ones or zeros that may or may not broadcast {@code a}. */
  private static Tensor identity(GraphBuilder b, Tensor a, Step s) {
    int form = s.choice() % 7;
    double neutral = form <= 2 ? 0 : 1;
    Shape shape = switch (s.bits() % 4) {
      case 0 -> Shape.scalar();
      case 1 -> a.shape().isBatched() ? a.shape().withDim(0, 1) : a.shape();
      case 2 -> a.rank() == 0 || a.shape().dim(a.rank() - 1) == Shape.BATCH
          ? Shape.scalar()
          : Shape.of(a.shape().dim(a.rank() - 1));
      default -> Shape.of(IntStream.range(0, a.rank() + 1).map(i -> i == 0 ? 2 : 1).toArray());
    };
    if (ShapeRules.tryBroadcast(a.shape(), shape) == null) {
      shape = Shape.scalar();
    }
    Tensor c = b.constant(NDArray.filled(a.dtype(), shape, neutral));
    return switch (form) {
      case 0 -> a.plus(c);
      case 1 -> c.plus(a);
      case 2 -> a.minus(c);
      case 3 -> a.times(c);
      case 4 -> c.times(a);
      case 5 -> a.div(c);
      default -> a.pow(c);
    };
  }

  private static Tensor reduce(Tensor a, Step s) {
    List<Integer> axes = new ArrayList<>();
    for (int i = 0; i < a.rank(); i++) {
      if ((s.bits() >> i & 1) == 1) {
        axes.add(i);
      }
    }
    if (axes.isEmpty()) {
      axes = IntStream.range(0, a.rank()).boxed().toList();
    }
    return a.reduce(pick(Op.ReduceFn.values(), s.choice()), (s.bits() & 16) != 0,
        axes.stream().mapToInt(Integer::intValue).toArray());
  }

  /** To the same shape, flattened, with a trailing 1, or twice. */
  private static Tensor reshape(Tensor a, Step s) {
    Shape shape = a.shape();
    int from = shape.isBatched() ? 1 : 0;
    int rest = 1;
    for (int i = from; i < shape.rank(); i++) {
      rest *= shape.dim(i);
    }
    Shape flat = shape.isBatched() ? Shape.of(Shape.BATCH, rest) : Shape.of(rest);
    int[] withOne = Arrays.copyOf(shape.dims(), shape.rank() + 1);
    withOne[shape.rank()] = 1;
    return switch (s.choice() % 4) {
      case 0 -> a.reshape(shape);
      case 1 -> a.reshape(flat);
      case 2 -> a.reshape(withOne);
      default -> a.reshape(withOne).reshape(flat);
    };
  }

  /** A random permutation (axis 0 stays for a batched shape), the identity, or two in a row. */
  private static Tensor transpose(Tensor a, Step s) {
    Random random = new Random(s.choice());
    int[] first = permutation(a.shape(), random);
    int[] second = permutation(a.shape(), random);
    int[] identity = IntStream.range(0, a.rank()).toArray();
    return switch (s.bits() % 4) {
      case 0 -> a.transpose(first);
      case 1 -> a.transpose(identity);
      case 2 -> a.transpose(first).transpose(second);
      default -> a.transpose(first).transpose(inverse(first));
    };
  }

  private static int[] permutation(Shape shape, Random random) {
    List<Integer> axes = new ArrayList<>(IntStream.range(0, shape.rank()).boxed().toList());
    int fixed = shape.isBatched() ? 1 : 0;
    Collections.shuffle(axes.subList(fixed, axes.size()), random);
    return axes.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int[] inverse(int[] permutation) {
    int[] inverse = new int[permutation.length];
    for (int i = 0; i < permutation.length; i++) {
      inverse[permutation[i]] = i;
    }
    return inverse;
  }

  /** −(−a), a cast or broadcast to its own type, or a select on a constant condition. */
  private static Tensor identityOfAnotherKind(GraphBuilder b, Tensor a, Tensor other, Step s) {
    Tensor alternative = other.type().equals(a.type()) ? other : a.scalarLike(0.25);
    return switch (s.bits() % 6) {
      case 0 -> a.unaryMinus().unaryMinus();
      case 1 -> a.cast(a.dtype());
      case 2 -> b.add(new Op.Broadcast(a.shape()), a);
      case 3 -> b.scalar(DType.BOOL, 1).select(a, alternative);
      case 4 -> b.scalar(DType.BOOL, 0).select(alternative, a);
      default -> {
        // Mixed along the last axis: stays.
        int last = a.rank() == 0 ? Shape.BATCH : a.shape().dim(a.rank() - 1);
        Tensor condition = last == Shape.BATCH
            ? b.scalar(DType.BOOL, 1)
            : b.constant(NDArray.generate(DType.BOOL, Shape.of(last), i -> i % 2));
        yield condition.select(a, alternative);
      }
    };
  }

  /** The op of {@code other} applied again to its inputs (a constant copied), or {@code a} negated. */
  private static Tensor duplicate(GraphBuilder b, Tensor a, Tensor other) {
    Node node = other.node();
    if (node.op() instanceof Op.Constant c) {
      return b.constant(c.value());
    }
    if (node.inputs().isEmpty()) {
      return a.unaryMinus();
    }
    return b.add(node.op(), node.inputs().stream().map(b::tensor).toList());
  }

  /** {@code a} times {@code (c+1) − c} (one, once folded), plus a function of a constant, or over a size. */
  private static Tensor constantSubexpression(GraphBuilder b, Tensor a, Step s) {
    return switch (s.bits() % 3) {
      case 0 -> {
        Tensor c = a.scalarLike(s.choice() % 5);
        yield a.times(c.plus(1).minus(c));
      }
      case 1 -> a.plus(a.scalarLike(s.choice() % 3).exp().tanh());
      default -> a.rank() == 0 ? a.div(a.sizeOf()) : a.div(a.sizeOf(s.choice() % a.rank()));
    };
  }
}
