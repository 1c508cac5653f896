package dev.adjoint.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.TensorType;
import dev.adjoint.ir.Weights;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.reference.ReferenceInterpreter.Execution;
import dev.adjoint.text.GraphPrinter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Runs graphs on the reference interpreter and compares what they compute. */
final class Semantics {
  /** Integer inputs without an explicit feed draw from [0, this). */
  static final int INTEGER_BOUND = 1000;

  private Semantics() {}

  /**
   * Feeds for every input, parameter and state of {@code graph}: floats uniform in [-2, 2),
   * integers in [0, {@link #INTEGER_BOUND}), booleans fair; N resolved to {@code batch}; {@code
   * given} overrides by name.
   */
  static Map<String, NDArray> randomFeeds(Graph graph, long seed, int batch, Map<String, NDArray> given) {
    Random random = new Random(seed);
    Map<String, NDArray> feeds = new LinkedHashMap<>(Weights.initialize(graph, seed));
    for (Node input : graph.inputs()) {
      TensorType type = new TensorType(input.dtype(), input.shape().resolve(batch));
      feeds.put(input.name(), NDArray.generate(type.dtype(), type.shape(), i -> draw(type.dtype(), random)));
    }
    feeds.putAll(given);
    return feeds;
  }

  static Map<String, NDArray> randomFeeds(Graph graph, long seed) {
    return randomFeeds(graph, seed, 3, Map.of());
  }

  private static double draw(DType dtype, Random random) {
    return switch (dtype) {
      case F32, F64 -> random.nextDouble() * 4 - 2;
      case I32, I64 -> random.nextInt(INTEGER_BOUND);
      case BOOL -> random.nextBoolean() ? 1 : 0;
    };
  }

  /** Both graphs give the same outputs and state updates on {@code feeds}: bit for bit but the sign of zero. */
  static void assertSameOutputs(Graph expected, Graph actual, Map<String, NDArray> feeds) {
    assertSameOutputs(expected, actual, feeds, 0);
  }

  /**
   * Both graphs give the same outputs and state updates on {@code feeds}, element by element within
   * {@code tolerance} times the larger magnitude, or times 1 below 1 (relative for large values,
   * absolute near 0); NaN matches NaN, and infinities must be equal.
   */
  static void assertSameOutputs(Graph expected, Graph actual, Map<String, NDArray> feeds, double tolerance) {
    Execution want = ReferenceInterpreter.execute(expected, feeds);
    Execution got = ReferenceInterpreter.execute(actual, feeds);
    String graphs = "\nbefore:\n" + GraphPrinter.print(expected) + "after:\n" + GraphPrinter.print(actual);
    assertEquals(want.outputs().size(), got.outputs().size(), "number of outputs");
    for (int k = 0; k < want.outputs().size(); k++) {
      assertSameValue(want.outputs().get(k), got.outputs().get(k), tolerance, "output " + k, graphs);
    }
    assertEquals(want.updatedState().keySet(), got.updatedState().keySet(), "updated states");
    want.updatedState().forEach((state, value) ->
        assertSameValue(value, got.updatedState().get(state), tolerance, "update of '" + state + "'", graphs));
  }

  private static void assertSameValue(NDArray want, NDArray got, double tolerance, String what, String graphs) {
    assertEquals(want.type(), got.type(), "type of " + what);
    for (int i = 0; i < want.size(); i++) {
      double w = want.get(i);
      double g = got.get(i);
      boolean same = (Double.isNaN(w) && Double.isNaN(g)) || w == g
          || Math.abs(w - g) <= tolerance * Math.max(1, Math.max(Math.abs(w), Math.abs(g)));
      if (!same) {
        fail(what + ", element " + i + ": expected " + w + ", got " + g + " (tolerance " + tolerance + ")" + graphs);
      }
    }
  }

  /** The mnemonics of a graph's nodes, in order. */
  static List<String> ops(Graph graph) {
    return graph.nodes().stream().map(n -> n.op().mnemonic()).toList();
  }

  /** How many nodes of {@code graph} have an op of class {@code kind}. */
  static long count(Graph graph, Class<? extends Op> kind) {
    return graph.nodes().stream().filter(n -> kind.isInstance(n.op())).count();
  }
}
