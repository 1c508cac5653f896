package dev.adjoint.training;

import dev.adjoint.data.Batch;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Session;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.train.TrainingStep;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import java.util.function.IntToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Runs a training-step graph again and again, keeping its parameters and state between runs: the
 * reference interpreter (exact, slow, the oracle) or a compiled program, whose session keeps them
 * in place in its arena and takes the batch through reusable arrays, so a step allocates nothing
 * in proportion to the model or the batch.
 */
public interface StepRunner {

  /**
   * Which inputs of the step graph take the batch, and the i64 input that keys dropout masks
   * ({@code null} when the graph has none).
   */
  record Inputs(String images, String labels, @Nullable String dropoutStep) {}

  /** The loss of a step, and how many rows the logits (output 1, if any) got right, else -1. */
  record Outcome(double loss, int correct) {}

  /** Sets parameters and state (all of them, before the first step, or to resume). */
  void load(Map<String, NDArray> state);

  /** One step on {@code batch} with learning rate {@code lr}; {@code step} keys dropout masks. */
  Outcome run(Batch batch, Inputs inputs, double lr, long step);

  /** The current value of a parameter or state. */
  NDArray value(String name);

  static StepRunner reference(Graph graph) {
    return new StepRunner() {
      private final Map<String, NDArray> state = new HashMap<>();

      @Override
      public void load(Map<String, NDArray> values) {
        state.putAll(values);
      }

      @Override
      public Outcome run(Batch batch, Inputs inputs, double lr, long step) {
        Map<String, NDArray> feeds = new HashMap<>(state);
        feeds.put(inputs.images(), batch.images().withDType(graph.node(inputs.images()).dtype()));
        feeds.put(inputs.labels(), batch.labels().withDType(graph.node(inputs.labels()).dtype()));
        feeds.put(TrainingStep.LEARNING_RATE, NDArray.scalar(graph.node(TrainingStep.LEARNING_RATE).dtype(), lr));
        if (inputs.dropoutStep() != null) {
          feeds.put(inputs.dropoutStep(), NDArray.scalar(DType.I64, step));
        }
        ReferenceInterpreter.Execution e = ReferenceInterpreter.execute(graph, feeds);
        state.putAll(e.updatedState());
        List<NDArray> out = e.outputs();
        NDArray labels = batch.labels();
        int correct = out.size() > 1
            ? correct(labels.size(), out.get(1).shape().dim(1), out.get(1)::get, r -> (long) labels.get(r))
            : -1;
        return new Outcome(out.get(0).item(), correct);
      }

      @Override
      public NDArray value(String name) {
        NDArray v = state.get(name);
        if (v == null) {
          throw new AdjointException("graph '" + graph.name() + "' has no parameter or state named '" + name + "'");
        }
        return v;
      }
    };
  }

  /**
   * A compiled F32 training step run through one session at batch size {@code batch}: every
   * step's batch must have that size (use {@link dev.adjoint.data.DataLoader#dropLast}).
   */
  static StepRunner compiled(CompiledProgram program, int batch) {
    Graph graph = program.graph();
    if (graph.node(TrainingStep.LEARNING_RATE).dtype() != DType.F32) {
      throw new AdjointException("the compiled step runner takes F32 training steps; '" + graph.name() + "' is "
          + graph.node(TrainingStep.LEARNING_RATE).dtype() + " (use StepRunner.reference or compile it in F32)");
    }
    Session session = program.session(batch);
    boolean hasLogits = graph.outputs().size() > 1;
    return new StepRunner() {
      private float[] images = new float[0];
      private final long[] labels = new long[batch];
      private final float[] learningRate = new float[1];
      private final long[] stepNumber = new long[1];
      private final float[] loss = new float[1];
      private final float[] logits = hasLogits ? new float[graph.output(1).shape().resolve(batch).size()] : new float[0];

      @Override
      public void load(Map<String, NDArray> state) {
        state.forEach(session::feed);
      }

      @Override
      public Outcome run(Batch b, Inputs inputs, double lr, long step) {
        if (b.size() != batch) {
          throw new AdjointException("the compiled step runs batches of " + batch + ", got " + b.size()
              + " (drop the last partial batch)");
        }
        int imageElements = graph.node(inputs.images()).shape().resolve(batch).size();
        if (images.length != imageElements) {
          images = new float[imageElements];
        }
        b.copyImagesTo(images, 0);
        b.copyLabelsTo(labels, 0);
        learningRate[0] = (float) lr;
        session.feed(inputs.images(), images).feed(inputs.labels(), labels)
            .feed(TrainingStep.LEARNING_RATE, learningRate);
        if (inputs.dropoutStep() != null) {
          stepNumber[0] = step;
          session.feed(inputs.dropoutStep(), stepNumber);
        }
        session.run();
        session.output(0, loss);
        int correct = -1;
        if (hasLogits) {
          session.output(1, logits);
          correct = correct(batch, logits.length / batch, r -> logits[r], r -> labels[r]);
        }
        return new Outcome(loss[0], correct);
      }

      @Override
      public NDArray value(String name) {
        return session.value(name);
      }
    };
  }

  /** Rows of the logits ([rows, classes], row-major) whose largest entry is at the row's label. */
  private static int correct(int rows, int classes, IntToDoubleFunction logit, IntToLongFunction label) {
    int hits = 0;
    for (int r = 0; r < rows; r++) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (logit.applyAsDouble(r * classes + c) > logit.applyAsDouble(r * classes + best)) {
          best = c;
        }
      }
      hits += best == label.applyAsLong(r) ? 1 : 0;
    }
    return hits;
  }
}
