package dev.adjoint.jvm;

import dev.adjoint.codegen.jvm.ClassFiles;
import dev.adjoint.codegen.jvm.GeneratedClass;
import dev.adjoint.codegen.jvm.GeneratedProgram;
import dev.adjoint.codegen.jvm.JvmEmitter;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.kernel.KernelPrinter;
import dev.adjoint.kernel.KernelProgram;
import dev.adjoint.kernel.Lowering;
import dev.adjoint.kernel.MemoryPlanner;
import dev.adjoint.passes.DecomposeComposites;
import dev.adjoint.passes.EliminateCommonSubexpressions;
import dev.adjoint.passes.EliminateDeadNodes;
import dev.adjoint.passes.FoldBatchNorm;
import dev.adjoint.passes.FoldConstants;
import dev.adjoint.passes.Pipeline;
import dev.adjoint.passes.PipelineOptions;
import dev.adjoint.passes.SimplifyAlgebra;
import dev.adjoint.runtime.ops.CompiledBody;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Compiles graphs to JVM bytecode: the pass pipeline (optional), composite decomposition, lowering
 * to kernels with fusion (optional), then one class of static kernel methods per 128 kernels and
 * a driver, defined in a class loader of the program's own.
 *
 * <pre>{@code
 * CompiledProgram fast = Compiler.jvm().compile(graph);
 * CompiledProgram plain = Compiler.jvm(o -> o.fusion(false).printKernels(true)).compile(graph);
 * }</pre>
 */
public final class Compiler {
  private static final AtomicLong PROGRAMS = new AtomicLong();
  private static final String PACKAGE = "dev.adjoint.generated.";

  private final CompilerOptions options;

  private Compiler(CompilerOptions options) {
    this.options = options;
  }

  /** A compiler with the default options: fusion and passes on, nothing printed. */
  public static Compiler jvm() {
    return new Compiler(CompilerOptions.defaults());
  }

  public static Compiler jvm(CompilerOptions options) {
    return new Compiler(options);
  }

  /** A compiler with the default options changed by {@code change}. */
  public static Compiler jvm(Consumer<CompilerOptions.Builder> change) {
    CompilerOptions.Builder b = CompilerOptions.builder();
    change.accept(b);
    return new Compiler(b.build());
  }

  public CompilerOptions options() {
    return options;
  }

  /**
   * Compiles {@code graph}.
   *
   * @throws AdjointException naming the node if the graph cannot be lowered
   */
  public CompiledProgram compile(Graph graph) {
    Graph lowered = pipeline().run(graph);
    if (options.printIr()) {
      options.out().print("# IR lowered\n" + GraphPrinter.print(lowered));
    }
    KernelProgram kernels = Lowering.lower(lowered, options.fusion(), graph);
    JitDirectives.installed(); // the first compile installs it: outlined vector loops stay out of line
    GeneratedProgram generated =
        JvmEmitter.emit(kernels, PACKAGE + "P" + PROGRAMS.incrementAndGet() + "_", options.vectorize());
    if (options.printKernels()) {
      options.out().print(KernelPrinter.print(kernels));
      options.out().print("memory: " + MemoryPlanner.plan(kernels, 1).summary() + "\n");
    }
    if (options.printBytecode()) {
      for (GeneratedClass c : generated.classes()) {
        options.out().print("// class " + c.name() + "\n" + ClassFiles.listing(c.bytes()));
      }
    }
    return new CompiledProgram(graph, lowered, kernels, generated, load(generated));
  }

  /**
   * The passes before lowering: with {@code passes}, batch-norm folding, decomposition,
   * simplification, constant folding (evaluated by this backend without passes), CSE and DCE until a
   * fixed point; without, decomposition alone.
   */
  private Pipeline pipeline() {
    Pipeline pipeline;
    if (options.passes()) {
      Compiler plain = new Compiler(options.toBuilder().passes(false).printIr(false).printKernels(false)
          .printBytecode(false).build());
      pipeline = Pipeline.of(List.of(new FoldBatchNorm(), new DecomposeComposites(), new SimplifyAlgebra(),
              new FoldConstants((g, feeds) -> plain.compile(g).run(feeds)), new EliminateCommonSubexpressions(),
              new EliminateDeadNodes()))
          .untilFixedPoint(Pipeline.STANDARD_MAX_ROUNDS);
    } else {
      pipeline = Pipeline.of(new DecomposeComposites());
    }
    return options.printIr()
        ? pipeline.withOptions(o -> o.printIr(PipelineOptions.ALL).out(options.out()))
        : pipeline;
  }

  /** Defines the program's classes in a fresh loader and instantiates the driver. */
  private static CompiledBody load(GeneratedProgram generated) {
    ProgramLoader loader = new ProgramLoader(Compiler.class.getClassLoader());
    for (GeneratedClass c : generated.classes()) {
      loader.define(c);
    }
    try {
      return (CompiledBody) loader.loadClass(generated.driver()).getConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new AdjointException("internal: cannot instantiate the generated driver " + generated.driver(), e);
    }
  }

  /** A class loader holding one program's generated classes; unloaded with the program. */
  private static final class ProgramLoader extends ClassLoader {
    ProgramLoader(ClassLoader parent) {
      super(parent);
    }

    void define(GeneratedClass c) {
      byte[] bytes = c.bytes();
      defineClass(c.name(), bytes, 0, bytes.length);
    }
  }
}
