package dev.adjoint.jvm;

import dev.adjoint.codegen.jvm.ClassFiles;
import dev.adjoint.codegen.jvm.GeneratedClass;
import dev.adjoint.codegen.jvm.GeneratedProgram;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.StateUpdate;
import dev.adjoint.kernel.Buffer;
import dev.adjoint.kernel.KernelPrinter;
import dev.adjoint.kernel.KernelProgram;
import dev.adjoint.kernel.MemoryPlanner;
import dev.adjoint.runtime.ops.CompiledBody;
import dev.adjoint.runtime.ops.KernelFailure;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A graph compiled to JVM bytecode. Immutable and thread-safe: every run validates its feeds
 * (names, dtypes, shapes, one batch size N of at least 1) before touching any buffer, then works in
 * an arena of its own, taken from a pool kept per batch size along with that size's memory plan.
 * Runs are deterministic: the same feeds give bitwise identical results on any thread.
 *
 * <p>{@link #run} and {@link #execute} are the value API; {@link #session} binds a batch size and
 * an arena for hot loops that feed arrays directly and keep state (parameters, running statistics)
 * in place across runs.
 */
public final class CompiledProgram {
  private final Graph source;
  private final Graph lowered;
  private final KernelProgram kernels;
  private final GeneratedProgram generated;
  private final CompiledBody body;
  private final FeedValidator validator;
  private final Map<Integer, Layout> layouts = new ConcurrentHashMap<>();

  /** One batch size's memory plan and its pool of arenas. */
  private record Layout(MemoryPlanner.Plan plan, ConcurrentLinkedDeque<Arena> pool) {}

  CompiledProgram(Graph source, Graph lowered, KernelProgram kernels, GeneratedProgram generated, CompiledBody body) {
    this.source = source;
    this.lowered = lowered;
    this.kernels = kernels;
    this.generated = generated;
    this.body = body;
    this.validator = new FeedValidator(source);
  }

  /** The graph as given to the compiler. */
  public Graph graph() {
    return source;
  }

  /** The graph after the pass pipeline, as lowered. */
  public Graph loweredGraph() {
    return lowered;
  }

  public KernelProgram kernels() {
    return kernels;
  }

  public int kernelCount() {
    return kernels.kernels().size();
  }

  /** The kernel program's text form. */
  public String kernelDump() {
    return KernelPrinter.print(kernels);
  }

  /** The generated class files, the driver first. */
  public List<GeneratedClass> classes() {
    return generated.classes();
  }

  public GeneratedProgram generated() {
    return generated;
  }

  /** The bytecode listing of every generated class. */
  public String bytecodeListing() {
    StringBuilder sb = new StringBuilder();
    for (GeneratedClass c : generated.classes()) {
      sb.append("// class ").append(c.name()).append('\n').append(ClassFiles.listing(c.bytes()));
    }
    return sb.toString();
  }

  /** The memory plan for batch size {@code batch} (1 for a program without a batch dimension). */
  public MemoryPlanner.Plan memoryPlan(int batch) {
    return layout(batch).plan();
  }

  /**
   * The values of the graph's outputs, in order.
   *
   * @param feeds values by name for the graph's inputs, parameters and states; every one the outputs
   *     and updates depend on must be present
   * @throws AdjointException if a feed is missing, unknown or of the wrong type (checked before
   *     anything runs), or a kernel fails (a label out of range), naming the node
   */
  public List<NDArray> run(Map<String, NDArray> feeds) {
    return execute(feeds).outputs();
  }

  /** The outputs and the new values of the updated states and parameters; feeds as for {@link #run}. */
  public Execution execute(Map<String, NDArray> feeds) {
    int batch = batchFor(validator.validate(feeds));
    Layout layout = layout(batch);
    Arena arena = layout.pool().pollFirst();
    if (arena == null) {
      arena = new Arena(kernels, layout.plan());
    }
    try {
      for (Map.Entry<String, Buffer> feed : kernels.feeds().entrySet()) {
        NDArray value = feeds.get(feed.getKey());
        if (value != null) {
          arena.write(feed.getValue(), value);
        }
      }
      invoke(arena, batch);
      List<NDArray> outputs = new ArrayList<>();
      for (int i = 0; i < kernels.outputs().size(); i++) {
        Node node = lowered.output(i);
        outputs.add(arena.read(kernels.outputs().get(i), node.dtype(), node.shape().resolve(batch)));
      }
      Map<String, NDArray> updated = new LinkedHashMap<>();
      for (int i = 0; i < kernels.stateWrites().size(); i++) {
        KernelProgram.StateWrite w = kernels.stateWrites().get(i);
        StateUpdate u = lowered.updates().get(i);
        updated.put(w.state(), arena.read(w.value(), u.value().dtype(), u.value().shape().resolve(batch)));
      }
      return new Execution(outputs, updated);
    } finally {
      layout.pool().addFirst(arena);
    }
  }

  /**
   * A session for hot loops at batch size {@code batch} (ignored, use 1, for a program without a
   * batch dimension): it owns one arena, takes feeds as arrays, and keeps fed and updated values
   * between runs. Not thread-safe; make one per thread.
   */
  public Session session(int batch) {
    if (batch < 1) {
      throw new AdjointException("a session needs a batch size N >= 1, got " + batch);
    }
    validator.checkBatch(kernels.usesBatch() ? batch : FeedValidator.UNBOUND);
    return new Session(this, batch, new Arena(kernels, layout(batch).plan()));
  }

  FeedValidator validator() {
    return validator;
  }

  /** Runs the kernels, turning a kernel's failure into the node's error message. */
  void invoke(Arena arena, int batch) {
    try {
      body.run(arena.f32, arena.f64, arena.i32, arena.i64, arena.bool, arena.plan.offsets(), batch);
    } catch (KernelFailure f) {
      throw new AdjointException(generated.failures().get(f.failure()).message(f.first(), f.second(), batch), f);
    }
  }

  /** The batch size whose plan a run uses: any size does for a program that does not depend on N. */
  private int batchFor(int batch) {
    if (batch != FeedValidator.UNBOUND) {
      return batch;
    }
    if (kernels.usesBatch()) {
      throw new AdjointException("graph '" + source.name() + "' computes values with the symbolic batch size N, but "
          + "no batched feed binds N");
    }
    return 1;
  }

  private Layout layout(int batch) {
    return layouts.computeIfAbsent(batch,
        b -> new Layout(MemoryPlanner.plan(kernels, b), new ConcurrentLinkedDeque<>()));
  }

  @Override
  public String toString() {
    return "compiled program '" + source.name() + "' (" + kernelCount() + " kernels, " + generated.classes().size()
        + " classes)";
  }
}
