package dev.adjoint.passes;

import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.I32;
import static dev.adjoint.ir.Shape.BATCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.text.GraphParser;
import dev.adjoint.text.GraphPrinter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The IR of a small MLP before and after {@link Pipeline#standard(Evaluator)}, and the pipeline's
 * log, against golden files, so any change in what the passes do is a diff to review. To accept a
 * deliberate change, regenerate the files and review them in git:
 *
 * <pre>
 * mvn -o -q -pl codegen test -Dtest=PipelineGoldenTest -Dadjoint.golden.update=true
 * </pre>
 *
 * The files are read from the source tree (tests run in the module directory), so updates land
 * where git sees them.
 */
class PipelineGoldenTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden");
  private static final boolean UPDATE = Boolean.getBoolean("adjoint.golden.update");

  /**
   * An MLP whose input is scaled by {@code x·1 + 0}, whose first layer is computed twice (a
   * residual sum of two equal branches), whose logits are scaled by a constant expression equal
   * to 1, and which builds a summary nobody returns.
   */
  static Graph mlp() {
    GraphBuilder b = new GraphBuilder("mlp");
    Tensor x = b.input("x", F32, BATCH, 4);
    Tensor labels = b.input("labels", I32, BATCH);
    Tensor scaled = x.times(1).plus(0).named("scaled");
    Tensor hidden = b.scope("dense1", () -> dense(b, scaled, 8)).relu();
    Tensor again = scaled.matmul(b.get("dense1/w")).plus(b.get("dense1/b")).relu();
    Tensor residual = hidden.plus(again).named("residual");
    residual.sigmoid().mean().named("unused_summary");
    Tensor unit = b.scalar(F32, 2).times(b.scalar(F32, 0.5)).named("unit");
    Tensor logits = b.scope("dense2", () -> dense(b, residual, 3)).times(unit).named("logits");
    Tensor loss = b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("loss");
    return b.build(loss, logits);
  }

  private static Tensor dense(GraphBuilder b, Tensor x, int units) {
    Tensor w = b.parameter("w", F32, Initializer.heNormal(), x.shape().dim(1), units);
    Tensor bias = b.parameter("b", F32, Initializer.zeros(), units);
    return x.matmul(w).plus(bias);
  }

  @Test
  void standardPipelineOnAnMlp() throws IOException {
    Graph before = mlp();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Graph after = Pipeline.standard(ReferenceInterpreter::run)
        .withOptions(o -> o.logPasses(true).out(new PrintStream(log, true, StandardCharsets.UTF_8)))
        .run(before);
    assertGolden("mlp.before.ir", GraphPrinter.print(before));
    assertGolden("mlp.after.ir", GraphPrinter.print(after));
    assertGolden("mlp.passes.log", log.toString(StandardCharsets.UTF_8));
    assertEquals(GraphPrinter.print(after), GraphPrinter.print(GraphParser.parse(GraphPrinter.print(after))),
        "the optimized graph reads back");
    Semantics.assertSameOutputs(before, after, Semantics.randomFeeds(before, 5, 4,
        Map.of("labels", NDArray.of(I32, new int[] {4}, 0, 2, 1, 2))));
  }

  private static void assertGolden(String name, String text) throws IOException {
    Path file = GOLDEN.resolve(name);
    if (UPDATE) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    }
    assertTrue(Files.exists(file),
        file.toAbsolutePath() + " is missing; run with -Dadjoint.golden.update=true to create it");
    assertEquals(Files.readString(file, StandardCharsets.UTF_8), text, "text differs from " + file);
  }
}
