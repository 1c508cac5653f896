package dev.adjoint.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.io.FileFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TarTest {
  private static Map<String, byte[]> files() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("package/package.json", "{\"name\":\"x\"}".getBytes());
    files.put("package/data/empty", new byte[0]);
    files.put("package/data/block", new byte[512]);
    byte[] odd = new byte[777];
    Arrays.fill(odd, (byte) 3);
    files.put("package/data/odd", odd);
    files.put("package/" + "d".repeat(60) + "/" + "f".repeat(70), new byte[] {1, 2});
    return files;
  }

  private static Map<String, byte[]> read(byte[] archive) throws IOException {
    Map<String, byte[]> read = new LinkedHashMap<>();
    Tar.read(new ByteArrayInputStream(archive), "test.tar", (name, size, content) -> {
      byte[] bytes = content.readAllBytes();
      assertEquals(size, bytes.length);
      read.put(name, bytes);
    });
    return read;
  }

  @Test
  void readsEveryRegularFileWithItsFullName() throws IOException {
    Map<String, byte[]> read = read(Fixtures.tar(files()));
    assertEquals(files().keySet(), read.keySet());
    files().forEach((name, bytes) -> assertArrayEquals(bytes, read.get(name), name));
  }

  @Test
  void skipsDirectoriesAndWhatAVisitorLeavesUnread() throws IOException {
    ByteArrayOutputStream archive = new ByteArrayOutputStream();
    archive.writeBytes(Fixtures.tarHeader("package/", 0, (byte) '5'));
    archive.writeBytes(Fixtures.tarHeader("package/pax", 10, (byte) 'x'));
    archive.writeBytes(Arrays.copyOf("10 a=b\n".getBytes(), 512));
    archive.writeBytes(Fixtures.tar(files()));
    Map<String, Long> sizes = new LinkedHashMap<>();
    Tar.read(new ByteArrayInputStream(archive.toByteArray()), "test.tar", (name, size, content) -> {
      content.read(); // reads one byte at most and leaves the rest
      sizes.put(name, size);
    });
    assertEquals(files().keySet(), sizes.keySet());
    assertEquals(777L, sizes.get("package/data/odd"));
  }

  @Test
  void truncationAnywhereIsAFormatError() throws IOException {
    byte[] archive = Fixtures.tar(files());
    int end = archive.length - 1024; // without the closing zero blocks, which are optional
    for (int length = 1; length < end; length += 97) {
      byte[] cut = Arrays.copyOf(archive, length);
      FileFormatException e = assertThrows(FileFormatException.class, () -> read(cut), "length " + length);
      assertEquals(length, e.position(), e.getMessage());
    }
    assertEquals(files().keySet(), read(Arrays.copyOf(archive, end)).keySet());
  }

  @Test
  void aCorruptHeaderFailsItsChecksum() {
    byte[] archive = Fixtures.tar(files());
    archive[3] ^= 1; // in the first file's name
    FileFormatException e = assertThrows(FileFormatException.class, () -> read(archive));
    assertEquals(148, e.position());
    assertTrue(e.problem().contains("checksum"), e.getMessage());

    byte[] badSize = Fixtures.tar(files());
    badSize[124] = 'x';
    e = assertThrows(FileFormatException.class, () -> read(badSize));
    assertTrue(e.problem().contains("checksum") || e.problem().contains("octal"), e.getMessage());
  }
}
