package dev.adjoint.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.nn.BatchNorm;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.train.Optimizer;
import dev.adjoint.train.TrainingStep;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A compiled training step run in a session updates parameters, optimizer state and running
 * statistics in place; it matches the reference interpreter stepping the same graph with its
 * updated values fed back.
 */
class SessionTest {
  private static final int BATCH = 4;
  private static final int STEPS = 5;

  /** A dense layer, batch norm, relu, a dense layer and a softmax cross-entropy loss, in F64. */
  private static Graph model() {
    GraphBuilder b = new GraphBuilder("model").seed(5);
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 3);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor h = x.matmul(b.parameter("w1", DType.F64, Initializer.heNormal(), 3, 6));
    h = BatchNorm.create(b, "bn", DType.F64, 6).invoke(h).relu();
    Tensor logits = h.matmul(b.parameter("w2", DType.F64, Initializer.heNormal(), 6, 3))
        .plus(b.parameter("b2", DType.F64, Initializer.zeros(), 3));
    Tensor loss = b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("loss");
    return b.build(loss);
  }

  @Test
  void trainingStepsUpdateInPlace() {
    Graph step = TrainingStep.build(model(), "loss", new Optimizer.Adam(0.9, 0.999, 1e-8, 0), null);
    Random rng = new Random(3);
    NDArray x = NDArray.generate(DType.F64, Shape.of(BATCH, 3), i -> rng.nextGaussian());
    NDArray labels = NDArray.of(DType.I64, Shape.of(BATCH), 0, 2, 1, 2);
    NDArray rate = NDArray.scalar(DType.F64, 0.05);
    Map<String, NDArray> state = new HashMap<>(Weights.initialize(step, 7));

    Session session = Compiler.jvm().compile(step).session(BATCH);
    state.forEach(session::feed);
    session.feed("x", x.toDoubleArray()).feed("labels", new long[] {0, 2, 1, 2}).feed("learning_rate", rate);

    Map<String, NDArray> feeds = new HashMap<>(state);
    feeds.put("x", x);
    feeds.put("labels", labels);
    feeds.put("learning_rate", rate);
    for (int s = 0; s < STEPS; s++) {
      ReferenceInterpreter.Execution expected = ReferenceInterpreter.execute(step, feeds);
      session.run();
      assertEquals(expected.outputs().getFirst().item(), session.output(0).item(), 1e-10, "loss of step " + s);
      feeds.putAll(expected.updatedState());
    }
    assertTrue(feeds.keySet().containsAll(java.util.List.of("w1", "bn/running_mean", TrainingStep.STEP)));
    for (String name : state.keySet()) {
      double[] expected = feeds.get(name).toDoubleArray();
      double[] actual = session.value(name).toDoubleArray();
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-10 * Math.max(1, Math.abs(expected[i])), name + "[" + i + "]");
      }
    }
    assertEquals(STEPS, session.value(TrainingStep.STEP).item());
    double[] loss = new double[1];
    session.output(0, loss);
    assertArrayEquals(session.output(0).toDoubleArray(), loss);
  }
}
