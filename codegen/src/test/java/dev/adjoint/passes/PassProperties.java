package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.F64;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import java.util.Map;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Every pass and pipeline preserves what random graphs compute, bit for bit on the reference
 * interpreter (see {@link RandomPrograms} for the one signed-zero caveat it steers around), and
 * each run through a {@link Pipeline} also passes the verifier.
 */
class PassProperties {
  private static final Evaluator REFERENCE = ReferenceInterpreter::run;

  @Provide
  Arbitrary<Graph> programs() {
    return RandomPrograms.programs(Arbitraries.of(F32, F64));
  }

  @Provide
  Arbitrary<Graph> f64Programs() {
    return RandomPrograms.programs(Arbitraries.just(F64));
  }

  private static Map<String, NDArray> feeds(Graph graph, int batch, long seed) {
    return Semantics.randomFeeds(graph, seed, batch, Map.of());
  }

  @Property(tries = 1000, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void everyPassPreservesOutputs(
      @ForAll("programs") Graph graph, @ForAll @IntRange(min = 1, max = 3) int batch, @ForAll long seed) {
    Map<String, NDArray> feeds = feeds(graph, batch, seed);
    List<Pass> passes = List.of(new SimplifyAlgebra(), new FoldConstants(REFERENCE),
        new EliminateCommonSubexpressions(), new EliminateDeadNodes());
    for (Pass pass : passes) {
      Semantics.assertSameOutputs(graph, Pipeline.of(pass).run(graph), feeds);
    }
  }

  @Property(tries = 1000, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void standardPipelinesPreserveOutputsAndReachAFixedPoint(
      @ForAll("programs") Graph graph, @ForAll @IntRange(min = 1, max = 3) int batch, @ForAll long seed) {
    Map<String, NDArray> feeds = feeds(graph, batch, seed);
    for (Pipeline pipeline : List.of(Pipeline.standard(), Pipeline.standard(REFERENCE))) {
      Graph optimized = pipeline.run(graph);
      Semantics.assertSameOutputs(graph, optimized, feeds);
      assertTrue(optimized.nodes().size() <= graph.nodes().size(), "no pass of the standard pipelines adds nodes");
      assertSame(optimized, pipeline.run(optimized), () -> "not a fixed point:\n" + GraphPrinter.print(optimized));
    }
  }

  @Property(tries = 1000, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void decomposingCompositesPreservesOutputs(
      @ForAll("f64Programs") Graph graph, @ForAll @IntRange(min = 1, max = 3) int batch, @ForAll long seed) {
    Map<String, NDArray> feeds = feeds(graph, batch, seed);
    Graph decomposed = Pipeline.of(new DecomposeComposites()).run(graph);
    assertTrue(decomposed.nodes().stream().map(n -> n.op()).noneMatch(op -> op instanceof Op.Softmax
        || op instanceof Op.LogSoftmax || op instanceof Op.SoftmaxCrossEntropy || op instanceof Op.Dropout));
    Semantics.assertSameOutputs(graph, decomposed, feeds);
    Semantics.assertSameOutputs(graph, Pipeline.standard(REFERENCE).run(decomposed), feeds);
  }
}
