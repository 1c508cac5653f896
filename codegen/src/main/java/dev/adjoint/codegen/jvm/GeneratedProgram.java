package dev.adjoint.codegen.jvm;

import dev.adjoint.kernel.Failure;
import java.util.List;
import java.util.Map;

/**
 * The classes of one compiled program.
 *
 * @param driver the binary name of the class implementing {@link dev.adjoint.runtime.ops.CompiledBody}
 * @param classes every class, the driver included; define them all in one class loader
 * @param failures the failure table: a kernel reports failure {@code i} as {@code failures.get(i)}
 * @param codeSizes the bytecode length of every method, by {@code Class.method}
 */
public record GeneratedProgram(
    String driver, List<GeneratedClass> classes, List<Failure> failures, Map<String, Integer> codeSizes) {
  public GeneratedProgram {
    classes = List.copyOf(classes);
    failures = List.copyOf(failures);
    codeSizes = Map.copyOf(codeSizes);
  }

  /** The longest method's bytecode length. */
  public int largestMethod() {
    return codeSizes.values().stream().mapToInt(Integer::intValue).max().orElse(0);
  }
}
