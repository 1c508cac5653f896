package dev.adjoint.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.kernel.Buffer;
import dev.adjoint.kernel.ElementEpilogue;
import dev.adjoint.kernel.Failure;
import dev.adjoint.kernel.Kernel;
import dev.adjoint.kernel.KernelProgram;
import dev.adjoint.kernel.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;

/**
 * Emits a kernel program as JVM classes: kernels as static methods, {@value #KERNELS_PER_CLASS}
 * to a class, and a driver class implementing {@link dev.adjoint.runtime.ops.CompiledBody} that
 * calls them in schedule order from methods of at most {@value #CALLS_PER_DRIVER_METHOD} calls.
 * A kernel method whose code exceeds HotSpot's huge-method limit (HotSpot leaves such methods
 * interpreted) is split into part methods at its top-level statements. Every class is verifiable
 * bytecode with stack map frames (ASM computes them).
 */
public final class JvmEmitter {
  /** HotSpot's {@code HugeMethodLimit}: longer methods are never JIT-compiled. */
  public static final int HUGE_METHOD_LIMIT = 8000;
  /** Kernel methods take the arenas, the offset table and the batch size. */
  public static final String KERNEL_DESCRIPTOR = "([F[D[I[J[Z[II)V";
  static final int KERNELS_PER_CLASS = 128;
  static final int CALLS_PER_DRIVER_METHOD = 200;
  private static final String BODY = "dev/adjoint/runtime/ops/CompiledBody";
  private static final int VERSION = V21;

  private final KernelProgram program;
  private final String prefix;
  private final boolean vectorize;
  private final Map<Failure, Integer> failures = new HashMap<>();
  private final Map<String, Integer> codeSizes = new LinkedHashMap<>();

  private JvmEmitter(KernelProgram program, String prefix, boolean vectorize) {
    this.program = program;
    this.prefix = prefix.replace('.', '/');
    this.vectorize = vectorize;
    List<Failure> table = program.failures();
    for (int i = 0; i < table.size(); i++) {
      failures.put(table.get(i), i);
    }
  }

  /**
   * The classes of {@code program}, named {@code prefix + "Driver"} and {@code prefix + "Kernels" +
   * i} ({@code prefix} is a binary name prefix such as {@code dev.adjoint.generated.P3_}).
   *
   * @throws AdjointException if a single statement of a kernel needs more than {@link
   *     #HUGE_METHOD_LIMIT} bytes of bytecode
   */
  public static GeneratedProgram emit(KernelProgram program, String prefix) {
    return emit(program, prefix, false);
  }

  /**
   * {@link #emit(KernelProgram, String)}, with Vector API main loops in the elementwise loops and
   * reductions that have a vector form if {@code vectorize} (see {@link VectorLoops}). Vector code
   * names {@code jdk.incubator.vector} classes and {@code dev.adjoint.runtime.ops.VectorMath}: ask
   * for it only where the module is present ({@code VectorSupport.enabled()}). A kernel whose vector
   * form would be too long for the JIT keeps its scalar form.
   */
  public static GeneratedProgram emit(KernelProgram program, String prefix, boolean vectorize) {
    return new JvmEmitter(program, prefix, vectorize).run();
  }

  private GeneratedProgram run() {
    List<GeneratedClass> classes = new ArrayList<>();
    List<Kernel> kernels = program.kernels();
    List<String> owners = new ArrayList<>();
    for (int from = 0, c = 0; from < kernels.size(); from += KERNELS_PER_CLASS, c++) {
      String name = prefix + "Kernels" + c;
      List<Kernel> chunk = kernels.subList(from, Math.min(kernels.size(), from + KERNELS_PER_CLASS));
      classes.add(kernelClass(name, chunk));
      chunk.forEach(_ -> owners.add(name));
    }
    classes.addFirst(driver(owners));
    for (GeneratedClass c : classes) {
      String simple = c.name().substring(c.name().lastIndexOf('.') + 1);
      ClassFiles.codeLengths(c.bytes()).forEach((method, length) -> {
        if (length > HUGE_METHOD_LIMIT) {
          throw new AdjointException("method " + simple + "." + method + " of program '" + program.name() + "' needs "
              + length + " bytes of bytecode, more than the JIT compiles (" + HUGE_METHOD_LIMIT + ")");
        }
        codeSizes.put(simple + "." + method, length);
      });
    }
    return new GeneratedProgram(
        prefix.replace('/', '.') + "Driver", classes, program.failures(), codeSizes);
  }

  private GeneratedClass driver(List<String> owners) {
    String name = prefix + "Driver";
    ClassWriter cw = writer();
    cw.visit(VERSION, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, name, null, "java/lang/Object", new String[] {BODY});
    MethodVisitor init = cw.visitMethod(ACC_PUBLIC, "<init>", "()V", null, null);
    init.visitCode();
    init.visitVarInsn(ALOAD, 0);
    init.visitMethodInsn(INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
    init.visitInsn(RETURN);
    init.visitMaxs(0, 0);
    init.visitEnd();
    List<Kernel> kernels = program.kernels();
    int parts = (kernels.size() + CALLS_PER_DRIVER_METHOD - 1) / CALLS_PER_DRIVER_METHOD;
    MethodVisitor run = cw.visitMethod(ACC_PUBLIC, "run", KERNEL_DESCRIPTOR, null, null);
    run.visitCode();
    for (int p = 0; p < parts; p++) {
      invoke(run, name, "part" + p, 1);
    }
    run.visitInsn(RETURN);
    run.visitMaxs(0, 0);
    run.visitEnd();
    for (int p = 0; p < parts; p++) {
      MethodVisitor part = cw.visitMethod(ACC_STATIC | ACC_PRIVATE, "part" + p, KERNEL_DESCRIPTOR, null, null);
      part.visitCode();
      for (int k = p * CALLS_PER_DRIVER_METHOD; k < Math.min(kernels.size(), (p + 1) * CALLS_PER_DRIVER_METHOD); k++) {
        invoke(part, owners.get(k), kernels.get(k).name(), 0);
      }
      part.visitInsn(RETURN);
      part.visitMaxs(0, 0);
      part.visitEnd();
    }
    cw.visitEnd();
    return new GeneratedClass(name.replace('/', '.'), cw.toByteArray());
  }

  /** Calls a static kernel-shaped method with this method's arguments, which start at {@code first}. */
  private static void invoke(MethodVisitor mv, String owner, String method, int first) {
    for (int i = 0; i < 6; i++) {
      mv.visitVarInsn(ALOAD, first + i);
    }
    mv.visitVarInsn(ILOAD, first + 6);
    mv.visitMethodInsn(INVOKESTATIC, owner, method, KERNEL_DESCRIPTOR, false);
  }

  private GeneratedClass kernelClass(String name, List<Kernel> kernels) {
    ClassWriter cw = writer();
    cw.visit(VERSION, ACC_PUBLIC | ACC_FINAL | ACC_SUPER, name, null, "java/lang/Object", null);
    for (Kernel k : kernels) {
      List<List<Stmt>> parts = vectorize ? split(k, true) : null;
      boolean vector = parts != null;
      if (parts == null) {
        parts = split(k, false);
      }
      if (parts == null) {
        throw tooLong(k);
      }
      if (parts.size() == 1) {
        method(cw, name, k.name(), parts.getFirst(), vector);
      } else {
        MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, k.name(), KERNEL_DESCRIPTOR, null, null);
        mv.visitCode();
        for (int p = 0; p < parts.size(); p++) {
          invoke(mv, name, k.name() + "_part" + p, 0);
          method(cw, name, k.name() + "_part" + p, parts.get(p), vector);
        }
        mv.visitInsn(RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
      }
    }
    cw.visitEnd();
    return new GeneratedClass(name.replace('/', '.'), cw.toByteArray());
  }

  /** A kernel method in class {@code owner}, with the chunk methods of its parallel loops. */
  private void method(ClassWriter cw, String owner, String name, List<Stmt> body, boolean vector) {
    MethodVisitor mv = cw.visitMethod(ACC_PUBLIC | ACC_STATIC, name, KERNEL_DESCRIPTOR, null, null);
    KernelWriter.ChunkMethods chunks = new KernelWriter.ChunkMethods() {
      private int loops;
      private int tiles;
      private int outlines;

      @Override
      public String[] add(Stmt.Loop loop) {
        String chunk = name + "_loop" + loops++;
        MethodVisitor chunkVisitor =
            cw.visitMethod(ACC_PRIVATE | ACC_STATIC | ACC_SYNTHETIC, chunk, KernelWriter.CHUNK_DESCRIPTOR, null, null);
        new KernelWriter(chunkVisitor, failures, this, vector).writeChunk(buffers(List.of(loop)), loop);
        return new String[] {owner, chunk};
      }

      @Override
      public String[] add(Outline outline) {
        String method = name + "_vector" + outlines++;
        MethodVisitor outlineVisitor =
            cw.visitMethod(ACC_PRIVATE | ACC_STATIC | ACC_SYNTHETIC, method, outline.descriptor(), null, null);
        new KernelWriter(outlineVisitor, failures, this, vector).writeOutline(buffers(outline.statements()), outline);
        return new String[] {owner, method};
      }

      @Override
      public String[] add(ElementEpilogue epilogue) {
        String tile = name + "_tile" + tiles++;
        MethodVisitor tileVisitor =
            cw.visitMethod(ACC_PRIVATE | ACC_STATIC | ACC_SYNTHETIC, tile, KernelWriter.EPILOGUE_DESCRIPTOR, null, null);
        new KernelWriter(tileVisitor, failures, this, vector).writeTile(buffers(epilogue.body()), epilogue);
        return new String[] {owner, tile};
      }
    };
    new KernelWriter(mv, failures, chunks, vector).write(buffers(body), body);
  }

  /**
   * The kernel's body as one method, or, if that is too long for the JIT, as consecutive runs of
   * top-level statements that each fit; null if no split fits. Statements that declare locals stay
   * together.
   */
  private @Nullable List<List<Stmt>> split(Kernel k, boolean vector) {
    List<Stmt> body = k.body();
    if (codeLength(body, vector) <= HUGE_METHOD_LIMIT) {
      return List.of(body);
    }
    boolean declaresLocals = body.stream().anyMatch(s -> s instanceof Stmt.Let || s instanceof Stmt.Reduce);
    if (body.size() == 1 || declaresLocals) {
      return null;
    }
    List<List<Stmt>> parts = new ArrayList<>();
    List<Stmt> current = new ArrayList<>();
    for (Stmt s : body) {
      current.add(s);
      if (codeLength(current, vector) > HUGE_METHOD_LIMIT) {
        current.removeLast();
        if (current.isEmpty()) {
          return null;
        }
        parts.add(current);
        current = new ArrayList<>(List.of(s));
      }
    }
    parts.add(current);
    return parts;
  }

  private AdjointException tooLong(Kernel k) {
    return new AdjointException("kernel " + k.name() + " (" + String.join(", ", k.nodes()) + ") needs "
        + codeLength(k.body(), false) + " bytes of bytecode in one statement, more than the JIT compiles ("
        + HUGE_METHOD_LIMIT + ")");
  }

  /** The bytecode length of {@code body} as one method: its longest method, chunk methods included. */
  private int codeLength(List<Stmt> body, boolean vector) {
    ClassWriter cw = writer();
    cw.visit(VERSION, ACC_PUBLIC | ACC_SUPER, "Probe", null, "java/lang/Object", null);
    method(cw, "Probe", "probe", body, vector);
    cw.visitEnd();
    return ClassFiles.codeLengths(cw.toByteArray()).values().stream().mapToInt(Integer::intValue).max().orElse(0);
  }

  /** The buffers a body touches, in order of appearance. */
  private static Set<Buffer> buffers(List<Stmt> body) {
    Kernel k = new Kernel("probe", List.of(), body, List.of());
    Set<Buffer> buffers = new LinkedHashSet<>(k.reads());
    buffers.addAll(k.writes());
    return buffers;
  }

  /**
   * Frames are computed; the reference types are arrays, the failure and vectors, and only equal
   * types meet where paths merge.
   */
  private static ClassWriter writer() {
    return new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
      @Override
      protected String getCommonSuperClass(String type1, String type2) {
        return "java/lang/Object";
      }
    };
  }
}
