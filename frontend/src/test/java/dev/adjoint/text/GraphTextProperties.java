package dev.adjoint.text;

import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.F64;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class GraphTextProperties {

  /** One step of a random chain; each field is read modulo the choices the step has. */
  record Step(int kind, int choice, int bits, double constant) {}

  @Property(tries = 300, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void randomChainsRoundTrip(@ForAll("chains") Graph graph) {
    RoundTrip.check(graph);
  }

  /** Every double (and float in an f32 constant) reads back to the same value; NaN stays NaN. */
  @Property(tries = 500, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void numbersReadBackExactly(@ForAll long doubleBits, @ForAll int floatBits) {
    double d = Double.longBitsToDouble(doubleBits);
    float f = Float.intBitsToFloat(floatBits);
    GraphBuilder b = new GraphBuilder("numbers");
    Tensor x = b.input("x", F64, 2);
    Graph g = b.build(
        b.constant(F64, new int[] {2}, d, -d),
        b.constant(F32, new int[] {1}, f),
        x.pad(new int[] {1}, new int[] {0}, d),
        b.parameter("w", F64, new Initializer.Normal(d, -d), 2));
    RoundTrip.check(g);
  }

  /**
   * Damaged text (cut, a character dropped, inserted or replaced) either still parses or fails
   * with an {@link IrSyntaxException} pointing inside the text; nothing else escapes.
   */
  @Property(tries = 1000, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void damagedTextFailsOnlyWithAPositionedSyntaxError(
      @ForAll @IntRange(min = 0, max = 9) int graphIndex,
      @ForAll @IntRange(min = 0, max = 3) int edit,
      @ForAll @IntRange(min = 0, max = 100_000) int where,
      @ForAll("noise") char c) {
    List<OpCatalog.Case> cases = OpCatalog.cases();
    String text = GraphPrinter.print(cases.get(graphIndex % cases.size()).graph());
    int at = where % (text.length() + 1);
    String damaged = switch (edit) {
      case 0 -> text.substring(0, at);
      case 1 -> at < text.length() ? text.substring(0, at) + text.substring(at + 1) : text;
      case 2 -> text.substring(0, at) + c + text.substring(at);
      default -> at < text.length() ? text.substring(0, at) + c + text.substring(at + 1) : text;
    };
    try {
      GraphParser.parse(damaged, OpCatalog.RULES);
    } catch (IrSyntaxException e) {
      String[] lines = damaged.split("\n", -1);
      assertTrue(e.line() >= 1 && e.line() <= lines.length, "line " + e.line() + " of " + lines.length);
      assertTrue(e.column() >= 1 && e.column() <= lines[e.line() - 1].length() + 1, "column " + e.column());
      assertTrue(e.getMessage().startsWith("line " + e.line() + ", column " + e.column() + ": "), e.getMessage());
    }
  }

  @Provide
  Arbitrary<Character> noise() {
    return Arbitraries.of('[', ']', '{', '}', '(', ')', ',', ':', '=', '#', '"', '\\', '-', '.', '0', '9', 'e', 'N',
        'x', '_', ' ', '\n', '\t', '@', 'é');
  }

  @Provide
  Arbitrary<Graph> chains() {
    Arbitrary<DType> dtype = Arbitraries.of(F32, F64);
    Arbitrary<List<Integer>> dims = Arbitraries.integers().between(1, 4).list().ofMaxSize(3);
    Arbitrary<Step> step = Combinators.combine(
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 1000),
            Arbitraries.integers().between(0, 255),
            Arbitraries.doubles().withStandardSpecialValues())
        .as(Step::new);
    return Combinators.combine(dtype, dims, Arbitraries.of(false, true), step.list().ofMaxSize(10))
        .as(GraphTextProperties::chain);
  }

  /** Input {@code x}, then one node per step, each applied to the previous; returns the last and {@code x}. */
  static Graph chain(DType dtype, List<Integer> dims, boolean batched, List<Step> steps) {
    GraphBuilder b = new GraphBuilder("chain");
    List<Integer> shape = new ArrayList<>(dims);
    if (batched) {
      shape.addFirst(Shape.BATCH);
    }
    Tensor x = b.input("x", dtype, shape.stream().mapToInt(Integer::intValue).toArray());
    List<Tensor> made = new ArrayList<>(List.of(x));
    Tensor current = x;
    for (Step s : steps) {
      current = switch (s.kind()) {
        case 0 -> current.unary(pick(Op.UnaryFn.values(), s.choice()));
        case 1 -> binary(b, current, made, s);
        case 2 -> reduce(b, current, s);
        case 3 -> reshape(current, s);
        case 4 -> current.compare(pick(Op.CompareFn.values(), s.choice()), current.scalarLike(s.constant()))
            .cast(current.dtype());
        default -> transpose(current, s);
      };
      made.add(current);
    }
    return b.build(current, x);
  }

  private static Tensor binary(GraphBuilder b, Tensor current, List<Tensor> made, Step s) {
    Tensor other;
    if ((s.bits() & 1) == 0) {
      other = current.scalarLike(s.constant());
    } else {
      List<Tensor> sameType = made.stream().filter(t -> t.type().equals(current.type())).toList();
      other = sameType.get((s.bits() >> 1) % sameType.size());
    }
    return b.add(new Op.Binary(pick(Op.BinaryFn.values(), s.choice())), current, other);
  }

  /** Reduces over the axes whose bit is set in {@code bits} (possibly none). */
  private static Tensor reduce(GraphBuilder b, Tensor current, Step s) {
    List<Integer> axes = new ArrayList<>();
    for (int axis = 0; axis < current.rank(); axis++) {
      if ((s.bits() >> axis & 1) == 1) {
        axes.add(axis);
      }
    }
    boolean keepDims = (s.bits() >> 4 & 1) == 1;
    return b.add(new Op.Reduce(pick(Op.ReduceFn.values(), s.choice()), axes, keepDims), current);
  }

  /** Flattens, reverses the dims, or appends a 1; a leading N stays. */
  private static Tensor reshape(Tensor current, Step s) {
    int[] d = current.shape().dims();
    int from = current.shape().isBatched() ? 1 : 0;
    List<Integer> rest = new ArrayList<>();
    int size = 1;
    for (int i = from; i < d.length; i++) {
      rest.add(d[i]);
      size *= d[i];
    }
    List<Integer> to = switch (s.choice() % 3) {
      case 0 -> List.of(size);
      case 1 -> rest.reversed();
      default -> {
        rest.add(1);
        yield rest;
      }
    };
    List<Integer> shape = new ArrayList<>(to);
    if (from == 1) {
      shape.addFirst(Shape.BATCH);
    }
    return current.reshape(Shape.of(shape));
  }

  /** Rotates the axes after N (all axes if unbatched). */
  private static Tensor transpose(Tensor current, Step s) {
    int from = current.shape().isBatched() ? 1 : 0;
    int n = current.rank() - from;
    int[] perm = new int[current.rank()];
    for (int i = 0; i < perm.length; i++) {
      perm[i] = i < from ? i : from + (i - from + s.choice()) % n;
    }
    return current.transpose(perm);
  }

  private static <T> T pick(T[] values, int choice) {
    return values[choice % values.length];
  }
}
