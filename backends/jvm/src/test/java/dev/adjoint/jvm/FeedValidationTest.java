package dev.adjoint.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Feeds are validated before anything runs, with the reference interpreter's messages: every bad
 * feed map fails on the compiled program with exactly the message the interpreter gives.
 */
class FeedValidationTest {
  private static final Graph GRAPH = graph();
  private static final CompiledProgram PROGRAM = Compiler.jvm().compile(GRAPH);

  private static Graph graph() {
    GraphBuilder b = new GraphBuilder("validated");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3);
    Tensor y = b.input("y", DType.F32, Shape.BATCH, 2);
    b.input("unused", DType.F64, 4);
    Tensor w = b.parameter("w", DType.F32, Initializer.heNormal(), 3, 2);
    Tensor out = x.matmul(w).plus(y).named("out");
    Tensor bn = b.add(new Op.BatchNormTraining(1e-5), out, b.parameter("g", DType.F32, Initializer.ones(), 2),
        b.parameter("b", DType.F32, Initializer.zeros(), 2));
    return b.build(out, bn);
  }

  private static Map<String, NDArray> valid(int batch) {
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(GRAPH, 1));
    feeds.put("x", NDArray.filled(DType.F32, Shape.of(batch, 3), 0.5));
    feeds.put("y", NDArray.generate(DType.F32, Shape.of(batch, 2), i -> i));
    return feeds;
  }

  /** Both backends reject {@code change(valid feeds)} with the same message. */
  private static void rejectedAlike(Consumer<Map<String, NDArray>> change, String fragment) {
    Map<String, NDArray> feeds = valid(3);
    change.accept(feeds);
    AdjointException reference = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(GRAPH, feeds));
    AdjointException compiled = assertThrows(AdjointException.class, () -> PROGRAM.run(feeds));
    assertEquals(reference.getMessage(), compiled.getMessage());
    assertTrue(compiled.getMessage().contains(fragment), compiled.getMessage());
  }

  @Test
  void validFeedsRun() {
    assertEquals(2, PROGRAM.run(valid(3)).size());
  }

  @Test
  void unknownAndComputedNames() {
    rejectedAlike(f -> f.put("z", NDArray.scalar(DType.F32, 1)),
        "feed 'z' names no node of graph 'validated'; it takes feeds for: x, y, unused, w, g, b");
    rejectedAlike(f -> f.put("out", NDArray.scalar(DType.F32, 1)),
        "feed 'out' names 'out' (add), which the graph computes");
  }

  @Test
  void missingFeeds() {
    rejectedAlike(f -> f.remove("w"), "missing feed for 'w' (parameter) of type f32[3,2]");
  }

  @Test
  void wrongTypesAndShapes() {
    rejectedAlike(f -> f.put("x", NDArray.filled(DType.F64, Shape.of(3, 3), 0)),
        "feed for 'x' (input) expects f32[N,3], got f64[3,3]");
    rejectedAlike(f -> f.put("x", NDArray.filled(DType.F32, Shape.of(3, 4), 0)),
        "feed for 'x' (input) expects f32[N,3], got f32[3,4]");
    rejectedAlike(f -> f.put("unused", NDArray.filled(DType.F64, Shape.of(5), 0)),
        "feed for 'unused' (input) expects f64[4], got f64[5]");
  }

  @Test
  void oneBatchSizeOfAtLeastOne() {
    rejectedAlike(f -> f.put("y", NDArray.filled(DType.F32, Shape.of(4, 2), 0)),
        "feed for 'y' (input) expects f32[N,2] with N = 3 (bound by the feed for 'x' (input)), got f32[4,2]");
    rejectedAlike(f -> {
      f.put("x", NDArray.filled(DType.F32, Shape.of(0, 3), 0));
      f.put("y", NDArray.filled(DType.F32, Shape.of(0, 2), 0));
    }, "expects f32[N,3] with N >= 1, got f32[0,3]");
  }

  @Test
  void batchNormNeedsMoreThanOneValuePerChannel() {
    Map<String, NDArray> feeds = valid(1);
    AdjointException reference = assertThrows(AdjointException.class, () -> ReferenceInterpreter.run(GRAPH, feeds));
    AdjointException compiled = assertThrows(AdjointException.class, () -> PROGRAM.run(feeds));
    assertEquals(reference.getMessage(), compiled.getMessage());
    assertTrue(compiled.getMessage().contains("needs more than one value per channel, got 1"), compiled.getMessage());
  }

  @Test
  void aSessionChecksItsFeeds() {
    Session session = PROGRAM.session(2);
    AdjointException wrongLength = assertThrows(AdjointException.class, () -> session.feed("x", new float[5]));
    assertEquals("feed for 'x' (input) expects f32[N,3] (6 elements of f32 for N = 2), got 5 elements of f32",
        wrongLength.getMessage());
    AdjointException missing = assertThrows(AdjointException.class, session::run);
    assertTrue(missing.getMessage().startsWith("missing feed for 'x' (input)"), missing.getMessage());
    AdjointException batch = assertThrows(AdjointException.class,
        () -> session.feed("y", NDArray.filled(DType.F32, Shape.of(3, 2), 0)));
    assertTrue(batch.getMessage().contains("with N = 2 (the session's batch size), got f32[3,2]"), batch.getMessage());
    AdjointException tooSmall = assertThrows(AdjointException.class, () -> PROGRAM.session(1));
    assertTrue(tooSmall.getMessage().contains("needs more than one value per channel"), tooSmall.getMessage());
  }
}
