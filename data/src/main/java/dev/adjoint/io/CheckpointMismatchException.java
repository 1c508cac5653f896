package dev.adjoint.io;

import dev.adjoint.ir.AdjointException;
import java.nio.file.Path;
import java.util.List;

/**
 * A checkpoint's tensors do not match what a model expects: missing or unexpected names, other
 * dtypes or shapes. Lists every mismatch at once, so one run shows all that needs fixing.
 */
public final class CheckpointMismatchException extends AdjointException {
  private final List<String> problems;

  public CheckpointMismatchException(Path path, List<String> problems) {
    super("checkpoint " + path + " does not match the model (" + problems.size()
        + (problems.size() == 1 ? " problem" : " problems") + "):\n  " + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per mismatch: missing names first, then dtype or shape differences, then unexpected names. */
  public List<String> problems() {
    return problems;
  }
}
