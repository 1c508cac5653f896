package dev.adjoint.kernel;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The readable text form of kernel programs, for dumps and golden files:
 *
 * <pre>
 * kernel k1_relu (relu, add):
 *   for i0 &lt; N:
 *     for i1 &lt; 4:
 *       %3[4*i0 + i1] = relu((%0[4*i0 + i1] + %1[i1]))
 * </pre>
 */
public final class KernelPrinter {
  private KernelPrinter() {}

  public static String print(KernelProgram program) {
    StringBuilder sb = new StringBuilder();
    sb.append("program '").append(program.name()).append("': ").append(program.kernels().size()).append(" kernels, ")
        .append(program.buffers().size()).append(" buffers\n");
    for (Buffer b : program.buffers()) {
      sb.append("  ").append(b).append('\n');
    }
    sb.append("outputs: ")
        .append(program.outputs().stream().map(Buffer::ref).collect(Collectors.joining(", ")))
        .append('\n');
    for (KernelProgram.StateWrite w : program.stateWrites()) {
      sb.append("state write: ").append(w.state()).append(" <- ").append(w.value().ref()).append('\n');
    }
    for (Kernel k : program.kernels()) {
      sb.append(print(k));
    }
    return sb.toString();
  }

  public static String print(Kernel kernel) {
    StringBuilder sb = new StringBuilder();
    sb.append("kernel ").append(kernel.name()).append(" (").append(String.join(", ", kernel.nodes())).append("):\n");
    statements(sb, kernel.body(), 1);
    for (Kernel.InPlace p : kernel.inPlace()) {
      sb.append("  in place: ").append(p.target().ref()).append(" may reuse ").append(p.source().ref()).append('\n');
    }
    return sb.toString();
  }

  private static void statements(StringBuilder sb, List<Stmt> body, int depth) {
    for (Stmt s : body) {
      String indent = "  ".repeat(depth);
      switch (s) {
        case Stmt.Loop l -> {
          sb.append(indent).append(l.parallel() ? "parallel for " : "for ").append(l.var()).append(" < ")
              .append(l.extent()).append(":\n");
          statements(sb, l.body(), depth + 1);
        }
        case Stmt.Store st ->
            sb.append(indent).append(st.buffer().ref()).append('[').append(st.index()).append("] = ")
                .append(st.value()).append('\n');
        case Stmt.Let let -> sb.append(indent).append(let.local()).append(": ").append(let.local().dtype().text())
            .append(" = ").append(let.value()).append('\n');
        case Stmt.Reduce r -> {
          sb.append(indent).append(r.target()).append(": ").append(r.target().dtype().text()).append(" = ")
              .append(r.combine().name().toLowerCase(Locale.ROOT));
          for (int i = 0; i < r.vars().size(); i++) {
            sb.append(i == 0 ? " over " : ", ").append(r.vars().get(i)).append(" < ").append(r.extents().get(i));
          }
          sb.append(": ").append(r.value()).append('\n');
        }
        case Stmt.Call c -> {
          sb.append(indent).append(call(c.call())).append('\n');
          if (!c.epilogue().isEmpty()) {
            sb.append(indent).append("epilogue:\n");
            statements(sb, c.epilogue(), depth + 1);
          }
          if (c.perElement() != null) {
            ElementEpilogue e = c.perElement();
            sb.append(indent).append("per element (").append(e.outer()).append(", ").append(e.row()).append(", ")
                .append(e.col()).append("):\n");
            statements(sb, e.body(), depth + 1);
          }
        }
      }
    }
  }

  private static String call(LibraryCall call) {
    return switch (call) {
      case LibraryCall.Gemm g -> "gemm " + g.dtype().text() + " " + g.c() + (g.accumulate() ? " += " : " = ")
          + g.a() + (g.transA() ? "ᵀ" : "") + " x " + g.b() + (g.transB() ? "ᵀ" : "") + " [m=" + g.m() + " n=" + g.n()
          + " k=" + g.k() + " lda=" + g.lda() + " ldb=" + g.ldb() + " ldc=" + g.ldc() + "]";
      case LibraryCall.Conv2d c -> "conv2d_" + c.kind().name().toLowerCase(Locale.ROOT) + " " + c.dtype().text() + " "
          + c.output() + " = (" + c.first() + ", " + c.second() + ") [" + c.window() + "]";
      case LibraryCall.Pool p -> "pool_" + p.kind().name().toLowerCase(Locale.ROOT) + " " + p.dtype().text() + " "
          + p.output() + " = (" + p.inputs().stream().map(LibraryCall.Operand::toString)
              .collect(Collectors.joining(", ")) + ") [" + p.window()
          + (p.kind() == LibraryCall.PoolKind.AVG || p.kind() == LibraryCall.PoolKind.AVG_BACKWARD
              ? (p.countIncludePad() ? " count_include_pad" : " exclude_pad") : "") + "]";
    };
  }
}
