package dev.adjoint.passes;

import java.io.PrintStream;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What a {@link Pipeline} reports while it runs. {@code printIr} selects the passes whose IR is
 * printed before and after they run (by pass name, or {@link #ALL}), each with a log line such as
 * {@code eliminate-dead-nodes: 57 -> 41 nodes}; {@code logPasses} prints that line for every pass.
 * Everything goes to {@code out}.
 */
public record PipelineOptions(Set<String> printIr, PrintStream out, boolean logPasses) {
  /** Selects every pass for {@code printIr}. */
  public static final String ALL = "all";

  public PipelineOptions {
    printIr = Set.copyOf(printIr);
  }

  /** Prints nothing; {@code out} is stderr. */
  public static PipelineOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder().out(out).logPasses(logPasses);
    printIr.forEach(b::printIr);
    return b;
  }

  /** Whether the IR around {@code pass} is printed. */
  public boolean printsIr(String pass) {
    return printIr.contains(ALL) || printIr.contains(pass);
  }

  public static final class Builder {
    private final Set<String> printIr = new LinkedHashSet<>();
    private PrintStream out = System.err;
    private boolean logPasses;

    private Builder() {}

    /** Prints the IR before and after the pass named {@code pass}, or every pass for {@link #ALL}. */
    public Builder printIr(String pass) {
      printIr.add(pass);
      return this;
    }

    /** Where IR and log lines go; stderr by default. */
    public Builder out(PrintStream out) {
      this.out = out;
      return this;
    }

    /** Prints {@code pass-name: before -> after nodes} for every pass, IR printed or not. */
    public Builder logPasses(boolean logPasses) {
      this.logPasses = logPasses;
      return this;
    }

    public PipelineOptions build() {
      return new PipelineOptions(printIr, out, logPasses);
    }
  }
}
