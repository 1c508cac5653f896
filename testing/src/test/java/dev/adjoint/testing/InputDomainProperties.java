package dev.adjoint.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.commons.math3.distribution.UniformRealDistribution;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;

class InputDomainProperties {

  @Provide
  Arbitrary<TensorType> types() {
    return AdjointArbitraries.shapes(3, 6).map(s -> new TensorType(DType.F64, s));
  }

  private static double[] sample(InputDomain domain, TensorType type, long seed) {
    NDArray value = domain.sample(type, new Random(seed));
    assertEquals(type, value.type());
    return value.toDoubleArray();
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void rangeDomainsStayInTheirRanges(@ForAll("types") TensorType type, @ForAll long seed) {
    for (double v : sample(InputDomain.REAL, type, seed)) {
      assertTrue(v >= -2 && v <= 2, () -> "REAL " + v);
    }
    for (double v : sample(InputDomain.POSITIVE, type, seed)) {
      assertTrue(v >= 0.1 && v <= 2, () -> "POSITIVE " + v);
    }
    for (double v : sample(InputDomain.AWAY_FROM_ZERO, type, seed)) {
      assertTrue(Math.abs(v) >= 0.1 && Math.abs(v) <= 2, () -> "AWAY_FROM_ZERO " + v);
    }
    for (double v : sample(InputDomain.UNIT_INTERVAL, type, seed)) {
      assertTrue(v >= 0.05 && v <= 0.95, () -> "UNIT_INTERVAL " + v);
    }
  }

  @Property(tries = 200, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void distinctValuesAreMoreThanTheGapApart(@ForAll("types") TensorType type, @ForAll long seed) {
    double[] v = sample(InputDomain.DISTINCT, type, seed);
    Arrays.sort(v);
    for (int i = 1; i < v.length; i++) {
      assertTrue(v[i] - v[i - 1] > 0.05, "neighbours " + v[i - 1] + " and " + v[i]);
    }
    if (v.length <= 40) {
      assertTrue(v.length == 0 || (v[0] >= -2 && v[v.length - 1] <= 2), () -> Arrays.toString(v));
    }
  }

  @Property(tries = 100, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void integerLabelsAreBelowTheBound(@ForAll("types") TensorType type, @ForAll long seed) {
    TensorType labels = type.withDType(DType.I32);
    for (double v : sample(InputDomain.integers(5), labels, seed)) {
      assertTrue(v == Math.rint(v) && v >= 0 && v < 5, () -> "label " + v);
    }
  }

  @Example
  void realIsUniformOverItsRange() {
    double[] v = sample(InputDomain.REAL, TensorType.of(DType.F64, 2000), 3);
    double p = new KolmogorovSmirnovTest().kolmogorovSmirnovTest(new UniformRealDistribution(-2, 2), v);

    assertTrue(p > 1e-3, "Kolmogorov-Smirnov p-value " + p);
  }

  @Example
  void awayFromZeroDrawsBothSignsAndBooleanBothValues() {
    double[] signs = sample(InputDomain.AWAY_FROM_ZERO, TensorType.of(DType.F64, 200), 4);
    double[] bits = sample(InputDomain.BOOLEAN, TensorType.of(DType.BOOL, 200), 5);

    assertTrue(Arrays.stream(signs).anyMatch(x -> x < 0) && Arrays.stream(signs).anyMatch(x -> x > 0));
    assertTrue(Arrays.stream(bits).allMatch(x -> x == 0 || x == 1));
    assertTrue(Arrays.stream(bits).anyMatch(x -> x == 0) && Arrays.stream(bits).anyMatch(x -> x == 1));
  }

  @Example
  void customAndDependentSamplers() {
    InputDomain constant = InputDomain.custom("sevens", (type, rng) -> NDArray.filled(type.dtype(), type.shape(), 7));
    NDArray base = NDArray.of(DType.F64, Shape.of(3), 1, 2, 3);
    InputDomain shifted = InputDomain.dependent(
        "base+10", (type, rng, earlier) -> NDArray.generate(type.dtype(), type.shape(), i -> earlier.get("base").get(i) + 10));

    assertEquals(NDArray.filled(DType.F64, Shape.of(2), 7), constant.sample(TensorType.of(DType.F64, 2), new Random(0)));
    assertEquals(NDArray.of(DType.F64, Shape.of(3), 11, 12, 13),
        shifted.sample(TensorType.of(DType.F64, 3), new Random(0), Map.of("base", base)));
    assertEquals("sevens", constant.toString());
  }

  @Example
  void mismatchedDomainsAreClearErrors() {
    Random rng = new Random(0);
    assertMessage("integers", () -> InputDomain.REAL.sample(TensorType.of(DType.I64, 2), rng));
    assertMessage("integer labels", () -> InputDomain.integers(3).sample(TensorType.of(DType.F64, 2), rng));
    assertMessage("symbolic batch", () -> InputDomain.REAL.sample(new TensorType(DType.F64, Shape.batched(2)), rng));
    InputDomain wrongShape = InputDomain.custom("scalar", (type, r) -> NDArray.scalar(DType.F64, 0));
    assertMessage("sampled f64[]", () -> wrongShape.sample(TensorType.of(DType.F64, 2), rng));
    assertMessage("positive lower bound", () -> InputDomain.awayFromZero(0, 1));
    assertMessage("sampling range", () -> InputDomain.uniform(1, 0));
  }

  private static void assertMessage(String fragment, Runnable action) {
    AdjointException e = assertThrows(AdjointException.class, action::run);
    assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
  }
}
