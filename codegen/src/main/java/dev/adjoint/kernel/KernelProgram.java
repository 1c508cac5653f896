package dev.adjoint.kernel;

import dev.adjoint.ir.NDArray;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A lowered graph: buffers, kernels in schedule order, and how the program meets the outside
 * world. Immutable.
 *
 * @param feeds the buffer of every input, parameter and state the program reads, by node name
 * @param outputs the buffer holding each graph output, in order (a buffer may appear twice, and may
 *     be a fed buffer when an output is a leaf)
 * @param stateWrites the state updates: after the kernels run, each state takes its value
 * @param constants the values of the CONSTANT buffers
 */
public record KernelProgram(
    String name, List<Buffer> buffers, List<Kernel> kernels, Map<String, Buffer> feeds, List<Buffer> outputs,
    List<StateWrite> stateWrites, Map<Buffer, NDArray> constants) {

  /** After a run, the fed buffer of {@code state} takes the value of {@code value}. */
  public record StateWrite(String state, Buffer target, Buffer value) {}

  public KernelProgram {
    buffers = List.copyOf(buffers);
    kernels = List.copyOf(kernels);
    feeds = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(feeds));
    outputs = List.copyOf(outputs);
    stateWrites = List.copyOf(stateWrites);
    constants = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(constants));
  }

  /** Every failure a kernel may raise, in order of appearance; emitters number them by this list. */
  public List<Failure> failures() {
    Set<Failure> failures = new LinkedHashSet<>();
    for (Kernel k : kernels) {
      Walk.expressions(k.body(), e -> {
        if (e instanceof Expr.Checked c) {
          failures.add(c.failure());
        }
      });
    }
    return new ArrayList<>(failures);
  }

  /** Whether any size in the program depends on the batch size. */
  public boolean usesBatch() {
    for (Buffer b : buffers) {
      if (!b.size().isConstant()) {
        return true;
      }
    }
    boolean[] found = {false};
    for (Kernel k : kernels) {
      Walk.statements(k.body(), s -> {
        if (s instanceof Stmt.Loop l && !l.extent().isConstant()) {
          found[0] = true;
        }
      });
      Walk.expressions(k.body(), e -> found[0] |= e instanceof Expr.BatchSize);
    }
    return found[0];
  }
}
