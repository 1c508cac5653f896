package dev.adjoint.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.Initializer.FanMode;
import dev.adjoint.ir.Initializer.Nonlinearity;
import dev.adjoint.runtime.Philox;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.math3.analysis.integration.SimpsonIntegrator;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.stat.descriptive.moment.Mean;
import org.apache.commons.math3.stat.descriptive.moment.Variance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class InitializerTest {
  /**
   * How many standard errors a sample moment may stray from the true one. The samples are seeded,
   * so the tests are deterministic; 5 standard errors would fail a correct sampler with probability
   * below 1e-6 per check, while a wrong scale (a missing kernel area, a swapped fan) is off by far more.
   */
  private static final double STANDARD_ERRORS = 5;

  /** Dense weight [in, out]: fan_in 400, fan_out 300. */
  private static final Shape DENSE = Shape.of(400, 300);

  /** Conv weight [out, in, kh, kw]: fan_in = 32·5·5 = 800, fan_out = 64·5·5 = 1600. */
  private static final Shape CONV = Shape.of(64, 32, 5, 5);

  /** Mean, variance and fourth central moment of a distribution, computed from its definition. */
  record Moments(double mean, double variance, double fourthCentral) {
    static Moments uniform(double low, double high) {
      double width = high - low;
      return new Moments((low + high) / 2, width * width / 12, Math.pow(width, 4) / 80);
    }

    /** The uniform distribution centred on 0 with the given variance: bound √(3·variance). */
    static Moments symmetricUniform(double variance) {
      double bound = Math.sqrt(3 * variance);
      return uniform(-bound, bound);
    }

    static Moments normal(double mean, double variance) {
      return new Moments(mean, variance, 3 * variance * variance);
    }

    /** Closed forms for mean and variance; the fourth moment (only used for the error bound) by quadrature. */
    static Moments truncatedNormal(double mean, double std, double low, double high) {
      NormalDistribution standard = new NormalDistribution(0, 1);
      double alpha = (low - mean) / std;
      double beta = (high - mean) / std;
      double mass = alpha > 0 // an upper-tail interval's mass from the lower tail, without cancellation
          ? standard.cumulativeProbability(-alpha) - standard.cumulativeProbability(-beta)
          : standard.cumulativeProbability(beta) - standard.cumulativeProbability(alpha);
      double pdfAlpha = Double.isInfinite(alpha) ? 0 : standard.density(alpha);
      double pdfBeta = Double.isInfinite(beta) ? 0 : standard.density(beta);
      double shift = (pdfAlpha - pdfBeta) / mass;
      double alphaTerm = Double.isInfinite(alpha) ? 0 : alpha * pdfAlpha;
      double betaTerm = Double.isInfinite(beta) ? 0 : beta * pdfBeta;
      double m = mean + std * shift;
      double variance = std * std * (1 + (alphaTerm - betaTerm) / mass - shift * shift);
      double from = Math.max(alpha, -12);
      double to = Math.min(beta, 12);
      double fourth = new SimpsonIntegrator()
          .integrate(1_000_000, z -> Math.pow(mean + std * z - m, 4) * standard.density(z) / mass, from, to);
      return new Moments(m, variance, fourth);
    }
  }

  record Case(String label, Initializer init, Shape shape, Moments expected) {
    @Override
    public String toString() {
      return label;
    }
  }

  static Stream<Case> distributions() {
    double dense = 400 + 300;
    double conv = 800 + 1600;
    double leaky = 2 / (1 + 0.2 * 0.2); // gain² of leaky relu with slope 0.2
    return Stream.of(
        new Case("uniform", new Initializer.Uniform(-0.3, 0.7), DENSE, Moments.uniform(-0.3, 0.7)),
        new Case("normal", new Initializer.Normal(1.5, 0.25), CONV, Moments.normal(1.5, 0.0625)),
        new Case("xavier uniform dense", new Initializer.XavierUniform(2), DENSE,
            Moments.symmetricUniform(4 * 2 / dense)),
        new Case("xavier uniform conv", Initializer.xavierUniform(), CONV, Moments.symmetricUniform(2 / conv)),
        new Case("xavier normal dense", Initializer.xavierNormal(), DENSE, Moments.normal(0, 2 / dense)),
        new Case("xavier normal conv", new Initializer.XavierNormal(5.0 / 3), CONV,
            Moments.normal(0, 25.0 / 9 * 2 / conv)),
        new Case("he uniform fan_in dense", Initializer.heUniform(), DENSE, Moments.symmetricUniform(2.0 / 400)),
        new Case("he uniform fan_out conv", new Initializer.HeUniform(3, FanMode.FAN_OUT), CONV,
            Moments.symmetricUniform(9.0 / 1600)),
        new Case("he normal fan_in conv", Initializer.heNormal(), CONV, Moments.normal(0, 2.0 / 800)),
        new Case("he normal fan_out dense, leaky relu",
            new Initializer.HeNormal(Initializer.gain(Nonlinearity.LEAKY_RELU, 0.2), FanMode.FAN_OUT), DENSE,
            Moments.normal(0, leaky / 300)),
        new Case("lecun uniform dense", Initializer.lecunUniform(), DENSE, Moments.symmetricUniform(1.0 / 400)),
        new Case("lecun uniform conv", Initializer.lecunUniform(), CONV, Moments.symmetricUniform(1.0 / 800)),
        new Case("lecun normal dense", Initializer.lecunNormal(), DENSE, Moments.normal(0, 1.0 / 400)),
        new Case("lecun normal conv", Initializer.lecunNormal(), CONV, Moments.normal(0, 1.0 / 800)),
        new Case("truncated normal ±2 std", new Initializer.TruncatedNormal(0.5, 2, -3.5, 4.5), DENSE,
            Moments.truncatedNormal(0.5, 2, -3.5, 4.5)),
        new Case("truncated normal, one-sided", new Initializer.TruncatedNormal(0, 1, 0.5, Double.POSITIVE_INFINITY),
            CONV, Moments.truncatedNormal(0, 1, 0.5, Double.POSITIVE_INFINITY)),
        new Case("truncated normal, lower tail", new Initializer.TruncatedNormal(0, 1, -6, -3), DENSE,
            Moments.truncatedNormal(0, 1, -6, -3)),
        new Case("truncated normal, far lower tail", new Initializer.TruncatedNormal(0, 1, -9, -7.5), CONV,
            Moments.truncatedNormal(0, 1, -9, -7.5)),
        new Case("truncated normal, far upper tail", new Initializer.TruncatedNormal(1, 0.5, 5, 6), DENSE,
            Moments.truncatedNormal(1, 0.5, 5, 6)));
  }

  @ParameterizedTest
  @MethodSource("distributions")
  void sampleMeanAndVarianceMatchTheFormulas(Case c) {
    double[] x = c.init().sample(new TensorType(DType.F64, c.shape()), 11, 3).toDoubleArray();
    int n = x.length;
    Moments m = c.expected();
    double meanError = Math.sqrt(m.variance() / n);
    // Var(s²) = (μ4 − σ⁴·(n−3)/(n−1))/n for any distribution with a fourth moment.
    double varianceError = Math.sqrt((m.fourthCentral() - m.variance() * m.variance() * (n - 3) / (n - 1)) / n);
    double mean = new Mean().evaluate(x);
    double variance = new Variance().evaluate(x);
    assertTrue(Math.abs(mean - m.mean()) <= STANDARD_ERRORS * meanError,
        c + ": mean " + mean + ", expected " + m.mean() + " ± " + STANDARD_ERRORS * meanError);
    assertTrue(Math.abs(variance - m.variance()) <= STANDARD_ERRORS * varianceError,
        c + ": variance " + variance + ", expected " + m.variance() + " ± " + STANDARD_ERRORS * varianceError);
  }

  /**
   * Element i is the inverse CDF at the centre of Philox draw i's 24-bit cell, mapped into [Φ(α), Φ(β)];
   * an interval above the mean is drawn mirrored. Φ and Φ⁻¹ here are commons-math's.
   */
  @ParameterizedTest
  @CsvSource({"0.5, 2, -3.5, 9", "0, 1, 1, 4", "-1, 0.5, -4, -1.5", "3, 1, -Infinity, 3"})
  void truncatedNormalIsTheInverseCdfOfItsPhiloxDraws(double mean, double std, double low, double high) {
    NDArray x = new Initializer.TruncatedNormal(mean, std, low, high).sample(TensorType.of(DType.F64, 50, 40), 5, 8);
    NormalDistribution standard = new NormalDistribution(0, 1);
    double alpha = (low - mean) / std;
    double beta = (high - mean) / std;
    boolean mirrored = alpha > 0;
    double lowCdf = standard.cumulativeProbability(mirrored ? -beta : alpha);
    double highCdf = standard.cumulativeProbability(mirrored ? -alpha : beta);
    for (int i = 0; i < x.size(); i++) {
      double u = Philox.uniform(5, 0, 8, i) + 0x1.0p-25;
      double z = standard.inverseCumulativeProbability(lowCdf + u * (highCdf - lowCdf));
      assertEquals(mean + std * (mirrored ? -z : z), x.get(i), 1e-8 * std, "element " + i);
      assertTrue(x.get(i) >= low && x.get(i) <= high, "element " + i + " = " + x.get(i));
    }
  }

  /**
   * Far in a tail, where commons-math's Φ⁻¹ loses precision, its Φ (by erfc) still has full relative
   * precision: Φ of each standardized element must give back the probability it was drawn at.
   */
  @ParameterizedTest
  @CsvSource({"-9, -7.5", "-30, -20", "20, 30"})
  void farTailDrawsInvertTheCdf(double low, double high) {
    NDArray x = new Initializer.TruncatedNormal(0, 1, low, high).sample(TensorType.of(DType.F64, 30, 30), 2, 4);
    NormalDistribution standard = new NormalDistribution(0, 1);
    boolean mirrored = low > 0;
    double lowCdf = standard.cumulativeProbability(mirrored ? -high : low);
    double highCdf = standard.cumulativeProbability(mirrored ? -low : high);
    for (int i = 0; i < x.size(); i++) {
      double p = lowCdf + (Philox.uniform(2, 0, 4, i) + 0x1.0p-25) * (highCdf - lowCdf);
      double z = mirrored ? -x.get(i) : x.get(i);
      assertEquals(1, standard.cumulativeProbability(z) / p, 1e-9, "element " + i + " = " + x.get(i));
    }
  }

  // ---- orthogonal ----

  /** Tall, square and wide matrices, and conv weights viewed as [out, in·kh·kw] (wide and tall). */
  static Stream<Shape> orthogonalShapes() {
    return Stream.of(Shape.of(50, 20), Shape.of(30, 30), Shape.of(20, 50), Shape.of(8, 3, 3, 3), Shape.of(64, 2, 2, 2));
  }

  @ParameterizedTest
  @MethodSource("orthogonalShapes")
  void orthogonalHasOrthonormalColumnsOrRowsScaledByGain(Shape shape) {
    double gain = 1.7;
    RealMatrix w = matrix(new Initializer.Orthogonal(gain).sample(new TensorType(DType.F64, shape), 3, 4));
    boolean wide = w.getRowDimension() < w.getColumnDimension();
    RealMatrix gram = (wide ? w.multiply(w.transpose()) : w.transpose().multiply(w)).scalarMultiply(1 / (gain * gain));
    RealMatrix identity = MatrixUtils.createRealIdentityMatrix(gram.getRowDimension());
    assertTrue(gram.subtract(identity).getNorm() < 1e-10, shape + ": |WᵀW/gain² − I| = " + gram.subtract(identity).getNorm());
  }

  /** Cross-check with commons-math's QR of the same normal matrix, with PyTorch's sign correction by diag(R). */
  @ParameterizedTest
  @MethodSource("orthogonalShapes")
  void orthogonalIsTheSignCorrectedQOfANormalMatrix(Shape shape) {
    TensorType type = new TensorType(DType.F64, shape);
    RealMatrix normal = matrix(new Initializer.Normal(0, 1).sample(type, 9, 2));
    boolean wide = normal.getRowDimension() < normal.getColumnDimension();
    RealMatrix tall = wide ? normal.transpose() : normal;
    QRDecomposition qr = new QRDecomposition(tall);
    int n = tall.getColumnDimension();
    RealMatrix q = qr.getQ().getSubMatrix(0, tall.getRowDimension() - 1, 0, n - 1);
    for (int j = 0; j < n; j++) {
      if (qr.getR().getEntry(j, j) < 0) {
        q.setColumnVector(j, q.getColumnVector(j).mapMultiply(-1));
      }
    }
    RealMatrix expected = (wide ? q.transpose() : q).scalarMultiply(0.5);
    RealMatrix actual = matrix(new Initializer.Orthogonal(0.5).sample(type, 9, 2));
    assertTrue(actual.subtract(expected).getNorm() < 1e-10, shape + ": differs by " + actual.subtract(expected).getNorm());
  }

  @Test
  void orthogonalGainScalesTheSameMatrix() {
    TensorType type = TensorType.of(DType.F64, 12, 7);
    NDArray unit = new Initializer.Orthogonal(1).sample(type, 1, 1);
    NDArray scaled = new Initializer.Orthogonal(Math.sqrt(2)).sample(type, 1, 1);
    for (int i = 0; i < unit.size(); i++) {
      assertEquals(Math.sqrt(2) * unit.get(i), scaled.get(i), 1e-15, "element " + i);
    }
  }

  @Test
  void orthogonalOfAnEmptyWeightIsEmpty() {
    assertEquals(0, Initializer.orthogonal().sample(TensorType.of(DType.F32, 0, 3), 1, 1).size());
  }

  // ---- determinism and dtypes ----

  static List<Initializer> everyInitializer() {
    return List.of(
        new Initializer.Constant(0.1),
        new Initializer.Uniform(-2, 3),
        new Initializer.Normal(1, 2),
        new Initializer.TruncatedNormal(0, 1, -2, 2),
        Initializer.xavierUniform(),
        Initializer.xavierNormal(),
        Initializer.heUniform(),
        Initializer.heNormal(),
        new Initializer.HeNormal(1, FanMode.FAN_OUT),
        Initializer.orthogonal());
  }

  @ParameterizedTest
  @MethodSource("everyInitializer")
  void sameSeedAndKeyReproduceAndOtherKeysOrSeedsDiffer(Initializer init) {
    TensorType type = TensorType.of(DType.F64, 6, 2, 3, 3);
    NDArray first = init.sample(type, 42, 7);
    assertEquals(first, init.sample(type, 42, 7));
    if (!(init instanceof Initializer.Constant)) {
      assertNotEquals(first, init.sample(type, 42, 8), "another key");
      assertNotEquals(first, init.sample(type, 43, 7), "another seed");
    }
  }

  @ParameterizedTest
  @MethodSource("everyInitializer")
  void f32SamplesAreTheF64SamplesRoundedToFloat(Initializer init) {
    Shape shape = Shape.of(10, 4, 3);
    NDArray f64 = init.sample(new TensorType(DType.F64, shape), 5, 6);
    NDArray f32 = init.sample(new TensorType(DType.F32, shape), 5, 6);
    assertEquals(DType.F32, f32.dtype());
    for (int i = 0; i < f64.size(); i++) {
      assertEquals((float) f64.get(i), f32.get(i), "element " + i);
    }
  }

  @Test
  void constantZerosAndOnesAreExact() {
    TensorType type = TensorType.of(DType.F64, 3, 4);
    assertArrayEquals(new double[12], Initializer.zeros().sample(type, 1, 2).toDoubleArray());
    double[] ones = new double[12];
    Arrays.fill(ones, 1);
    assertArrayEquals(ones, Initializer.ones().sample(type, 1, 2).toDoubleArray());
    assertEquals(NDArray.filled(DType.F32, Shape.of(2), (float) -2.5e-3),
        new Initializer.Constant(-2.5e-3).sample(TensorType.of(DType.F32, 2), 9, 9));
    assertEquals(-0.0, new Initializer.Constant(-0.0).sample(TensorType.of(DType.F64), 0, 0).item());
  }

  // ---- fans and gains ----

  @Test
  void fansOfDenseConvVectorAndScalarShapes() {
    assertEquals(new Initializer.Fans(400, 300), Initializer.fans(DENSE));
    assertEquals(new Initializer.Fans(32 * 5 * 5, 64 * 5 * 5), Initializer.fans(CONV));
    assertEquals(new Initializer.Fans(3 * 7, 16 * 7), Initializer.fans(Shape.of(16, 3, 7)));
    assertEquals(new Initializer.Fans(5, 5), Initializer.fans(Shape.of(5)));
    assertEquals(new Initializer.Fans(1, 1), Initializer.fans(Shape.scalar()));
  }

  /** The values PyTorch documents for {@code torch.nn.init.calculate_gain}. */
  @Test
  void gainsFollowPytorchCalculateGain() {
    assertEquals(1, Initializer.gain(Nonlinearity.LINEAR));
    assertEquals(1, Initializer.gain(Nonlinearity.SIGMOID));
    assertEquals(5.0 / 3, Initializer.gain(Nonlinearity.TANH), 1e-15);
    assertEquals(Math.sqrt(2), Initializer.gain(Nonlinearity.RELU), 1e-15);
    assertEquals(Math.sqrt(2 / (1 + 0.01 * 0.01)), Initializer.gain(Nonlinearity.LEAKY_RELU), 1e-15);
    assertEquals(Math.sqrt(2 / 1.04), Initializer.gain(Nonlinearity.LEAKY_RELU, 0.2), 1e-15);
    assertEquals(0.75, Initializer.gain(Nonlinearity.SELU));
    assertEquals(1, Initializer.gain(Nonlinearity.LEAKY_RELU, 1), 1e-15);
  }

  // ---- errors ----

  @Test
  void invalidArgumentsAreRejectedWithTheInitializerTheTypeAndTheReason() {
    TensorType type = TensorType.of(DType.F32, 4, 3);
    assertMessage(new Initializer.Normal(0, -1), type, "std must be non-negative", "f32[4,3]");
    assertMessage(new Initializer.Normal(0, Double.NaN), type, "std must be non-negative");
    assertMessage(new Initializer.TruncatedNormal(0, -0.5, -1, 1), type, "std must be non-negative");
    assertMessage(new Initializer.TruncatedNormal(0, 0, -1, 1), type, "std must be positive");
    assertMessage(new Initializer.Uniform(1, -1), type, "low 1.0 is greater than high -1.0", "Uniform[low=1.0");
    assertMessage(new Initializer.Uniform(0, Double.POSITIVE_INFINITY), type, "must be finite");
    assertMessage(new Initializer.TruncatedNormal(0, 1, 2, -2), type, "low must be less than high");
    assertMessage(new Initializer.TruncatedNormal(0, 1, 40, 50), type, "holds no probability");
    for (double gain : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      for (Initializer init : List.of(new Initializer.XavierUniform(gain), new Initializer.XavierNormal(gain),
          new Initializer.HeUniform(gain, FanMode.FAN_IN), new Initializer.HeNormal(gain, FanMode.FAN_OUT),
          new Initializer.Orthogonal(gain))) {
        assertMessage(init, type, "gain must be positive and finite, got " + gain);
      }
    }
    assertThrows(AdjointException.class, () -> Initializer.gain(Nonlinearity.LEAKY_RELU, Double.NaN));
  }

  @Test
  void aFanOfZeroIsRejected() {
    assertMessage(Initializer.xavierUniform(), TensorType.of(DType.F64, 0, 4), "fan_in is 0 and fan_out 4");
    assertMessage(Initializer.xavierNormal(), TensorType.of(DType.F64, 4, 0), "fan_in is 4 and fan_out 0");
    assertMessage(Initializer.heNormal(), TensorType.of(DType.F64, 0, 4), "fan_in is 0");
    assertMessage(new Initializer.HeUniform(1, FanMode.FAN_OUT), TensorType.of(DType.F64, 0, 3, 3, 3), "fan_out is 0");
    // The fan a He initializer does not use may be 0: the weight is just empty.
    assertEquals(0, new Initializer.HeUniform(1, FanMode.FAN_IN).sample(TensorType.of(DType.F64, 0, 3, 3, 3), 0, 0).size());
  }

  @Test
  void orthogonalNeedsAMatrixAndEverySampleAConcreteShape() {
    assertMessage(Initializer.orthogonal(), TensorType.of(DType.F64, 5), "rank 2 or more");
    assertMessage(Initializer.zeros(), new TensorType(DType.F32, Shape.batched(3)), "symbolic batch", "f32[N,3]");
  }

  private static void assertMessage(Initializer init, TensorType type, String... parts) {
    AdjointException e = assertThrows(AdjointException.class, () -> init.sample(type, 0, 0), init::toString);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), e.getMessage());
    }
  }

  /** A sample viewed as the matrix [dim 0, product of the other dims]. */
  static RealMatrix matrix(NDArray value) {
    int rows = value.shape().dim(0);
    int cols = value.size() / rows;
    RealMatrix m = MatrixUtils.createRealMatrix(rows, cols);
    for (int i = 0; i < value.size(); i++) {
      m.setEntry(i / cols, i % cols, value.get(i));
    }
    return m;
  }
}
