package dev.adjoint.testing;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.ShapeRules;
import dev.adjoint.ir.TensorType;
import dev.adjoint.ir.Weights;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik arbitraries for property tests of models and ops: shapes, broadcastable shape pairs,
 * tensors drawn from an {@link InputDomain}, and complete feed maps for a graph. With {@link
 * #feeds} a user property-tests the gradients of a model in one call:
 *
 * <pre>{@code
 * class MyModelProperties {
 *   final Graph graph = MyModel.build(DType.F64);
 *
 *   @Provide
 *   Arbitrary<Map<String, NDArray>> feeds() {
 *     return AdjointArbitraries.feeds(graph, Map.of(), 42);
 *   }
 *
 *   @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
 *   void gradientsMatch(@ForAll("feeds") Map<String, NDArray> feeds) {
 *     GradientCheck.assertGradients(graph, 0, feeds, List.of("w", "b"));
 *   }
 * }
 * }</pre>
 *
 * <p>Shapes and the batch size shrink; tensor values are drawn at random from their domain and do
 * not shrink (a domain such as {@link InputDomain#DISTINCT} constrains elements jointly).
 */
public final class AdjointArbitraries {
  /** Batch sizes that {@link #feeds} draws for the symbolic batch N. */
  public static final int MAX_BATCH = 3;

  private AdjointArbitraries() {}

  /** Two shapes that broadcast together. */
  public record ShapePair(Shape left, Shape right) {
    /** The NumPy broadcast of the two. */
    public Shape broadcast() {
      return ShapeRules.broadcast(left, right);
    }
  }

  /**
   * Concrete shapes of rank 0 to {@code maxRank}, each dimension 1 to {@code maxDim}; size-1
   * dimensions come up often (they are where broadcasting and reductions go wrong).
   */
  public static Arbitrary<Shape> shapes(int maxRank, int maxDim) {
    if (maxRank < 0 || maxDim < 1) {
      throw new AdjointException("shapes needs maxRank >= 0 and maxDim >= 1, got " + maxRank + " and " + maxDim);
    }
    return dims(maxDim).list().ofMaxSize(maxRank).map(Shape::of);
  }

  /**
   * Pairs of shapes that broadcast: both derive from one shape of rank up to {@code maxRank} by
   * dropping some leading dimensions and setting some others to 1, so the pairs cover missing
   * leading dimensions, size-1 dimensions against larger ones, and equal shapes.
   */
  public static Arbitrary<ShapePair> broadcastableShapePairs(int maxRank, int maxDim) {
    return shapes(maxRank, maxDim)
        .flatMap(full -> Combinators.combine(derivedFrom(full), derivedFrom(full)).as(ShapePair::new));
  }

  /** Values of {@code dtype} and the concrete {@code shape}, drawn from {@code domain}. */
  public static Arbitrary<NDArray> tensors(DType dtype, Shape shape, InputDomain domain) {
    if (shape.isBatched()) {
      throw new AdjointException("tensors needs a concrete shape, got " + shape + "; resolve the batch N first");
    }
    TensorType type = new TensorType(dtype, shape);
    return Arbitraries.randomValue(rng -> domain.sample(type, rng));
  }

  /**
   * Complete feeds for {@code graph}: every input gets a value from its domain in {@code domains}
   * (default {@link InputDomain#REAL}; integer and boolean inputs must be given one), sampled in
   * graph order after the parameters and states, with one batch size from 1 to {@link #MAX_BATCH}
   * for the symbolic N of all inputs; parameters and states hold {@link Weights#initialize}{@code
   * (graph, weightSeed)}.
   *
   * @throws AdjointException if {@code domains} names something that is not an input of the graph,
   *     or an integer or boolean input has no domain
   */
  public static Arbitrary<Map<String, NDArray>> feeds(Graph graph, Map<String, InputDomain> domains, long weightSeed) {
    List<Node> inputs = graph.inputs();
    List<String> inputNames = inputs.stream().map(Node::name).toList();
    for (String name : domains.keySet()) {
      if (!inputNames.contains(name)) {
        throw new AdjointException("feeds: a domain is given for '" + name + "', which is not an input of graph '"
            + graph.name() + "'; its inputs are " + inputNames);
      }
    }
    Map<String, InputDomain> chosen = new LinkedHashMap<>();
    for (Node input : inputs) {
      InputDomain domain = domains.get(input.name());
      if (domain == null && !input.dtype().isFloating()) {
        throw new AdjointException("feeds: input " + input.describe() + " of graph '" + graph.name() + "' is "
            + input.type() + "; give it a domain, e.g. InputDomain.integers(classes) or InputDomain.BOOLEAN");
      }
      chosen.put(input.name(), domain == null ? InputDomain.REAL : domain);
    }
    Map<String, NDArray> weights = Map.copyOf(Weights.initialize(graph, weightSeed));
    return Arbitraries.integers()
        .between(1, MAX_BATCH)
        .flatMap(batch -> Arbitraries.randomValue(rng -> {
          Map<String, NDArray> feeds = new LinkedHashMap<>(weights);
          Map<String, NDArray> earlier = Collections.unmodifiableMap(feeds);
          for (Node input : inputs) {
            TensorType concrete = new TensorType(input.dtype(), input.shape().resolve(batch));
            feeds.put(input.name(), chosen.get(input.name()).sample(concrete, rng, earlier));
          }
          return earlier;
        }));
  }

  /** 1 to {@code maxDim}, with 1 about twice as likely as any other size; shrinks toward 1. */
  private static Arbitrary<Integer> dims(int maxDim) {
    return Arbitraries.integers().between(0, maxDim).map(d -> Math.max(d, 1));
  }

  /** {@code full} without 0 to rank leading dims, each remaining dim set to 1 with probability 1/3. */
  private static Arbitrary<Shape> derivedFrom(Shape full) {
    int rank = full.rank();
    return Combinators.combine(
            Arbitraries.integers().between(0, rank),
            Arbitraries.integers().between(0, 2).list().ofSize(rank))
        .as((dropped, ones) -> {
          int[] d = Arrays.copyOfRange(full.dims(), dropped, rank);
          for (int i = 0; i < d.length; i++) {
            if (ones.get(dropped + i) == 0) {
              d[i] = 1;
            }
          }
          return Shape.of(d);
        });
  }
}
