package dev.adjoint.tests.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.train.Clipping;
import dev.adjoint.train.Optimizer;
import dev.adjoint.train.Schedule;
import dev.adjoint.train.TrainingStep;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every optimizer's training step, run by the reference interpreter for several steps, against
 * the same updates computed independently here in plain double arithmetic (PyTorch's formulas).
 * The model is {@code loss = ½·Σ (w ⊙ x − y)²}, whose gradient {@code (w ⊙ x − y) ⊙ x} the test
 * computes by hand.
 */
class OptimizerTest {
  private static final double[] X = {0.5, -1.5, 2.0, 1.0};
  private static final double[] Y = {1.0, 0.25, -0.5, 3.0};
  private static final double[] W0 = {0.3, -0.7, 1.1, 0.0};
  private static final int STEPS = 6;
  private static final Schedule LR = Schedule.stepDecay(0.05, 2, 0.5);

  /** One parameter's state in the independent implementation. */
  private interface Update {
    void apply(double[] w, double[] g, double lr, int t);
  }

  static Stream<Arguments> optimizers() {
    return Stream.of(
        Arguments.of(Optimizer.sgd(), (Update) (w, g, lr, t) -> {
          for (int i = 0; i < w.length; i++) {
            w[i] -= lr * g[i];
          }
        }),
        Arguments.of(new Optimizer.Sgd(0.9, false, 0.01), momentum(0.9, false, 0.01)),
        Arguments.of(new Optimizer.Sgd(0.8, true, 0), momentum(0.8, true, 0)),
        Arguments.of(new Optimizer.Adagrad(1e-10, 0.1, 0.02), adagrad(1e-10, 0.1, 0.02)),
        Arguments.of(new Optimizer.RmsProp(0.9, 1e-8, 0, 0), rmsProp(0.9, 1e-8, 0, 0)),
        Arguments.of(new Optimizer.RmsProp(0.99, 1e-6, 0.5, 0.01), rmsProp(0.99, 1e-6, 0.5, 0.01)),
        Arguments.of(Optimizer.adam(), adam(0.9, 0.999, 1e-8, 0, false)),
        Arguments.of(new Optimizer.Adam(0.8, 0.99, 1e-6, 0.05), adam(0.8, 0.99, 1e-6, 0.05, false)),
        Arguments.of(Optimizer.adamW(0.1), adam(0.9, 0.999, 1e-8, 0.1, true)));
  }

  private static Update momentum(double mu, boolean nesterov, double decay) {
    double[] buf = new double[X.length];
    return (w, g, lr, t) -> {
      for (int i = 0; i < w.length; i++) {
        double d = g[i] + decay * w[i];
        buf[i] = mu * buf[i] + d;
        w[i] -= lr * (nesterov ? d + mu * buf[i] : buf[i]);
      }
    };
  }

  private static Update adagrad(double eps, double initial, double decay) {
    double[] sum = new double[X.length];
    java.util.Arrays.fill(sum, initial);
    return (w, g, lr, t) -> {
      for (int i = 0; i < w.length; i++) {
        double d = g[i] + decay * w[i];
        sum[i] += d * d;
        w[i] -= lr * d / (Math.sqrt(sum[i]) + eps);
      }
    };
  }

  private static Update rmsProp(double alpha, double eps, double mu, double decay) {
    double[] sq = new double[X.length];
    double[] buf = new double[X.length];
    return (w, g, lr, t) -> {
      for (int i = 0; i < w.length; i++) {
        double d = g[i] + decay * w[i];
        sq[i] = alpha * sq[i] + (1 - alpha) * d * d;
        double step = d / (Math.sqrt(sq[i]) + eps);
        if (mu > 0) {
          buf[i] = mu * buf[i] + step;
          step = buf[i];
        }
        w[i] -= lr * step;
      }
    };
  }

  private static Update adam(double b1, double b2, double eps, double decay, boolean decoupled) {
    double[] m = new double[X.length];
    double[] v = new double[X.length];
    return (w, g, lr, t) -> {
      for (int i = 0; i < w.length; i++) {
        double d = g[i];
        if (decoupled) {
          w[i] -= lr * decay * w[i];
        } else {
          d += decay * w[i];
        }
        m[i] = b1 * m[i] + (1 - b1) * d;
        v[i] = b2 * v[i] + (1 - b2) * d * d;
        double mHat = m[i] / (1 - Math.pow(b1, t));
        double vHat = v[i] / (1 - Math.pow(b2, t));
        w[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
      }
    };
  }

  static Graph linearModel(Optimizer optimizer, @Nullable Clipping clipping) {
    GraphBuilder b = new GraphBuilder("linear");
    Tensor x = b.input("x", DType.F64, X.length);
    Tensor y = b.input("y", DType.F64, X.length);
    Tensor w = b.parameter("w", DType.F64, Initializer.zeros(), X.length);
    Tensor loss = w.times(x).minus(y).square().sum().times(0.5).named("loss");
    return TrainingStep.build(b.build(loss), "loss", optimizer, clipping);
  }

  /** Runs the step graph {@code STEPS} times, feeding back parameters and state. */
  static double[][] trajectory(Graph step) {
    Map<String, NDArray> state = new HashMap<>(Weights.initialize(step, 0));
    state.put("w", NDArray.of(DType.F64, new int[] {X.length}, W0));
    double[][] ws = new double[STEPS][];
    for (int s = 0; s < STEPS; s++) {
      Map<String, NDArray> feeds = new HashMap<>(state);
      feeds.put("x", NDArray.of(DType.F64, new int[] {X.length}, X));
      feeds.put("y", NDArray.of(DType.F64, new int[] {X.length}, Y));
      feeds.put(TrainingStep.LEARNING_RATE, NDArray.scalar(DType.F64, LR.learningRate(s)));
      var run = ReferenceInterpreter.execute(step, feeds);
      state.putAll(run.updatedState());
      assertEquals(s + 1, state.get(TrainingStep.STEP).item(), "completed steps");
      ws[s] = state.get("w").toDoubleArray();
    }
    return ws;
  }

  static double[] gradient(double[] w) {
    double[] g = new double[w.length];
    for (int i = 0; i < w.length; i++) {
      g[i] = (w[i] * X[i] - Y[i]) * X[i];
    }
    return g;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void matchesAnIndependentDoubleImplementation(Optimizer optimizer, Update expected) {
    double[][] got = trajectory(linearModel(optimizer, null));
    double[] w = W0.clone();
    for (int s = 0; s < STEPS; s++) {
      expected.apply(w, gradient(w), LR.learningRate(s), s + 1);
      for (int i = 0; i < w.length; i++) {
        assertEquals(w[i], got[s][i], 1e-12 * Math.max(1, Math.abs(w[i])), "step " + (s + 1) + ", w[" + i + "]");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clippings")
  void clippingAppliesBeforeTheUpdate(Clipping clipping, java.util.function.UnaryOperator<double[]> clip) {
    double[][] got = trajectory(linearModel(Optimizer.sgd(), clipping));
    double[] w = W0.clone();
    for (int s = 0; s < STEPS; s++) {
      double[] g = clip.apply(gradient(w));
      for (int i = 0; i < w.length; i++) {
        w[i] -= LR.learningRate(s) * g[i];
        assertEquals(w[i], got[s][i], 1e-12, "step " + (s + 1) + ", w[" + i + "]");
      }
    }
  }

  static Stream<Arguments> clippings() {
    return Stream.of(
        Arguments.of(new Clipping.ByValue(0.3), (java.util.function.UnaryOperator<double[]>) g -> {
          double[] c = g.clone();
          for (int i = 0; i < c.length; i++) {
            c[i] = Math.max(-0.3, Math.min(0.3, c[i]));
          }
          return c;
        }),
        Arguments.of(new Clipping.ByGlobalNorm(0.5), (java.util.function.UnaryOperator<double[]>) g -> {
          double norm = 0;
          for (double v : g) {
            norm += v * v;
          }
          double scale = Math.min(1, 0.5 / (Math.sqrt(norm) + 1e-6));
          double[] c = g.clone();
          for (int i = 0; i < c.length; i++) {
            c[i] *= scale;
          }
          return c;
        }),
        Arguments.of(new Clipping.ByGlobalNorm(1e6), (java.util.function.UnaryOperator<double[]>) g -> g));
  }

  @org.junit.jupiter.api.Test
  void schedulesFollowTheirFormulas() {
    assertEquals(List.of(0.05, 0.05, 0.025, 0.025, 0.0125),
        Stream.of(0L, 1L, 2L, 3L, 4L).map(LR::learningRate).toList());
    Schedule piecewise = Schedule.piecewiseConstant(List.of(10L, 20L), List.of(1.0, 0.1, 0.01));
    assertEquals(List.of(1.0, 1.0, 0.1, 0.1, 0.01), Stream.of(0L, 9L, 10L, 19L, 20L).map(piecewise::learningRate).toList());
    Schedule exponential = Schedule.exponentialDecay(2, 0.5);
    assertEquals(0.25, exponential.learningRate(3), 0);
    Schedule cosine = Schedule.cosine(1, 0.1, 100);
    assertEquals(1, cosine.learningRate(0), 1e-15);
    assertEquals(0.55, cosine.learningRate(50), 1e-15);
    assertEquals(0.1, cosine.learningRate(100), 1e-15);
    assertEquals(0.1, cosine.learningRate(500), 1e-15);
    Schedule warm = Schedule.linearWarmup(4, Schedule.constant(0.8));
    double[] warmed = {0.2, 0.4, 0.6, 0.8, 0.8};
    for (int s = 0; s < warmed.length; s++) {
      assertEquals(warmed[s], warm.learningRate(s), 1e-15, "warm-up step " + s);
    }
  }

  @org.junit.jupiter.api.Test
  void theStepGraphUpdatesParametersOptimizerStateAndTheCounter() {
    Graph step = linearModel(Optimizer.adam(), new Clipping.ByGlobalNorm(1));
    List<String> updated = step.updates().stream().map(u -> u.state().name()).sorted().toList();
    assertEquals(List.of("optimizer/step", "w", "w/adam/m", "w/adam/v"), updated);
    assertEquals(Shape.scalar(), step.node(TrainingStep.LEARNING_RATE).shape());
  }
}
