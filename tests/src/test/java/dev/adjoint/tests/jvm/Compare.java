package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.jvm.Execution;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.List;
import java.util.function.Supplier;

/** Comparison of compiled results with the reference interpreter's. */
final class Compare {
  /** The tolerances: relative, absolute below magnitude 1. */
  static final double F64_TOLERANCE = 1e-10;
  static final double F32_TOLERANCE = 2e-3;

  private Compare() {}

  static double tolerance(DType dtype) {
    return dtype == DType.F32 ? F32_TOLERANCE : F64_TOLERANCE;
  }

  /** Equal within {@code tolerance·max(1, |expected|)}; NaNs and infinities must match exactly. */
  static boolean close(double actual, double expected, double tolerance) {
    if (Double.isNaN(expected) || Double.isInfinite(expected)) {
      return Double.compare(actual, expected) == 0;
    }
    return Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));
  }

  /** A compiled execution matches the interpreter's: its outputs and its updated state. */
  static void assertSameExecution(ReferenceInterpreter.Execution expected, Execution actual, Supplier<String> context) {
    assertClose(expected.outputs(), actual.outputs(), context);
    assertEquals(expected.updatedState().keySet(), actual.updatedState().keySet(), context);
    assertClose(List.copyOf(expected.updatedState().values()), List.copyOf(actual.updatedState().values()), context);
  }

  /** Every value of {@code actual} matches {@code expected}: same types, elements within the dtype's tolerance. */
  static void assertClose(List<NDArray> expected, List<NDArray> actual, Supplier<String> context) {
    assertEquals(expected.size(), actual.size(), () -> context.get() + ": number of values");
    for (int v = 0; v < expected.size(); v++) {
      NDArray e = expected.get(v);
      NDArray a = actual.get(v);
      int value = v;
      assertEquals(e.type(), a.type(), () -> context.get() + ": type of value " + value);
      double tolerance = tolerance(e.dtype());
      for (int i = 0; i < e.size(); i++) {
        if (!close(a.get(i), e.get(i), tolerance)) {
          fail(context.get() + ": value " + v + " element " + i + " is " + a.get(i) + ", the interpreter gives "
              + e.get(i) + " (tolerance " + tolerance + ")");
        }
      }
    }
  }
}
