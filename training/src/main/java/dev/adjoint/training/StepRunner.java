package dev.adjoint.training;

import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.List;
import java.util.Map;

/** Runs a training-step graph once: any backend that returns outputs and updated state. */
@FunctionalInterface
public interface StepRunner {

  /** The outputs of one run, and the new values of what the graph updates. */
  record Result(List<NDArray> outputs, Map<String, NDArray> updated) {}

  Result run(Map<String, NDArray> feeds);

  /** The reference interpreter: exact and slow; the oracle the compiled backends are held to. */
  static StepRunner reference(Graph step) {
    return feeds -> {
      ReferenceInterpreter.Execution e = ReferenceInterpreter.execute(step, feeds);
      return new Result(e.outputs(), e.updatedState());
    };
  }
}
