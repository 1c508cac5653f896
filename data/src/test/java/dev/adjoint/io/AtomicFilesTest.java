package dev.adjoint.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.AdjointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void replacesTheTargetWithTheWholeContent() throws IOException {
    Path file = dir.resolve("f.bin");
    Files.write(file, new byte[] {9, 9, 9, 9, 9});
    AtomicFiles.write(file, out -> out.write(new byte[] {1, 2, 3}));
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
    assertEquals(List.of(file), list());
  }

  @Test
  void aWriteThatFailsHalfwayLeavesTheOldFileAndNoTemporaryFile() throws IOException {
    Path file = dir.resolve("f.bin");
    Files.write(file, new byte[] {4, 5, 6});
    RuntimeException failure = new IllegalStateException("disk full, say");
    RuntimeException thrown = assertThrows(RuntimeException.class, () -> AtomicFiles.write(file, out -> {
      out.write(new byte[100_000]); // more than the buffer, so part of it reached the temporary file
      throw failure;
    }));
    assertSame(failure, thrown);
    assertArrayEquals(new byte[] {4, 5, 6}, Files.readAllBytes(file));
    assertEquals(List.of(file), list());

    AdjointException io = assertThrows(AdjointException.class, () -> AtomicFiles.write(file, out -> {
      out.write(1);
      throw new IOException("device error");
    }));
    assertTrue(io.getMessage().contains("device error") && io.getMessage().contains(file.toString()), io.getMessage());
    assertArrayEquals(new byte[] {4, 5, 6}, Files.readAllBytes(file));
    assertEquals(List.of(file), list());
  }

  @Test
  void createsMissingDirectoriesAndReportsATargetThatCannotBeReplaced() throws IOException {
    Path nested = dir.resolve("a/b/c.bin");
    AtomicFiles.write(nested, out -> out.write(7));
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(nested));

    Path directory = Files.createDirectories(dir.resolve("occupied"));
    Files.write(directory.resolve("inside"), new byte[] {1});
    AdjointException e = assertThrows(AdjointException.class, () -> AtomicFiles.write(directory, out -> out.write(1)));
    assertTrue(e.getMessage().contains(directory.toString()), e.getMessage());
    assertTrue(Files.isDirectory(directory));
  }

  private List<Path> list() throws IOException {
    try (var files = Files.list(dir)) {
      return files.sorted().toList();
    }
  }
}
