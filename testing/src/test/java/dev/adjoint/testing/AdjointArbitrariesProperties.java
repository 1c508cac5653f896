package dev.adjoint.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.ShapeRules;
import dev.adjoint.ir.Weights;
import dev.adjoint.testing.AdjointArbitraries.ShapePair;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class AdjointArbitrariesProperties {
  private static final int MAX_RANK = 4;
  private static final int MAX_DIM = 5;

  private final Graph mixed = mixedGraph();

  @Provide
  Arbitrary<Shape> shapes() {
    return AdjointArbitraries.shapes(MAX_RANK, MAX_DIM);
  }

  @Provide
  Arbitrary<ShapePair> pairs() {
    return AdjointArbitraries.broadcastableShapePairs(MAX_RANK, MAX_DIM);
  }

  @Property(tries = 300, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void shapesStayWithinTheirBounds(@ForAll("shapes") Shape shape) {
    assertTrue(shape.rank() <= MAX_RANK, shape::toString);
    for (int d : shape.dims()) {
      assertTrue(d >= 1 && d <= MAX_DIM, shape::toString);
    }
  }

  @Example
  void shapesCoverRankZeroFullRankAndSizeOneDims() {
    List<Shape> sample = shapes().sampleStream().limit(500).toList();

    assertTrue(sample.stream().anyMatch(s -> s.rank() == 0), "rank 0");
    assertTrue(sample.stream().anyMatch(s -> s.rank() == MAX_RANK), "full rank");
    assertTrue(sample.stream().anyMatch(s -> s.rank() > 0 && s.dimList().contains(1)), "a size-1 dim");
    assertTrue(sample.stream().anyMatch(s -> s.dimList().contains(MAX_DIM)), "the largest dim");
  }

  @Property(tries = 300, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void pairsBroadcast(@ForAll("pairs") ShapePair pair) {
    Shape expected = ShapeRules.tryBroadcast(pair.left(), pair.right());

    assertNotNull(expected, pair::toString);
    assertEquals(expected, pair.broadcast());
    assertTrue(pair.left().rank() <= MAX_RANK && pair.right().rank() <= MAX_RANK, pair::toString);
  }

  @Example
  void pairsCoverMissingLeadingDimsAndSizeOneAgainstLarger() {
    List<ShapePair> sample = pairs().sampleStream().limit(500).toList();

    assertTrue(sample.stream().anyMatch(p -> p.left().rank() != p.right().rank()), "different ranks");
    assertTrue(sample.stream().anyMatch(AdjointArbitrariesProperties::stretchesASizeOneDim), "1 against n > 1");
    assertTrue(sample.stream().anyMatch(p -> p.left().equals(p.right()) && p.left().rank() > 0), "equal shapes");
  }

  /** Whether some trailing-aligned axis has 1 on one side and more on the other. */
  private static boolean stretchesASizeOneDim(ShapePair p) {
    int common = Math.min(p.left().rank(), p.right().rank());
    return IntStream.range(1, common + 1).anyMatch(k -> {
      int l = p.left().dim(p.left().rank() - k);
      int r = p.right().dim(p.right().rank() - k);
      return (l == 1) != (r == 1);
    });
  }

  @Provide
  Arbitrary<NDArray> unitIntervalTensors() {
    return shapes().flatMap(s -> AdjointArbitraries.tensors(DType.F64, s, InputDomain.UNIT_INTERVAL));
  }

  @Property(tries = 200, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void tensorsHaveTheirTypeAndDomain(@ForAll("unitIntervalTensors") NDArray t) {
    assertEquals(DType.F64, t.dtype());
    assertTrue(t.shape().rank() <= MAX_RANK);
    for (double v : t.toDoubleArray()) {
      assertTrue(v >= 0.05 && v <= 0.95, () -> "out of [0.05, 0.95]: " + v);
    }
  }

  @Example
  void tensorsRoundToTheirDType() {
    NDArray t = AdjointArbitraries.tensors(DType.F32, Shape.of(2, 3), InputDomain.REAL).sample();

    assertEquals(DType.F32, t.dtype());
    assertEquals(Shape.of(2, 3), t.shape());
    for (double v : t.toDoubleArray()) {
      assertEquals((float) v, v, 0.0, "an f32 value");
    }
  }

  /** Batched f64 input, batched labels, a fixed-shape input, a parameter and a state. */
  private static Graph mixedGraph() {
    GraphBuilder b = new GraphBuilder("mixed");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 3);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor z = b.input("z", DType.F64, 2);
    Tensor w = b.parameter("w", DType.F64, Initializer.xavierUniform(), 3, 2);
    Tensor s = b.state("s", DType.F64, Shape.of(2), Initializer.ones());
    return b.build(x.matmul(w).plus(z).times(s).sum(), labels);
  }

  @Provide
  Arbitrary<Map<String, NDArray>> mixedFeeds() {
    return AdjointArbitraries.feeds(mixed, Map.of("labels", InputDomain.integers(4)), 11);
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void feedsGiveEveryLeafAValueWithOneBatchSize(@ForAll("mixedFeeds") Map<String, NDArray> feeds) {
    assertEquals(Set.of("x", "labels", "z", "w", "s"), feeds.keySet());
    int batch = feeds.get("x").shape().dim(0);
    assertTrue(batch >= 1 && batch <= AdjointArbitraries.MAX_BATCH, () -> "batch " + batch);
    assertEquals(Shape.of(batch, 3), feeds.get("x").shape());
    assertEquals(Shape.of(batch), feeds.get("labels").shape());
    assertEquals(Shape.of(2), feeds.get("z").shape());
    for (double label : feeds.get("labels").toDoubleArray()) {
      assertTrue(label == Math.rint(label) && label >= 0 && label < 4, () -> "label " + label);
    }
    Map<String, NDArray> weights = Weights.initialize(mixed, 11);
    assertEquals(weights.get("w"), feeds.get("w"));
    assertEquals(weights.get("s"), feeds.get("s"));
  }

  @Example
  void feedsDrawEveryBatchSize() {
    Set<Integer> batches = mixedFeeds().sampleStream()
        .limit(200)
        .map(f -> f.get("x").shape().dim(0))
        .collect(Collectors.toSet());

    assertEquals(Set.of(1, 2, 3), batches);
  }

  @Provide
  Arbitrary<Map<String, NDArray>> separatedFeeds() {
    GraphBuilder b = new GraphBuilder("max");
    Tensor x = b.input("x", DType.F64, 4);
    Tensor y = b.input("y", DType.F64, 4);
    Graph graph = b.build(x.maximum(y));
    InputDomain awayFromX = InputDomain.dependent("away from x", (type, rng, earlier) -> {
      NDArray xs = earlier.get("x");
      return NDArray.generate(type.dtype(), type.shape(),
          i -> xs.get(i) + (rng.nextBoolean() ? 1 : -1) * (0.1 + rng.nextDouble()));
    });
    return AdjointArbitraries.feeds(graph, Map.of("y", awayFromX), 0);
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void dependentDomainsSeeEarlierFeeds(@ForAll("separatedFeeds") Map<String, NDArray> feeds) {
    NDArray x = feeds.get("x");
    NDArray y = feeds.get("y");
    for (int i = 0; i < x.size(); i++) {
      assertTrue(Math.abs(x.get(i) - y.get(i)) >= 0.1, () -> "x " + x + ", y " + y);
    }
  }

  @Example
  void feedsNeedADomainForIntegerInputsAndKnownNames() {
    AdjointException missing = assertThrows(AdjointException.class, () -> AdjointArbitraries.feeds(mixed, Map.of(), 0));
    assertTrue(missing.getMessage().contains("'labels'") && missing.getMessage().contains("integers"),
        missing.getMessage());

    AdjointException unknown = assertThrows(AdjointException.class,
        () -> AdjointArbitraries.feeds(mixed, Map.of("labels", InputDomain.integers(2), "w", InputDomain.REAL), 0));
    assertTrue(unknown.getMessage().contains("'w'") && unknown.getMessage().contains("not an input"),
        unknown.getMessage());
  }

  @Example
  void rejectsInvalidBounds() {
    assertThrows(AdjointException.class, () -> AdjointArbitraries.shapes(-1, 3));
    assertThrows(AdjointException.class, () -> AdjointArbitraries.shapes(2, 0));
    assertThrows(AdjointException.class, () -> AdjointArbitraries.tensors(DType.F64, Shape.batched(2), InputDomain.REAL));
  }
}
