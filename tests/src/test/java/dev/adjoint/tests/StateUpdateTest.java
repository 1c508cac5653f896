package dev.adjoint.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.text.GraphParser;
import dev.adjoint.text.GraphPrinter;
import dev.adjoint.text.IrSyntaxException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** State written by a program: a running mean of the inputs it has seen, kept across runs. */
class StateUpdateTest {

  private static Graph runningMean() {
    GraphBuilder b = new GraphBuilder("running");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 2);
    Tensor mean = b.state("mean", DType.F64, Shape.of(2), Initializer.zeros());
    Tensor batchMean = x.mean(0);
    b.assign(mean, mean.times(0.9).plus(batchMean.times(0.1)));
    return b.build(batchMean);
  }

  @Test
  void updatesAreAppliedBetweenRunsAndReadsSeeTheOldValue() {
    Graph g = runningMean();
    NDArray state = NDArray.zeros(DType.F64, Shape.of(2));
    double[] expected = {0, 0};
    for (int step = 0; step < 3; step++) {
      NDArray x = NDArray.of(DType.F64, new int[] {2, 2}, step, 1, step + 2, 3);
      ReferenceInterpreter.Execution run = ReferenceInterpreter.execute(g, Map.of("x", x, "mean", state));
      double[] batchMean = {step + 1, 2};
      for (int j = 0; j < 2; j++) {
        assertEquals(batchMean[j], run.outputs().get(0).get(j), 1e-15);
        expected[j] = 0.9 * expected[j] + 0.1 * batchMean[j];
        assertEquals(expected[j], run.updatedState().get("mean").get(j), 1e-15);
      }
      state = run.updatedState().get("mean");
    }
  }

  @Test
  void updatesRoundTripThroughTheTextForm() {
    Graph g = runningMean();
    String text = GraphPrinter.print(g);
    assertTrue(text.contains("  update mean = add_1\n"), text);
    Graph parsed = GraphParser.parse(text);
    assertEquals(text, GraphPrinter.print(parsed));
    assertEquals("mean", parsed.updates().get(0).state().name());
  }

  @Test
  void onlyStateCanBeUpdatedWithAValueOfItsType() {
    GraphBuilder b = new GraphBuilder("bad");
    Tensor x = b.input("x", DType.F64, 2);
    Tensor s = b.state("s", DType.F64, Shape.of(3), Initializer.zeros());
    assertTrue(assertThrows(AdjointException.class, () -> b.assign(x, x)).getMessage().contains("only state"));
    assertTrue(assertThrows(AdjointException.class, () -> b.assign(s, x)).getMessage().contains("f64[3]"));
    b.assign(s, s.plus(1));
    assertTrue(assertThrows(AdjointException.class, () -> b.assign(s, s.plus(2))).getMessage().contains("already"));
  }

  @Test
  void parserRejectsAnUpdateOfANonState() {
    String text = """
        graph g {
          x = input : f64[2]
          update x = x
          return x
        }
        """;
    IrSyntaxException e = assertThrows(IrSyntaxException.class, () -> GraphParser.parse(text));
    assertEquals(3, e.line());
    assertTrue(e.getMessage().contains("only state and parameter nodes"), e.getMessage());
  }
}
