package dev.adjoint.ir;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Initial values of a graph's parameters and state buffers, drawn from their initializers. */
public final class Weights {
  private Weights() {}

  /**
   * A value for every Parameter node ({@code init.sample(type, seed, key)}) and every State node
   * ({@code init.sample(type, seed, 0)}), keyed by node name in graph order. The same seed gives the
   * same values everywhere, since initializers draw from Philox.
   *
   * @throws AdjointException if a parameter or state has the symbolic batch dimension, which has
   *     no size to draw for
   */
  public static Map<String, NDArray> initialize(Graph graph, long seed) {
    Map<String, NDArray> values = new LinkedHashMap<>();
    for (Node node : graph.nodes()) {
      if (node.op() instanceof Op.Parameter p) {
        values.put(node.name(), sample(node, p.init(), seed, p.key()));
      } else if (node.op() instanceof Op.State s) {
        // State initializers are deterministic in practice (zeros, ones); key 0 keeps them keyless.
        values.put(node.name(), sample(node, s.init(), seed, 0));
      }
    }
    return Collections.unmodifiableMap(values);
  }

  /** Draws a node's initial value; an initializer's error gains the node's name. */
  private static NDArray sample(Node node, Initializer init, long seed, long key) {
    TensorType type = concrete(node);
    try {
      return init.sample(type, seed, key);
    } catch (AdjointException e) {
      throw new AdjointException("cannot initialize " + node.describe() + ": " + e.getMessage(), e);
    }
  }

  private static TensorType concrete(Node node) {
    if (node.shape().isBatched()) {
      throw new AdjointException(
          "cannot initialize " + node.describe() + " of type " + node.type()
              + ": its shape has the symbolic batch dimension N, so its size is unknown");
    }
    return node.type();
  }
}
