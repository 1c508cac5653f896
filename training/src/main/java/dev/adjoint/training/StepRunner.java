package dev.adjoint.training;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Session;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a training-step graph again and again, keeping its parameters and state between runs: the
 * reference interpreter (exact, slow, the oracle) or a compiled program, whose session keeps them
 * in place in its arena so a step copies nothing but the batch.
 */
public interface StepRunner {

  /** Sets parameters and state (all of them, before the first step, or to resume). */
  void load(Map<String, NDArray> state);

  /** One step on {@code inputs} (batch, learning rate, step number); returns the outputs. */
  List<NDArray> run(Map<String, NDArray> inputs);

  /** The current value of a parameter or state. */
  NDArray value(String name);

  static StepRunner reference(Graph step) {
    return new StepRunner() {
      private final Map<String, NDArray> state = new HashMap<>();

      @Override
      public void load(Map<String, NDArray> values) {
        state.putAll(values);
      }

      @Override
      public List<NDArray> run(Map<String, NDArray> inputs) {
        Map<String, NDArray> feeds = new HashMap<>(state);
        feeds.putAll(inputs);
        ReferenceInterpreter.Execution e = ReferenceInterpreter.execute(step, feeds);
        state.putAll(e.updatedState());
        return e.outputs();
      }

      @Override
      public NDArray value(String name) {
        NDArray v = state.get(name);
        if (v == null) {
          throw new AdjointException("graph '" + step.name() + "' has no parameter or state named '" + name + "'");
        }
        return v;
      }
    };
  }

  /**
   * A compiled program run through one session at batch size {@code batch}: every step's batch must
   * have that size (use {@link dev.adjoint.data.DataLoader#dropLast}).
   */
  static StepRunner compiled(CompiledProgram program, int batch) {
    Session session = program.session(batch);
    int outputs = program.graph().outputs().size();
    return new StepRunner() {
      @Override
      public void load(Map<String, NDArray> state) {
        state.forEach(session::feed);
      }

      @Override
      public List<NDArray> run(Map<String, NDArray> inputs) {
        inputs.forEach(session::feed);
        session.run();
        return java.util.stream.IntStream.range(0, outputs).mapToObj(session::output).toList();
      }

      @Override
      public NDArray value(String name) {
        return session.value(name);
      }
    };
  }
}
