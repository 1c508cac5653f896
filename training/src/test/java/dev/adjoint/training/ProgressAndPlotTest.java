package dev.adjoint.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.AdjointException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressAndPlotTest {

  @Test
  void aNonInteractiveBarPrintsOneLinePerTenth() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), "epoch 1", 20, false);
    for (int i = 1; i <= 20; i++) {
      bar.update(i, 8, 1.0 / i, 0.5);
    }
    bar.finish();
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(11, lines.length, "the first update, then one line per tenth: " + Arrays.toString(lines));
    assertTrue(lines[10].startsWith("epoch 1 [" + "=".repeat(30) + "] 20/20  loss 0.0500  acc  50.0%"), lines[10]);
    assertTrue(lines[0].contains("] 1/20") && lines[1].contains("] 2/20"), lines[1]);
  }

  @Test
  void anInteractiveBarRedrawsInPlace() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), "e", 4, true);
    bar.update(1, 1, 0.5, 1);
    bar.update(2, 1, 0.25, 1);
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(2, text.chars().filter(c -> c == '\r').count());
    assertTrue(text.contains("[" + "=".repeat(15) + ">"), text);
  }

  @Test
  void thePlotIsAPng(@TempDir Path dir) throws Exception {
    TrainingPlot plot = new TrainingPlot();
    for (int s = 1; s <= 50; s++) {
      plot.add(s, 2.0 / s, 1 - 1.0 / s);
    }
    Path png = dir.resolve("plots/curves.png");
    plot.write(png, "toy");
    byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
    try (var files = Files.list(png.getParent())) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void anEmptyPlotIsAClearError(@TempDir Path dir) {
    AdjointException e = assertThrows(AdjointException.class, () -> new TrainingPlot().write(dir.resolve("p.png"), "x"));
    assertTrue(e.getMessage().contains("nothing to plot"), e.getMessage());
  }

  @Test
  void aPlotUnderAFileSaysWhatIsInTheWay(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("results"), "not a directory");
    TrainingPlot plot = new TrainingPlot();
    plot.add(1, 1, 0.5);
    AdjointException e = assertThrows(AdjointException.class, () -> plot.write(file.resolve("curves.png"), "x"));
    assertTrue(e.getMessage().contains(file + " already exists and is not a directory"), e.getMessage());
  }

  @Test
  void thePlotIsReadableLikeAnyOtherFile(@TempDir Path dir) throws Exception {
    TrainingPlot plot = new TrainingPlot();
    plot.add(1, 1, 0.5);
    Path png = dir.resolve("p.png");
    plot.write(png, "x");
    assertTrue(Files.getPosixFilePermissions(png).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ),
        Files.getPosixFilePermissions(png).toString());
  }
}
