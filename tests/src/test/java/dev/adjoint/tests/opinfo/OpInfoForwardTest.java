package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Every row on every sample: the reference interpreter against the row's independent reference
 * implementation, within 1e-12 in f64 and 1e-5 in f32 (relative; values below 1 in magnitude are
 * compared absolutely), on a few random feeds with N = 1, 2 and 3.
 */
class OpInfoForwardTest {
  private static final int FEEDS_PER_SAMPLE = 3;

  @TestFactory
  Stream<DynamicNode> interpreterMatchesTheReferenceImplementation() {
    return OpInfos.all().stream().map(row -> dynamicContainer(row.name(),
        Stream.of(DType.F64, DType.F32).flatMap(real -> OpCase.all(row, real).stream())
            .map(c -> dynamicTest(c + " in " + c.real(), () -> check(c)))));
  }

  private static void check(OpCase c) {
    double tolerance = c.real() == DType.F64 ? 1e-12 : 1e-5;
    for (int k = 0; k < FEEDS_PER_SAMPLE; k++) {
      long seed = c.toString().hashCode() * 31L + k;
      int batch = 1 + k;
      Map<String, NDArray> feeds = c.feeds(new Random(seed), batch);
      NDArray actual = ReferenceInterpreter.run(c.graph(), feeds).getFirst();
      NDArray expected = c.row().reference().expected(c.operandValues(feeds), c.subject());
      String context = c + " in " + c.real() + " (seed " + seed + ", N = " + batch + ", feeds " + feeds + ")";
      assertEquals(c.subject().dtype(), actual.dtype(), () -> context + ": dtype of the value");
      assertEquals(c.subject().shape().resolve(batch), actual.shape(),
          () -> context + ": the value's shape is not the node's type");
      assertEquals(expected.shape(), actual.shape(), () -> context + ": shape differs from the reference implementation");
      for (int i = 0; i < actual.size(); i++) {
        if (!close(actual.get(i), expected.get(i), tolerance)) {
          fail(context + ": element " + i + " is " + actual.get(i) + ", the reference implementation gives "
              + expected.get(i) + " (tolerance " + tolerance + ")");
        }
      }
    }
  }

  /** Equal within {@code tolerance·max(1, |expected|)}; NaNs and infinities must match exactly. */
  static boolean close(double actual, double expected, double tolerance) {
    if (Double.isNaN(expected) || Double.isInfinite(expected)) {
      return Double.compare(actual, expected) == 0;
    }
    return Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));
  }
}
