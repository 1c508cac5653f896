package dev.adjoint.passes;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.text.GraphPrinter;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * An ordered list of passes. {@link #run} applies them in order, verifies the graph after every
 * pass ({@link GraphVerifier}: well-typed, same signature, same output types), and reports what
 * {@link PipelineOptions} asks for. A pipeline made {@link #untilFixedPoint} repeats the list until
 * a whole round changes nothing, at most a given number of rounds. Immutable.
 */
public final class Pipeline {
  /** Rounds of {@link #standard()}: later rounds catch what an earlier pass exposed to a later one. */
  public static final int STANDARD_MAX_ROUNDS = 4;

  private final List<Pass> passes;
  private final int maxRounds;
  private final PipelineOptions options;

  private Pipeline(List<Pass> passes, int maxRounds, PipelineOptions options) {
    this.passes = List.copyOf(passes);
    this.maxRounds = maxRounds;
    this.options = options;
    for (String selected : options.printIr()) {
      if (!selected.equals(PipelineOptions.ALL) && passes.stream().noneMatch(p -> p.name().equals(selected))) {
        throw new AdjointException("printIr names '" + selected + "', which is no pass of this pipeline; its passes "
            + "are " + names() + " (or '" + PipelineOptions.ALL + "')");
      }
    }
  }

  /** The passes, run once each in this order. */
  public static Pipeline of(List<Pass> passes) {
    return new Pipeline(passes, 1, PipelineOptions.defaults());
  }

  public static Pipeline of(Pass... passes) {
    return of(List.of(passes));
  }

  /**
   * Simplify, eliminate common subexpressions, eliminate dead nodes, until a fixed point (at most
   * {@link #STANDARD_MAX_ROUNDS} rounds). Without an {@link Evaluator} constants are not folded;
   * see {@link #standard(Evaluator)}.
   */
  public static Pipeline standard() {
    return of(new SimplifyAlgebra(), new EliminateCommonSubexpressions(), new EliminateDeadNodes())
        .untilFixedPoint(STANDARD_MAX_ROUNDS);
  }

  /**
   * Simplify, fold constants with {@code evaluator}, eliminate common subexpressions, eliminate dead
   * nodes, until a fixed point (at most {@link #STANDARD_MAX_ROUNDS} rounds). Simplifying first
   * drops identities before they are folded or compared; CSE then merges the folded constants that
   * came out equal; DCE last removes everything the others left unused.
   */
  public static Pipeline standard(Evaluator evaluator) {
    return of(
            new SimplifyAlgebra(),
            new FoldConstants(evaluator),
            new EliminateCommonSubexpressions(),
            new EliminateDeadNodes())
        .untilFixedPoint(STANDARD_MAX_ROUNDS);
  }

  /** This pipeline, repeated until a round changes nothing or {@code maxRounds} rounds have run. */
  public Pipeline untilFixedPoint(int maxRounds) {
    if (maxRounds < 1) {
      throw new AdjointException("a pipeline runs at least one round, got maxRounds = " + maxRounds);
    }
    return new Pipeline(passes, maxRounds, options);
  }

  public Pipeline withOptions(PipelineOptions options) {
    return new Pipeline(passes, maxRounds, options);
  }

  /** This pipeline with its options changed by {@code change}: {@code p.withOptions(o -> o.printIr("all"))}. */
  public Pipeline withOptions(Consumer<PipelineOptions.Builder> change) {
    PipelineOptions.Builder b = options.toBuilder();
    change.accept(b);
    return withOptions(b.build());
  }

  public List<Pass> passes() {
    return passes;
  }

  public int maxRounds() {
    return maxRounds;
  }

  public PipelineOptions options() {
    return options;
  }

  /**
   * Runs the passes on {@code graph}.
   *
   * @throws AdjointException naming the pass if a pass fails or produces an invalid graph
   */
  public Graph run(Graph graph) {
    Graph current = graph;
    for (int round = 1; round <= maxRounds; round++) {
      boolean changed = false;
      for (Pass pass : passes) {
        Graph next = runPass(pass, current, round);
        changed |= next != current;
        current = next;
      }
      if (!changed) {
        break;
      }
    }
    return current;
  }

  private Graph runPass(Pass pass, Graph before, int round) {
    boolean print = options.printsIr(pass.name());
    PrintStream out = options.out();
    String when = round > 1 ? " (round " + round + ")" : "";
    if (print) {
      out.print("# IR before " + pass.name() + when + "\n" + GraphPrinter.print(before));
    }
    Graph after;
    try {
      after = pass.run(before);
    } catch (RuntimeException e) {
      throw new AdjointException("pass '" + pass.name() + "' failed on graph '" + before.name() + "': "
          + (e instanceof AdjointException ? e.getMessage() : e.toString()), e);
    }
    // Printed before verifying: a graph the verifier rejects is the one worth seeing.
    if (print) {
      out.print(after == before
          ? "# IR after " + pass.name() + when + ": unchanged\n"
          : "# IR after " + pass.name() + when + "\n" + GraphPrinter.print(after));
    }
    if (print || options.logPasses()) {
      out.print(pass.name() + ": " + before.nodes().size() + " -> " + after.nodes().size() + " nodes"
          + (after == before ? ", unchanged" : "") + when + "\n");
    }
    if (pass.keepsSignature()) {
      GraphVerifier.verify(before, after, pass.name());
    } else {
      GraphVerifier.verify(after, pass.name());
    }
    return after;
  }

  private String names() {
    return passes.stream().map(Pass::name).collect(Collectors.joining(", ", "[", "]"));
  }

  @Override
  public String toString() {
    return "pipeline " + names() + (maxRounds > 1 ? " until a fixed point, at most " + maxRounds + " rounds" : "");
  }
}
