package dev.adjoint.training;

import dev.adjoint.data.Batch;
import dev.adjoint.data.DataLoader;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.io.Checkpoint;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.TensorType;
import dev.adjoint.train.Schedule;
import dev.adjoint.train.TrainingStep;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link TrainingStep} graph over a {@link DataLoader}: each step feeds the next batch,
 * the scheduled learning rate and the step number, and keeps the updated parameters, optimizer
 * state and batch-norm statistics for the next step. Everything a step depends on is a function
 * of the completed-step count (the batch via {@link DataLoader#batchAtStep}, dropout masks via the
 * {@code step} input), so a run resumed from a {@linkplain #save checkpoint} continues bit for bit
 * like an uninterrupted one.
 *
 * <p>The step graph's output 0 is the loss; if it has a second output, it is taken as the logits
 * {@code [B, classes]} and the batch accuracy is reported too.
 */
public final class Trainer {

  private final Graph step;
  private final StepRunner runner;
  private final DataLoader loader;
  private final Schedule schedule;
  private final StepRunner.Inputs inputs;
  private final List<Node> persistent;
  private long completed;

  /** What one step did. */
  public record StepReport(long step, long epoch, int samples, double learningRate, double loss, double accuracy) {}

  /**
   * @param initialState a value for every parameter and state node of {@code step} (for example
   *     {@link dev.adjoint.ir.Weights#initialize}), or a checkpoint's tensors; loaded into {@code
   *     runner}
   */
  public Trainer(Graph step, StepRunner runner, DataLoader loader, Schedule schedule, String imagesInput,
      String labelsInput, Map<String, NDArray> initialState) {
    this.step = step;
    this.runner = runner;
    this.loader = loader;
    this.schedule = schedule;
    step.node(imagesInput);
    step.node(labelsInput);
    step.node(TrainingStep.LEARNING_RATE);
    boolean dropout = step.nodes().stream().anyMatch(n -> n.name().equals(GraphBuilder.STEP) && n.op() instanceof Op.Input);
    this.inputs = new StepRunner.Inputs(imagesInput, labelsInput, dropout ? GraphBuilder.STEP : null);
    this.persistent = persistent(step);
    Map<String, NDArray> state = new HashMap<>();
    for (Node n : persistent) {
      NDArray value = initialState.get(n.name());
      if (value == null) {
        throw new AdjointException("the initial state has no value for " + n.describe() + " of type " + n.type());
      }
      state.put(n.name(), value);
    }
    runner.load(state);
    this.completed = (long) state.get(TrainingStep.STEP).item();
  }

  /** Parameters and state: what a step updates and a checkpoint keeps. */
  private static List<Node> persistent(Graph g) {
    return g.nodes().stream().filter(n -> n.op() instanceof Op.Parameter || n.op() instanceof Op.State).toList();
  }

  /** Steps completed so far. */
  public long completedSteps() {
    return completed;
  }

  /** The current parameters and state, by node name (read from the runner). */
  public Map<String, NDArray> state() {
    Map<String, NDArray> state = new LinkedHashMap<>();
    for (Node n : persistent) {
      state.put(n.name(), runner.value(n.name()));
    }
    return Collections.unmodifiableMap(state);
  }

  /** Runs one step on the next batch. */
  public StepReport trainStep() {
    Batch batch = loader.batchAtStep(completed);
    double lr = schedule.learningRate(completed);
    StepRunner.Outcome outcome = runner.run(batch, inputs, lr, completed);
    completed++;
    double accuracy = outcome.correct() < 0 ? Double.NaN : outcome.correct() / (double) batch.size();
    return new StepReport(completed, batch.epoch(), batch.size(), lr, outcome.loss(), accuracy);
  }

  /**
   * Saves parameters, optimizer state, batch-norm statistics and the step counter as a
   * safetensors file, atomically; the step (which also keys the data order and dropout masks) is
   * all a resumed run needs besides the tensors.
   */
  public void save(Path path) {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", "adjoint-training-state");
    metadata.put("graph", step.name());
    metadata.put("completed_steps", Long.toString(completedSteps()));
    Checkpoint.write(path, state(), metadata);
  }

  /**
   * The tensors of a checkpoint, checked against the step graph's parameters and state (every
   * mismatch is reported at once, and nothing is returned half-loaded).
   */
  public static Map<String, NDArray> load(Path path, Graph step) {
    Map<String, TensorType> expected = new LinkedHashMap<>();
    for (Node n : persistent(step)) {
      expected.put(n.name(), n.type());
    }
    return Checkpoint.read(path, expected).tensors();
  }
}
