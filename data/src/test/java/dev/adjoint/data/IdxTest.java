package dev.adjoint.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.io.FileFormatException;
import dev.adjoint.ir.AdjointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
  @TempDir Path dir;

  @Test
  void readsImagesAndLabels() throws IOException {
    Idx images = Idx.read(write("images", Fixtures.idx(new int[] {3, 4, 5}, Fixtures.images(3, 4, 5))));
    assertArrayEquals(new int[] {3, 4, 5}, images.dims());
    assertEquals(60, images.size());
    for (int i = 0; i < 3; i++) {
      for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 5; x++) {
          assertEquals(Fixtures.pixel(i, y, x), images.get((i * 4 + y) * 5 + x));
        }
      }
    }
    assertEquals(16, images.position(0));

    byte[] labels = {9, 0, (byte) 255};
    Idx l = Idx.read(write("labels", Fixtures.idx(new int[] {3}, labels)));
    assertArrayEquals(new int[] {3}, l.dims());
    assertEquals(255, l.get(2), "elements are unsigned");
    assertEquals(8 + 2, l.position(2));
  }

  @Test
  void emptyDimensionsAreFine() throws IOException {
    Idx empty = Idx.read(write("empty", Fixtures.idx(new int[] {0, 28, 28}, new byte[0])));
    assertEquals(0, empty.size());
    assertArrayEquals(new int[] {0, 28, 28}, empty.dims());
  }

  @Test
  void truncationAtEveryLengthIsReportedAtTheEndOfTheFile() throws IOException {
    byte[] full = Fixtures.idx(new int[] {2, 3, 3}, Fixtures.images(2, 3, 3));
    for (int length = 0; length < full.length; length++) {
      Path file = write("cut", Arrays.copyOf(full, length));
      FileFormatException e = assertThrows(FileFormatException.class, () -> Idx.read(file), "length " + length);
      assertEquals(length, e.position(), e.getMessage());
      assertTrue(e.problem().contains("truncated"), e.getMessage());
    }
  }

  @Test
  void corruptHeadersAreReportedWithTheirPosition() throws IOException {
    record Bad(byte[] bytes, long position, String message) {}
    byte[] good = Fixtures.idx(new int[] {2}, new byte[] {1, 2});
    byte[] gzipMagic = good.clone();
    gzipMagic[0] = 0x1F;
    byte[] floats = good.clone();
    floats[2] = 0x0D;
    byte[] rank0 = {0, 0, 8, 0};
    byte[] huge = Fixtures.idx(new int[] {1 << 30, 4}, new byte[0]);
    byte[] unsignedHuge = Fixtures.idx(new int[] {-1}, new byte[0]);
    byte[] trailing = Arrays.copyOf(good, good.length + 3);
    for (Bad c : new Bad[] {
        new Bad(gzipMagic, 0, "not IDX"),
        new Bad(floats, 2, "0x0D is not supported"),
        new Bad(rank0, 3, "no dimensions"),
        new Bad(huge, 8, "more elements"),
        new Bad(unsignedHuge, 4, "4294967295"),
        new Bad(trailing, good.length, "3 unexpected bytes")}) {
      Path file = write("bad", c.bytes());
      FileFormatException e = assertThrows(FileFormatException.class, () -> Idx.read(file));
      assertEquals(c.position(), e.position(), e.getMessage());
      assertTrue(e.problem().contains(c.message()), e.getMessage());
      assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }
  }

  @Test
  void aMissingFileIsNamed() {
    AdjointException e = assertThrows(AdjointException.class, () -> Idx.read(dir.resolve("nothing")));
    assertTrue(e.getMessage().contains("no IDX file at " + dir.resolve("nothing")), e.getMessage());
  }

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }
}
