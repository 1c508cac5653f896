package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Op;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.text.GraphPrinter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class PipelineTest {

  /** {@code exp(x)·1} returned, with a dead {@code tanh(x)}: 5 nodes. */
  private static Graph graph() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    x.tanh();
    return b.build(x.exp().times(1));
  }

  /** Runs {@code pipeline} on {@link #graph} and returns what it printed. */
  private static String printed(Pipeline pipeline) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    pipeline.withOptions(o -> o.out(out)).run(graph());
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** A pass that records each graph it sees and returns {@code result} of it. */
  private record Recording(String name, List<Graph> seen, UnaryOperator<Graph> result)
      implements Pass {
    @Override
    public Graph run(Graph graph) {
      seen.add(graph);
      return result.apply(graph);
    }
  }

  @Test
  void printsTheIrBeforeAndAfterTheSelectedPassOnly() {
    Graph g = graph();
    Graph simplified = new SimplifyAlgebra().run(g);
    Graph clean = new EliminateDeadNodes().run(simplified);
    String text = printed(Pipeline.of(new SimplifyAlgebra(), new EliminateDeadNodes())
        .withOptions(o -> o.printIr("eliminate-dead-nodes")));
    assertEquals(
        "# IR before eliminate-dead-nodes\n" + GraphPrinter.print(simplified)
            + "# IR after eliminate-dead-nodes\n" + GraphPrinter.print(clean)
            + "eliminate-dead-nodes: 4 -> 2 nodes\n",
        text);
  }

  @Test
  void printsEveryPassWithAllAndMarksUnchangedOnes() {
    String text = printed(Pipeline.of(new SimplifyAlgebra(), new SimplifyAlgebra(), new EliminateDeadNodes())
        .withOptions(o -> o.printIr(PipelineOptions.ALL)));
    assertEquals(2, text.split("# IR before simplify-algebra\n", -1).length - 1, text);
    assertTrue(text.contains("simplify-algebra: 5 -> 4 nodes\n"), text);
    assertTrue(
        text.contains("# IR after simplify-algebra: unchanged\nsimplify-algebra: 4 -> 4 nodes, unchanged\n"), text);
    assertTrue(text.contains("# IR before eliminate-dead-nodes\n"), text);
  }

  @Test
  void logsOneLinePerPassPerRound() {
    String text = printed(Pipeline.standard(ReferenceInterpreter::run).withOptions(o -> o.logPasses(true)));
    assertEquals(
        """
        simplify-algebra: 5 -> 4 nodes
        fold-constants: 4 -> 4 nodes, unchanged
        eliminate-common-subexpressions: 4 -> 4 nodes, unchanged
        eliminate-dead-nodes: 4 -> 2 nodes
        simplify-algebra: 2 -> 2 nodes, unchanged (round 2)
        fold-constants: 2 -> 2 nodes, unchanged (round 2)
        eliminate-common-subexpressions: 2 -> 2 nodes, unchanged (round 2)
        eliminate-dead-nodes: 2 -> 2 nodes, unchanged (round 2)
        """,
        text);
  }

  @Test
  void printsTheGraphThatTheVerifierRejects() {
    Pass dropsOutputs =
        new Recording("drop-outputs", new ArrayList<>(), h -> new Graph(h.name(), h.nodes(), List.of()));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Pipeline p = Pipeline.of(dropsOutputs)
        .withOptions(o -> o.printIr("drop-outputs").out(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
    assertThrows(AdjointException.class, () -> p.run(graph()));
    assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("# IR after drop-outputs\n"));
  }

  @Test
  void printsNothingByDefault() {
    assertEquals("", printed(Pipeline.standard()));
  }

  @Test
  void anUnknownPassNameIsAnError() {
    AdjointException e = assertThrows(AdjointException.class,
        () -> Pipeline.standard().withOptions(o -> o.printIr("cse")));
    assertTrue(e.getMessage().contains("printIr names 'cse', which is no pass of this pipeline; its passes are "
        + "[simplify-algebra, eliminate-common-subexpressions, eliminate-dead-nodes]"), e.getMessage());
  }

  @Test
  void standardPipelinesRunTheirPassesInOrder() {
    assertEquals(List.of("simplify-algebra", "eliminate-common-subexpressions", "eliminate-dead-nodes"),
        Pipeline.standard().passes().stream().map(Pass::name).toList());
    assertEquals(
        List.of("simplify-algebra", "fold-constants", "eliminate-common-subexpressions", "eliminate-dead-nodes"),
        Pipeline.standard(ReferenceInterpreter::run).passes().stream().map(Pass::name).toList());
    assertEquals(Pipeline.STANDARD_MAX_ROUNDS, Pipeline.standard().maxRounds());
  }

  @Test
  void passesRunInOrderEachOnTheResultOfTheLast() {
    List<Graph> seen = new ArrayList<>();
    Graph g = graph();
    Pipeline p = Pipeline.of(
        new Recording("first", seen, h -> new SimplifyAlgebra().run(h)),
        new Recording("second", seen, h -> new EliminateDeadNodes().run(h)));
    Graph result = p.run(g);
    assertSame(g, seen.get(0));
    assertEquals(List.of("input", "tanh", "exp", "constant"), Semantics.ops(seen.get(1)));
    assertEquals(List.of("input", "exp"), Semantics.ops(result));
  }

  @Test
  void aFixedPointStopsAfterTheFirstRoundThatChangesNothing() {
    List<Graph> seen = new ArrayList<>();
    Pipeline p = Pipeline.of(new Recording("dce", seen, h -> new EliminateDeadNodes().run(h))).untilFixedPoint(10);
    p.run(graph());
    assertEquals(2, seen.size(), "one round that changes the graph, one that does not");
  }

  @Test
  void aFixedPointIsBounded() {
    List<Graph> seen = new ArrayList<>();
    // Appends a negation each time, so it never converges.
    Pass growing = new Recording("grow", seen, h -> {
      GraphBuilder b = GraphBuilder.extending(h);
      return b.build(b.tensor(h.output(0)).unaryMinus());
    });
    Graph result = Pipeline.of(growing).untilFixedPoint(3).run(graph());
    assertEquals(3, seen.size());
    assertEquals(3, Semantics.count(result, Op.Unary.class) - Semantics.count(graph(), Op.Unary.class));
    assertThrows(AdjointException.class, () -> Pipeline.of(growing).untilFixedPoint(0));
  }

  @Test
  void optionsCopyThroughTheirBuilder() {
    PipelineOptions options = PipelineOptions.builder().printIr("a").printIr("b").logPasses(true).build();
    assertEquals(options, options.toBuilder().build());
    assertTrue(options.printsIr("a"));
    assertFalse(options.printsIr("c"));
    assertTrue(PipelineOptions.builder().printIr(PipelineOptions.ALL).build().printsIr("c"));
  }
}
