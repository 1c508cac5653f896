package dev.adjoint.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.Initializer.FanMode;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;

class InitializerProperties {

  @Property(tries = 200, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void orthogonalWeightsHaveOrthonormalRowsOrColumns(
      @ForAll("weightShapes") Shape shape,
      @ForAll @DoubleRange(min = 0.01, max = 10) double gain,
      @ForAll long seed,
      @ForAll long key) {
    RealMatrix w = InitializerTest.matrix(new Initializer.Orthogonal(gain).sample(new TensorType(DType.F64, shape), seed, key));
    boolean wide = w.getRowDimension() < w.getColumnDimension();
    RealMatrix gram = (wide ? w.multiply(w.transpose()) : w.transpose().multiply(w)).scalarMultiply(1 / (gain * gain));
    double error = gram.subtract(MatrixUtils.createRealIdentityMatrix(gram.getRowDimension())).getNorm();
    assertTrue(error < 1e-10, shape + ", gain " + gain + ": |gram − I| = " + error);
  }

  @Property(tries = 300, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void samplesArePureFunctionsAndF32IsTheRoundedF64(
      @ForAll("initializers") Initializer init, @ForAll("weightShapes") Shape shape, @ForAll long seed, @ForAll long key) {
    NDArray f64 = init.sample(new TensorType(DType.F64, shape), seed, key);
    assertEquals(f64, init.sample(new TensorType(DType.F64, shape), seed, key));
    NDArray f32 = init.sample(new TensorType(DType.F32, shape), seed, key);
    for (int i = 0; i < f64.size(); i++) {
      assertEquals((float) f64.get(i), f32.get(i), "element " + i);
    }
  }

  @Property(tries = 300, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void uniformStaysInItsInterval(
      @ForAll @DoubleRange(min = -10, max = 10) double low,
      @ForAll @DoubleRange(min = 1e-6, max = 10) @Scale(8) double width,
      @ForAll("weightShapes") Shape shape,
      @ForAll long seed) {
    double high = low + width;
    for (double v : new Initializer.Uniform(low, high).sample(new TensorType(DType.F64, shape), seed, 1).toDoubleArray()) {
      assertTrue(v >= low && v <= high, v + " outside [" + low + ", " + high + "]");
    }
  }

  /** Intervals from 6 std below the mean to 3 std above it, down to a thousandth of a std wide. */
  @Property(tries = 300, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void truncatedNormalStaysInItsInterval(
      @ForAll @DoubleRange(min = -10, max = 10) double mean,
      @ForAll @DoubleRange(min = 0.01, max = 5) double std,
      @ForAll @DoubleRange(min = -6, max = 3) double lowInStd,
      @ForAll @DoubleRange(min = 1e-3, max = 6) @Scale(5) double widthInStd,
      @ForAll("weightShapes") Shape shape,
      @ForAll long seed) {
    double low = mean + lowInStd * std;
    double high = low + widthInStd * std;
    Initializer init = new Initializer.TruncatedNormal(mean, std, low, high);
    for (double v : init.sample(new TensorType(DType.F64, shape), seed, 2).toDoubleArray()) {
      assertTrue(v >= low && v <= high, v + " outside [" + low + ", " + high + "]");
    }
  }

  /** The uniform variance-scaling bounds, with fans computed here from the layout: [in, out] or [out, in, k...]. */
  @Property(tries = 200, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void varianceScalingUniformsStayWithinTheirBound(
      @ForAll("weightShapes") Shape shape, @ForAll @DoubleRange(min = 0.1, max = 3) double gain, @ForAll long seed) {
    int[] d = shape.dims();
    long kernelArea = 1;
    for (int i = 2; i < d.length; i++) {
      kernelArea *= d[i];
    }
    long fanIn = d.length == 2 ? d[0] : d[1] * kernelArea;
    long fanOut = d.length == 2 ? d[1] : d[0] * kernelArea;
    TensorType type = new TensorType(DType.F64, shape);
    assertWithin(new Initializer.XavierUniform(gain).sample(type, seed, 1), gain * Math.sqrt(6.0 / (fanIn + fanOut)));
    assertWithin(new Initializer.HeUniform(gain, FanMode.FAN_IN).sample(type, seed, 2), gain * Math.sqrt(3.0 / fanIn));
    assertWithin(new Initializer.HeUniform(gain, FanMode.FAN_OUT).sample(type, seed, 3), gain * Math.sqrt(3.0 / fanOut));
  }

  private static void assertWithin(NDArray value, double bound) {
    for (double v : value.toDoubleArray()) {
      assertTrue(Math.abs(v) <= bound, v + " outside ±" + bound);
    }
  }

  /** Dense [in, out] and conv [out, in, k...] weights, dims 1 to 6. */
  @Provide
  Arbitrary<Shape> weightShapes(@ForAll @IntRange(min = 2, max = 4) int rank) {
    return Arbitraries.integers().between(1, 6).list().ofSize(rank).map(Shape::of);
  }

  @Provide
  Arbitrary<Initializer> initializers() {
    Arbitrary<Double> real = Arbitraries.doubles().between(-5, 5);
    Arbitrary<Double> positive = Arbitraries.doubles().between(0.01, 5);
    Arbitrary<FanMode> mode = Arbitraries.of(FanMode.class);
    List<Arbitrary<? extends Initializer>> kinds = new ArrayList<>();
    kinds.add(real.map(Initializer.Constant::new));
    kinds.add(Combinators.combine(real, positive).as((low, width) -> new Initializer.Uniform(low, low + width)));
    kinds.add(Combinators.combine(real, positive).as(Initializer.Normal::new));
    kinds.add(Combinators.combine(real, positive, positive, positive)
        .as((mean, std, below, above) -> new Initializer.TruncatedNormal(mean, std, mean - below, mean + above)));
    kinds.add(positive.map(Initializer.XavierUniform::new));
    kinds.add(positive.map(Initializer.XavierNormal::new));
    kinds.add(Combinators.combine(positive, mode).as(Initializer.HeUniform::new));
    kinds.add(Combinators.combine(positive, mode).as(Initializer.HeNormal::new));
    kinds.add(positive.map(Initializer.Orthogonal::new));
    return Arbitraries.oneOf(kinds);
  }
}
