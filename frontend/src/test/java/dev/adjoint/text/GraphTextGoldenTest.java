package dev.adjoint.text;

import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.I32;
import static dev.adjoint.ir.Shape.BATCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Op;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Compares the printed text of a few graphs with golden files, so any change of the text form is a
 * diff to review. To accept a deliberate change, regenerate the files and review them in git:
 *
 * <pre>
 * mvn -o -q -pl frontend test -Dtest=GraphTextGoldenTest -Dadjoint.golden.update=true
 * </pre>
 *
 * The files are read from the source tree (tests run in the module directory), so updates land
 * where git sees them.
 */
class GraphTextGoldenTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden");
  private static final boolean UPDATE = Boolean.getBoolean("adjoint.golden.update");

  @Test
  void mlp() throws IOException {
    GraphBuilder b = new GraphBuilder("mlp");
    Tensor x = b.input("x", F32, BATCH, 4);
    Tensor labels = b.input("labels", I32, BATCH);
    Tensor hidden = b.scope("dense1", () -> dense(b, x, 8)).relu().named("hidden");
    Tensor logits = b.scope("dense2", () -> dense(b, hidden, 3)).named("logits");
    Tensor loss = b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("loss");
    assertGolden("mlp", b.build(loss, logits));
  }

  @Test
  void shapeOps() throws IOException {
    GraphBuilder b = new GraphBuilder("shape_ops");
    Tensor images = b.input("images", F32, BATCH, 2, 3, 3);
    Tensor flat = images.flatten().named("flat");
    Tensor channelsLast = images.transpose(0, 2, 3, 1).named("channels_last");
    Tensor padded = images.pad(new int[] {0, 0, 1, 1}, new int[] {0, 0, 1, 1}, 0.0).named("padded");
    Tensor center = padded.slice(new int[] {0, 0, 1, 1}, new int[] {BATCH, 2, 4, 4}).named("center");
    Tensor bias = b.constant(F32, new int[] {2, 1, 1}, 0.5, -0.25).named("bias");
    Tensor shifted = center.plus(bias.broadcastTo(BATCH, 2, 3, 3)).named("shifted");
    Tensor both = shifted.concat(1, images).named("both");
    Tensor mean = flat.sum().div(flat.sizeOf()).named("mean");
    assertGolden("shape_ops", b.build(both, channelsLast, mean));
  }

  /** {@code x · w + b} with the parameters named {@code w} and {@code b} in the current scope. */
  private static Tensor dense(GraphBuilder b, Tensor x, int units) {
    int in = x.shape().dim(1);
    Tensor w = b.parameter("w", F32, Initializer.heNormal(), in, units);
    Tensor bias = b.parameter("b", F32, Initializer.zeros(), units);
    return x.matmul(w).plus(bias);
  }

  private static void assertGolden(String name, Graph graph) throws IOException {
    String text = GraphPrinter.print(graph);
    Path file = GOLDEN.resolve(name + ".ir");
    if (UPDATE) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    }
    assertTrue(Files.exists(file), file.toAbsolutePath() + " is missing; run with -Dadjoint.golden.update=true to create it");
    assertEquals(Files.readString(file, StandardCharsets.UTF_8), text, "printed text differs from " + file);
    RoundTrip.assertSameGraph(graph, GraphParser.parse(text));
  }
}
