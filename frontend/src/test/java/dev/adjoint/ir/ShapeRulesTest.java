package dev.adjoint.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShapeRulesTest {
  private final GraphBuilder b = new GraphBuilder("g");

  private static void assertMentions(Exception e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), () -> "message lacks '" + p + "': " + e.getMessage());
    }
  }

  @Test
  void broadcastingFollowsNumpy() {
    assertEquals(Shape.of(4, 2, 3), ShapeRules.broadcast(Shape.of(2, 1), Shape.of(4, 1, 3)));
    assertEquals(Shape.of(5), ShapeRules.broadcast(Shape.scalar(), Shape.of(5)));
    assertEquals(Shape.batched(3), ShapeRules.broadcast(Shape.batched(3), Shape.of(1, 3)));
    assertEquals(Shape.batched(3), ShapeRules.broadcast(Shape.batched(1), Shape.of(3)));
    assertEquals(null, ShapeRules.tryBroadcast(Shape.of(2, 3), Shape.of(3, 2)));
    // N broadcasts only against N or 1: a concrete 4 could be a different batch size.
    assertEquals(null, ShapeRules.tryBroadcast(Shape.batched(3), Shape.of(4, 3)));
  }

  @Test
  void shapeMismatchNamesNodeOpAndBothShapes() {
    Tensor x = b.input("x", DType.F32, 2, 3);
    Tensor y = b.input("y", DType.F32, 3, 2);
    ShapeException e = assertThrows(ShapeException.class, () -> x.plus(y));
    assertEquals("add", e.op());
    assertEquals(List.of(x.type(), y.type()), e.operands());
    assertMentions(e, "node 'add_1'", "op add", "f32[2,3]", "f32[3,2]");
  }

  @Test
  void dtypeMismatchIsReported() {
    Tensor x = b.input("x", DType.F32, 3);
    Tensor y = b.input("y", DType.F64, 3);
    assertMentions(assertThrows(ShapeException.class, () -> x.times(y)), "different dtypes", "f32", "f64");
  }

  @Test
  void badAxisNamesTheAxisAndRank() {
    Tensor x = b.input("x", DType.F32, 2, 3);
    assertMentions(assertThrows(ShapeException.class, () -> x.sum(2)), "reduce_sum", "axis 2", "rank 2");
    assertMentions(assertThrows(ShapeException.class, () -> x.softmax(-3)), "softmax", "axis -3");
    assertMentions(assertThrows(ShapeException.class, () -> x.sum(0, 0)), "repeated");
  }

  @Test
  void negativeAxesCountFromTheEnd() {
    Tensor x = b.input("x", DType.F32, 2, 3, 4);
    assertEquals(Shape.of(2, 3), x.sum(-1).shape());
    assertEquals(Shape.of(2, 1, 4), x.mean(true, -2).shape());
  }

  @Test
  void dropoutProbabilityOutOfRangeIsRejected() {
    Tensor x = b.input("x", DType.F32, 4);
    assertMentions(assertThrows(ShapeException.class, () -> x.dropout(1.5)), "dropout", "[0, 1]", "1.5");
    assertMentions(assertThrows(ShapeException.class, () -> x.dropout(-0.1)), "dropout", "-0.1");
    b.training(false);
    assertMentions(assertThrows(AdjointException.class, () -> x.dropout(2)), "[0, 1]");
    assertEquals(x.node(), x.dropout(0.5).node(), "inference-mode dropout is the identity");
  }

  @Test
  void matmulChecksInnerDimensionsAndSupportsTransposeFlags() {
    Tensor a = b.input("a", DType.F64, Shape.BATCH, 3);
    Tensor w = b.input("w", DType.F64, 3, 4);
    Tensor g = b.input("g", DType.F64, Shape.BATCH, 4);
    assertEquals(Shape.batched(4), a.matmul(w).shape());
    // aᵀ·g contracts over the symbolic batch: the weight gradient of a dense layer.
    assertEquals(Shape.of(3, 4), a.matmul(g, true, false).shape());
    assertMentions(assertThrows(ShapeException.class, () -> a.matmul(g)), "inner dimensions", "3 vs N");
    assertMentions(assertThrows(ShapeException.class, () -> w.matmul(w)), "inner dimensions", "4 vs 3");
  }

  @Test
  void batchDimensionMustStayAtDimensionZero() {
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3);
    assertMentions(assertThrows(ShapeException.class, () -> x.transpose()), "away from dimension 0");
    assertMentions(assertThrows(AdjointException.class, () -> x.reshape(3, Shape.BATCH)), "dimension 1", "only dimension 0");
    assertEquals(Shape.batched(3, 1), x.reshape(Shape.BATCH, 3, 1).shape());
    assertMentions(assertThrows(ShapeException.class, () -> x.concat(0, x)), "symbolic batch");
    assertEquals(Shape.batched(6), x.concat(1, x).shape());
  }

  @Test
  void reshapeMustKeepTheElementCount() {
    Tensor x = b.input("x", DType.F32, 2, 3);
    assertEquals(Shape.of(3, 2), x.reshape(3, 2).shape());
    assertMentions(assertThrows(ShapeException.class, () -> x.reshape(4, 2)), "6 elements", "(8)");
  }

  @Test
  void sliceAndPadCheckTheirBounds() {
    Tensor x = b.input("x", DType.F32, 4, 5);
    assertEquals(Shape.of(4, 2), x.slice(1, 1, 3).shape());
    assertMentions(assertThrows(ShapeException.class, () -> x.slice(1, 3, 7)), "[3, 7)", "axis 1", "size 5");
    assertEquals(Shape.of(5, 8), x.pad(new int[] {1, 2}, new int[] {0, 1}, 0).shape());
    assertMentions(
        assertThrows(ShapeException.class, () -> x.pad(new int[] {-1, 0}, new int[] {0, 0}, 0)), "non-negative");
  }

  @Test
  void softmaxCrossEntropyChecksLabels() {
    Tensor logits = b.input("logits", DType.F32, Shape.BATCH, 10);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor wrong = b.input("wrong", DType.I64, Shape.BATCH, 2);
    assertEquals(Shape.scalar(), b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).shape());
    assertEquals(Shape.batched(), b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.NONE), logits, labels).shape());
    assertMentions(
        assertThrows(ShapeException.class, () -> b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.SUM), logits, wrong)),
        "integer labels must be [N]");
  }

  @Test
  void selectNeedsABooleanCondition() {
    Tensor x = b.input("x", DType.F32, 3);
    assertMentions(assertThrows(ShapeException.class, () -> b.select(x, x, x)), "condition", "bool");
    assertEquals(DType.F32, b.select(x.gt(0), x, x.scalarLike(0)).dtype());
  }
}
