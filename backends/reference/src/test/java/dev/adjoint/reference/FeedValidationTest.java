package dev.adjoint.reference;

import static dev.adjoint.reference.Fixtures.dims;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeedValidationTest {

  /** logits = x[N,784]·w[784,10]; labels[N] feed a one-hot that is a second output. */
  private static Graph classifier() {
    GraphBuilder b = new GraphBuilder("classifier");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 784);
    Tensor w = b.input("w", DType.F32, 784, 10);
    Tensor labels = b.input("labels", DType.I32, Shape.BATCH);
    return b.build(x.matmul(w), labels.oneHot(10, DType.F32));
  }

  private static NDArray f32(int... dims) {
    return NDArray.zeros(DType.F32, Shape.of(dims));
  }

  private static NDArray labels(int... values) {
    return NDArray.of(DType.I32, dims(values.length), Arrays.stream(values).asDoubleStream().toArray());
  }

  private static String failure(Graph graph, Map<String, NDArray> feeds) {
    return assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(graph, feeds)).getMessage();
  }

  private static void assertMentions(String message, String... parts) {
    for (String part : parts) {
      assertTrue(message.contains(part), "expected '" + part + "' in: " + message);
    }
  }

  @Test
  void validFeedsRun() {
    List<NDArray> outs = ReferenceInterpreter.run(
        classifier(), Map.of("x", f32(2, 784), "w", f32(784, 10), "labels", labels(3, 4)));
    assertEquals(Shape.of(2, 10), outs.get(0).shape());
    assertEquals(Shape.of(2, 10), outs.get(1).shape());
  }

  @Test
  void missingFeedNamesTheNodeAndItsType() {
    String message = failure(classifier(), Map.of("w", f32(784, 10), "labels", labels(1)));
    assertMentions(message, "missing feed", "'x' (input)", "f32[N,784]");
  }

  @Test
  void wrongDTypeNamesTheNodeTheExpectedTypeAndTheGivenOne() {
    NDArray x = NDArray.zeros(DType.F64, Shape.of(2, 784));
    String message = failure(classifier(), Map.of("x", x, "w", f32(784, 10), "labels", labels(0, 0)));
    assertMentions(message, "'x' (input)", "f32[N,784]", "f64[2,784]");
  }

  @Test
  void wrongShapeNamesTheNodeTheExpectedTypeAndTheGivenShape() {
    String message = failure(classifier(), Map.of("x", f32(2, 783), "w", f32(784, 10), "labels", labels(0, 0)));
    assertMentions(message, "'x' (input)", "f32[N,784]", "[2,783]");
    String rank = failure(classifier(), Map.of("x", f32(2, 784), "w", f32(784, 10, 1), "labels", labels(0, 0)));
    assertMentions(rank, "'w' (input)", "f32[784,10]", "[784,10,1]");
  }

  @Test
  void batchSizeMustAgreeAcrossFeeds() {
    String message = failure(classifier(), Map.of("x", f32(2, 784), "w", f32(784, 10), "labels", labels(0, 1, 2)));
    assertMentions(message, "'labels' (input)", "i32[N]", "N = 2", "'x' (input)", "i32[3]");
  }

  @Test
  void batchSizeMustBePositive() {
    String message = failure(classifier(), Map.of("x", f32(0, 784), "w", f32(784, 10), "labels", labels()));
    assertMentions(message, "'x' (input)", "N >= 1", "f32[0,784]");
  }

  @Test
  void unknownFeedNameIsATypo() {
    String message = failure(
        classifier(), Map.of("x", f32(1, 784), "w", f32(784, 10), "labels", labels(0), "lables", labels(0)));
    assertMentions(message, "'lables'", "names no node", "x, w, labels");
  }

  @Test
  void computedNodesTakeNoFeeds() {
    Graph graph = classifier();
    String computed = graph.output(0).name();
    String message = failure(
        graph, Map.of("x", f32(1, 784), "w", f32(784, 10), "labels", labels(0), computed, f32(1, 10)));
    assertMentions(message, "'" + computed + "' (matmul)", "only inputs, parameters and states");
  }

  @Test
  void feedsAreCheckedBeforeAnythingIsEvaluated() {
    // Label 12 would fail in one_hot, but the malformed x must be reported first.
    String message = failure(classifier(), Map.of("x", f32(1, 5), "w", f32(784, 10), "labels", labels(12)));
    assertMentions(message, "'x' (input)");
  }

  @Test
  void onlyNodesTheOutputsNeedMustBeFed() {
    GraphBuilder b = new GraphBuilder("partial");
    Tensor used = b.input("used", DType.F64, 2);
    b.input("unused", DType.F64, 3);
    Graph graph = b.build(used.times(2));
    NDArray out = ReferenceInterpreter.run(graph, Map.of("used", NDArray.of(DType.F64, dims(2), 1, 2))).get(0);
    assertEquals(NDArray.of(DType.F64, dims(2), 2, 4), out);
  }

  @Test
  void feedsForUnusedNodesAreStillChecked() {
    GraphBuilder b = new GraphBuilder("partial");
    Tensor used = b.input("used", DType.F64, 2);
    b.input("unused", DType.F64, 3);
    Graph graph = b.build(used.times(2));
    String message = failure(graph, Map.of("used", NDArray.zeros(DType.F64, Shape.of(2)), "unused", f32(3)));
    assertMentions(message, "'unused' (input)", "f64[3]", "f32[3]");
  }

  @Test
  void oneGraphRunsWithBatchOneAndThree() {
    GraphBuilder b = new GraphBuilder("rows");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 2);
    Graph graph = b.build(x.times(2).sum(1));
    NDArray one = ReferenceInterpreter.run(graph, Map.of("x", NDArray.of(DType.F64, dims(1, 2), 1, 2))).get(0);
    assertEquals(NDArray.of(DType.F64, dims(1), 6), one);
    NDArray three = ReferenceInterpreter.run(
        graph, Map.of("x", NDArray.of(DType.F64, dims(3, 2), 1, 2, 3, 4, 5, 6))).get(0);
    assertEquals(NDArray.of(DType.F64, dims(3), 6, 14, 22), three);
  }
}
