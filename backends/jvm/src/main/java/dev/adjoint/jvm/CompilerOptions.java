package dev.adjoint.jvm;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.runtime.VectorSupport;
import java.io.PrintStream;

/**
 * How {@link Compiler} compiles.
 *
 * @param fusion fuse elementwise chains, reductions over rows and library-call epilogues; off, every
 *     computing node is a kernel of its own (for benchmarks and debugging)
 * @param passes run the optimizing pass pipeline (batch-norm folding, simplification, constant
 *     folding, CSE, DCE) before lowering; composites are decomposed either way
 * @param printIr print the graph IR before and after each pass and the graph that is lowered
 * @param printKernels print the kernel program and its memory plan summary
 * @param printBytecode print a listing of every generated class
 * @param out where printing goes
 * @param vectorize give elementwise loops and reductions Vector API main loops where they have a
 *     vector form; by default where the Vector API is available ({@link VectorSupport#enabled()}),
 *     and off gives the scalar loops (to compare the two)
 */
public record CompilerOptions(boolean fusion, boolean passes, boolean printIr, boolean printKernels,
    boolean printBytecode, PrintStream out, boolean vectorize) {

  public CompilerOptions {
    if (vectorize && !VectorSupport.enabled()) {
      throw new AdjointException("vectorized code needs the Vector API, which this JVM does not enable: start it with"
          + " --add-modules " + VectorSupport.MODULE + " and without -D" + VectorSupport.PROPERTY + "=false, or"
          + " compile with vectorize(false)");
    }
  }

  /** Fusion, passes and (where available) vectorization on, nothing printed, printing to stderr. */
  public static CompilerOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().fusion(fusion).passes(passes).printIr(printIr).printKernels(printKernels)
        .printBytecode(printBytecode).out(out).vectorize(vectorize);
  }

  public static final class Builder {
    private boolean fusion = true;
    private boolean passes = true;
    private boolean printIr;
    private boolean printKernels;
    private boolean printBytecode;
    private PrintStream out = System.err;
    private boolean vectorize = VectorSupport.enabled();

    private Builder() {}

    public Builder fusion(boolean fusion) {
      this.fusion = fusion;
      return this;
    }

    public Builder passes(boolean passes) {
      this.passes = passes;
      return this;
    }

    public Builder printIr(boolean printIr) {
      this.printIr = printIr;
      return this;
    }

    public Builder printKernels(boolean printKernels) {
      this.printKernels = printKernels;
      return this;
    }

    public Builder printBytecode(boolean printBytecode) {
      this.printBytecode = printBytecode;
      return this;
    }

    public Builder out(PrintStream out) {
      this.out = out;
      return this;
    }

    /** Vector API code on or off; on is an error where {@link VectorSupport#enabled()} is false. */
    public Builder vectorize(boolean vectorize) {
      this.vectorize = vectorize;
      return this;
    }

    public CompilerOptions build() {
      return new CompilerOptions(fusion, passes, printIr, printKernels, printBytecode, out, vectorize);
    }
  }
}
