package dev.adjoint.kernel;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One kernel: a body of statements that computes one fusion group of graph nodes. Emitters make one
 * function (a JVM method, a CUDA kernel) of it.
 *
 * @param name unique within the program, usable as an identifier
 * @param nodes the graph nodes it computes, for dumps and profiles
 * @param inPlace buffers the kernel may write over one of its inputs: each target is written only
 *     at indices where the source was just read, so the memory planner may give both one place when
 *     the source dies here
 */
public record Kernel(String name, List<String> nodes, List<Stmt> body, List<InPlace> inPlace) {

  /** {@code target} may take {@code source}'s memory if this kernel is {@code source}'s last reader. */
  public record InPlace(Buffer source, Buffer target) {}

  public Kernel {
    nodes = List.copyOf(nodes);
    body = List.copyOf(body);
    inPlace = List.copyOf(inPlace);
  }

  /** The buffers the kernel reads, in order of first appearance. */
  public Set<Buffer> reads() {
    Set<Buffer> reads = new LinkedHashSet<>();
    Walk.statements(body, s -> {
      if (s instanceof Stmt.Call c) {
        c.call().inputs().forEach(o -> reads.add(o.buffer()));
      }
    });
    Walk.expressions(body, e -> {
      if (e instanceof Expr.Load l) {
        reads.add(l.buffer());
      }
    });
    return reads;
  }

  /** The buffers the kernel writes, in order of first appearance. */
  public Set<Buffer> writes() {
    Set<Buffer> writes = new LinkedHashSet<>();
    Walk.statements(body, s -> {
      switch (s) {
        case Stmt.Store st -> writes.add(st.buffer());
        case Stmt.Call c -> writes.add(c.call().output().buffer());
        case Stmt.Loop _, Stmt.Let _, Stmt.Reduce _ -> {}
      }
    });
    return writes;
  }
}
