package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.testing.AdjointArbitraries;
import dev.adjoint.testing.AdjointArbitraries.ShapePair;
import dev.adjoint.testing.GradientCheck;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * The differentiable elementwise rows on shapes jqwik draws, beyond the table's samples: unary
 * ops on any shape up to rank 3, binary ops on any pair of shapes that broadcast. Forward against
 * the row's reference and gradients against finite differences, in f64; a failure shrinks to the
 * smallest shapes that still fail.
 */
class OpInfoRandomShapesProperties {

  @Provide
  Arbitrary<OpInfo> unaryRows() {
    return Arbitraries.of(differentiableRowsOf(Op.Unary.class));
  }

  @Provide
  Arbitrary<OpInfo> binaryRows() {
    return Arbitraries.of(differentiableRowsOf(Op.Binary.class));
  }

  @Provide
  Arbitrary<Shape> shapes() {
    return AdjointArbitraries.shapes(3, 3);
  }

  @Provide
  Arbitrary<ShapePair> shapePairs() {
    return AdjointArbitraries.broadcastableShapePairs(3, 3);
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST, shrinking = ShrinkingMode.FULL)
  void unaryRowsHoldOnRandomShapes(@ForAll("unaryRows") OpInfo row, @ForAll("shapes") Shape shape, @ForAll long seed) {
    check(OpCase.of(row, List.of(real(shape)), DType.F64), seed);
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST, shrinking = ShrinkingMode.FULL)
  void binaryRowsHoldOnBroadcastingShapes(
      @ForAll("binaryRows") OpInfo row, @ForAll("shapePairs") ShapePair shapes, @ForAll long seed) {
    check(OpCase.of(row, List.of(real(shapes.left()), real(shapes.right())), DType.F64), seed);
  }

  private static void check(OpCase c, long seed) {
    Map<String, NDArray> feeds = c.feeds(new Random(seed), 1);
    NDArray actual = ReferenceInterpreter.run(c.graph(), feeds).getFirst();
    NDArray expected = c.row().reference().expected(c.operandValues(feeds), c.subject());
    assertEquals(expected.shape(), actual.shape(), c::toString);
    for (int i = 0; i < actual.size(); i++) {
      int element = i;
      assertTrue(OpInfoForwardTest.close(actual.get(i), expected.get(i), 1e-12),
          () -> c + ": element " + element + " is " + actual.get(element) + ", expected " + expected.get(element));
    }
    GradientCheck.Result result =
        GradientCheck.check(c.graph(), 0, feeds, c.differentiableOperands(), OpInfoGradientTest.OPTIONS);
    assertTrue(result.passed(), () -> c + ": " + result.summary());
  }

  private static TensorType real(Shape shape) {
    return new TensorType(DType.F64, shape);
  }

  private static List<OpInfo> differentiableRowsOf(Class<? extends Op> kind) {
    return OpInfos.all().stream()
        .filter(row -> row.gradient() == OpInfo.GradientKind.FINITE_DIFFERENCES)
        .filter(row -> kind.isInstance(OpCase.of(row, row.samples().getFirst(), DType.F64).subject().op()))
        .toList();
  }
}
