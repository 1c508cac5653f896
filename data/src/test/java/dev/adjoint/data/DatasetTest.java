package dev.adjoint.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.data.Dataset.Normalization;
import dev.adjoint.io.FileFormatException;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
  private static final int N = 30;
  private static final int H = 4;
  private static final int W = 3;

  @TempDir Path dir;

  private Dataset fixture() throws IOException {
    Path images = Files.write(dir.resolve("images"), Fixtures.idx(new int[] {N, H, W}, Fixtures.images(N, H, W)));
    Path labels = Files.write(dir.resolve("labels"), Fixtures.idx(new int[] {N}, Fixtures.labels(N, 10)));
    return Dataset.fromIdx(Idx.read(images), Idx.read(labels), 10);
  }

  @Test
  void imagesAreF32NchwInTheUnitIntervalAndLabelsAreI64() throws IOException {
    Dataset d = fixture();
    assertEquals(N, d.size());
    assertEquals(Shape.of(1, H, W), d.imageShape());
    NDArray images = d.images();
    assertEquals(DType.F32, images.dtype());
    assertEquals(Shape.of(N, 1, H, W), images.shape());
    for (int i = 0; i < N; i++) {
      for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
          assertEquals((float) (Fixtures.pixel(i, y, x) / 255.0), images.at(i, 0, y, x));
          assertEquals(Fixtures.pixel(i, y, x), d.pixel(i, 0, y, x));
        }
      }
    }
    NDArray labels = d.labels();
    assertEquals(DType.I64, labels.dtype());
    assertEquals(Shape.of(N), labels.shape());
    for (int i = 0; i < N; i++) {
      assertEquals(i * 7 % 10, labels.get(i));
      assertEquals(i * 7 % 10, d.label(i));
    }
  }

  @Test
  void normalizationIsAppliedInDoubleThenRounded() throws IOException {
    Dataset d = fixture().normalized(Normalization.MNIST);
    NDArray images = d.images();
    for (int i = 0; i < N; i++) {
      double expected = (Fixtures.pixel(i, 1, 2) / 255.0 - 0.1307) / 0.3081;
      assertEquals((float) expected, images.at(i, 0, 1, 2));
    }
    assertEquals(Normalization.MNIST, d.normalization());
    assertEquals(fixture().labels(), d.labels());
    assertThrows(AdjointException.class, () -> new Normalization(0, 0));
    assertThrows(AdjointException.class, () -> new Normalization(Double.NaN, 1));
  }

  @Test
  void subsetsAreFixedAndKeepTheNormalization() throws IOException {
    Dataset d = fixture().normalized(Normalization.MNIST);
    Dataset head = d.head(7);
    assertEquals(7, head.size());
    for (int i = 0; i < 7; i++) {
      assertEquals(d.label(i), head.label(i));
    }
    assertEquals(Normalization.MNIST, head.normalization());

    Dataset balanced = d.balanced(2);
    assertArrayEquals(new int[] {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, balanced.classCounts());
    // Labels i·7 mod 10 run through every class in each 10 rows, so two per class are rows 0 to 19.
    for (int k = 0; k < 20; k++) {
      assertEquals(d.label(k), balanced.label(k));
      assertEquals(Fixtures.pixel(k, 3, 2), balanced.pixel(k, 0, 3, 2));
    }
    AdjointException e = assertThrows(AdjointException.class, () -> d.balanced(4));
    assertTrue(e.getMessage().contains("only 3"), e.getMessage());

    Dataset picked = d.select(5, 5, 0);
    assertEquals(3, picked.size());
    assertEquals(d.images().at(5, 0, 2, 1), picked.images().at(1, 0, 2, 1));
    assertThrows(AdjointException.class, () -> d.select(N));
    assertThrows(AdjointException.class, () -> d.head(N + 1));
  }

  @Test
  void mismatchedFilesAndBadLabelsAreFormatErrors() throws IOException {
    Idx images = Idx.read(Files.write(dir.resolve("i"), Fixtures.idx(new int[] {2, 2, 2}, new byte[8])));
    Idx threeLabels = Idx.read(Files.write(dir.resolve("l3"), Fixtures.idx(new int[] {3}, new byte[3])));
    FileFormatException e = assertThrows(FileFormatException.class, () -> Dataset.fromIdx(images, threeLabels, 10));
    assertTrue(e.problem().contains("3 labels") && e.problem().contains("2 images"), e.getMessage());

    Idx badLabel = Idx.read(Files.write(dir.resolve("l2"), Fixtures.idx(new int[] {2}, new byte[] {3, 10})));
    e = assertThrows(FileFormatException.class, () -> Dataset.fromIdx(images, badLabel, 10));
    assertEquals(9, e.position(), e.getMessage());
    assertTrue(e.problem().contains("label 1 is 10"), e.getMessage());

    Idx flat = Idx.read(Files.write(dir.resolve("flat"), Fixtures.idx(new int[] {2, 4}, new byte[8])));
    e = assertThrows(FileFormatException.class, () -> Dataset.fromIdx(flat, badLabel, 11));
    assertTrue(e.problem().contains("[N, H, W]"), e.getMessage());
  }

  @Test
  void fourDimensionalIdxFilesHaveChannels() throws IOException {
    byte[] pixels = new byte[2 * 3 * 2 * 2];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 10);
    }
    Idx images = Idx.read(Files.write(dir.resolve("rgb"), Fixtures.idx(new int[] {2, 3, 2, 2}, pixels)));
    Idx labels = Idx.read(Files.write(dir.resolve("l"), Fixtures.idx(new int[] {2}, new byte[] {0, 1})));
    Dataset d = Dataset.fromIdx(images, labels, 2);
    assertEquals(Shape.of(3, 2, 2), d.imageShape());
    assertEquals((float) (230 / 255.0), d.images().at(1, 2, 1, 1));
    assertEquals(230, d.pixel(1, 2, 1, 1));
  }

  @Test
  void ofCopiesAndValidates() {
    byte[] pixels = {0, (byte) 255, 10, 20};
    byte[] labels = {1, 0};
    Dataset d = Dataset.of(pixels, labels, 1, 1, 2, 2);
    pixels[0] = 99;
    assertEquals(0, d.pixel(0, 0, 0, 0), "the dataset holds its own copy");
    assertEquals(1f, d.images().at(0, 0, 0, 1));
    assertThrows(AdjointException.class, () -> Dataset.of(new byte[3], labels, 1, 1, 2, 2));
    AdjointException e = assertThrows(AdjointException.class, () -> Dataset.of(new byte[4], new byte[] {0, 2}, 1, 1, 2, 2));
    assertTrue(e.getMessage().contains("label 1 is 2"), e.getMessage());
    assertThrows(AdjointException.class, () -> Dataset.of(new byte[0], new byte[0], 0, 1, 1, 2));
  }

  @Test
  void batchesCopyIntoCallerBuffers() throws IOException {
    Dataset d = fixture();
    Batch b = new DataLoader(d, 4).batch(0, 1);
    float[] images = new float[1 + 4 * H * W];
    long[] labels = new long[5];
    b.copyImagesTo(images, 1);
    b.copyLabelsTo(labels, 1);
    NDArray expected = b.images();
    for (int i = 0; i < expected.size(); i++) {
      assertEquals((float) expected.get(i), images[1 + i]);
    }
    assertArrayEquals(new long[] {0, 4 * 7 % 10, 5 * 7 % 10, 6 * 7 % 10, 7 * 7 % 10}, labels);
    assertThrows(AdjointException.class, () -> b.copyImagesTo(new float[4 * H * W], 1));
    assertSame(d, new DataLoader(d, 4).dataset());
  }
}
