package dev.adjoint.jvm;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.FeedCheck;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Shape;
import dev.adjoint.kernel.Buffer;
import dev.adjoint.kernel.KernelProgram;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A compiled program bound to one batch size and one arena, for hot loops: feeds go straight into
 * the arena (as values or as arrays), outputs come out as values or into arrays, and what a run
 * updates (parameters of a training step, running statistics) is written back in place, so the
 * next run reads it without feeding it again. Every fed value stays until fed again. Not
 * thread-safe: use one session per thread.
 */
public final class Session {
  private final CompiledProgram program;
  private final KernelProgram kernels;
  private final int batch;
  private final Arena arena;
  private final Set<String> fed = new HashSet<>();

  Session(CompiledProgram program, int batch, Arena arena) {
    this.program = program;
    this.kernels = program.kernels();
    this.batch = batch;
    this.arena = arena;
  }

  public int batch() {
    return batch;
  }

  /** Feeds {@code value} to the input, parameter or state {@code name}, checked as {@link CompiledProgram#run} checks it. */
  public Session feed(String name, NDArray value) {
    Node leaf = program.validator().leaf(name);
    FeedCheck.checkType(leaf, value);
    if (leaf.shape().isBatched() && value.shape().dim(0) != batch) {
      throw new AdjointException("feed for " + leaf.describe() + " expects " + leaf.type() + " with N = " + batch
          + " (the session's batch size), got " + value.type());
    }
    Buffer buffer = kernels.feeds().get(name);
    if (buffer != null) {
      arena.write(buffer, value);
    }
    fed.add(name);
    return this;
  }

  /** Feeds an F32 leaf from {@code values} (row-major, N resolved to the session's batch size). */
  public Session feed(String name, float[] values) {
    Buffer buffer = arrayFeed(name, DType.F32, values.length);
    if (buffer != null) {
      System.arraycopy(values, 0, arena.f32, arena.plan.offset(buffer), values.length);
    }
    return this;
  }

  /** Feeds an F64 leaf from {@code values} (row-major, N resolved to the session's batch size). */
  public Session feed(String name, double[] values) {
    Buffer buffer = arrayFeed(name, DType.F64, values.length);
    if (buffer != null) {
      System.arraycopy(values, 0, arena.f64, arena.plan.offset(buffer), values.length);
    }
    return this;
  }

  /** Feeds an I32 leaf from {@code values}. */
  public Session feed(String name, int[] values) {
    Buffer buffer = arrayFeed(name, DType.I32, values.length);
    if (buffer != null) {
      System.arraycopy(values, 0, arena.i32, arena.plan.offset(buffer), values.length);
    }
    return this;
  }

  /** Feeds an I64 leaf from {@code values}. */
  public Session feed(String name, long[] values) {
    Buffer buffer = arrayFeed(name, DType.I64, values.length);
    if (buffer != null) {
      System.arraycopy(values, 0, arena.i64, arena.plan.offset(buffer), values.length);
    }
    return this;
  }

  private Buffer arrayFeed(String name, DType dtype, int length) {
    Node leaf = program.validator().leaf(name);
    Shape shape = leaf.shape().resolve(batch);
    if (leaf.dtype() != dtype || shape.size() != length) {
      throw new AdjointException("feed for " + leaf.describe() + " expects " + leaf.type() + " (" + shape.size()
          + " elements of " + leaf.dtype() + " for N = " + batch + "), got " + length + " elements of " + dtype);
    }
    fed.add(name);
    return kernels.feeds().get(name);
  }

  /**
   * Runs the program on what was fed, then writes every update into its state or parameter.
   *
   * @throws AdjointException if something the program needs was never fed (checked first), or a
   *     kernel fails
   */
  public Session run() {
    for (Node node : program.graph().nodes()) {
      if (FeedCheck.takesFeed(node) && program.validator().needs(node) && !fed.contains(node.name())) {
        throw new AdjointException("missing feed for " + node.describe() + " of type " + node.type());
      }
    }
    program.invoke(arena, batch);
    List<KernelProgram.StateWrite> writes = kernels.stateWrites();
    Set<Buffer> targets = new HashSet<>();
    writes.forEach(w -> targets.add(w.target()));
    if (writes.stream().noneMatch(w -> w.value() != w.target() && targets.contains(w.value()))) {
      // No new value is another state's old value, so each can be copied into place directly.
      for (KernelProgram.StateWrite w : writes) {
        if (w.value() != w.target()) {
          arena.copy(w.value(), w.target(), program.loweredGraph().node(w.state()).shape().resolve(batch).size());
        }
      }
      return this;
    }
    // An update reads another state's old value: take every new value before writing any.
    List<NDArray> values = writes.stream().map(w -> value(w.value(), w.state())).toList();
    for (int i = 0; i < writes.size(); i++) {
      arena.write(writes.get(i).target(), values.get(i));
    }
    return this;
  }

  /** Output {@code i} of the last run. */
  public NDArray output(int i) {
    Node node = program.loweredGraph().output(i);
    return arena.read(kernels.outputs().get(i), node.dtype(), node.shape().resolve(batch));
  }

  /** Copies F32 output {@code i} of the last run into {@code into}. */
  public void output(int i, float[] into) {
    Buffer b = outputBuffer(i, DType.F32, into.length);
    System.arraycopy(arena.f32, arena.plan.offset(b), into, 0, into.length);
  }

  /** Copies F64 output {@code i} of the last run into {@code into}. */
  public void output(int i, double[] into) {
    Buffer b = outputBuffer(i, DType.F64, into.length);
    System.arraycopy(arena.f64, arena.plan.offset(b), into, 0, into.length);
  }

  private Buffer outputBuffer(int i, DType dtype, int length) {
    Node node = program.loweredGraph().output(i);
    int size = node.shape().resolve(batch).size();
    if (node.dtype() != dtype || size != length) {
      throw new AdjointException("output " + i + " " + node.describe() + " is " + node.type() + " (" + size
          + " elements of " + node.dtype() + " for N = " + batch + "), not " + length + " elements of " + dtype);
    }
    return kernels.outputs().get(i);
  }

  /** The current value of the input, parameter or state {@code name}: as fed, or as the last run updated it. */
  public NDArray value(String name) {
    Node leaf = program.validator().leaf(name);
    Buffer buffer = kernels.feeds().get(name);
    if (buffer == null) {
      throw new AdjointException("the program never reads or updates " + leaf.describe());
    }
    return arena.read(buffer, leaf.dtype(), leaf.shape().resolve(batch));
  }

  private NDArray value(Buffer buffer, String state) {
    Node node = program.loweredGraph().node(state);
    return arena.read(buffer, node.dtype(), node.shape().resolve(batch));
  }
}
