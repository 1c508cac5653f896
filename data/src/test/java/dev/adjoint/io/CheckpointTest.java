package dev.adjoint.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path dir;

  /** Every dtype, a scalar, a zero-size tensor, odd shapes and values at the edges of each dtype. */
  static Map<String, NDArray> sample() {
    Map<String, NDArray> t = new LinkedHashMap<>();
    t.put("w", NDArray.of(DType.F32, Shape.of(2, 3), 1.5, -0.0, Float.MIN_VALUE, Float.MAX_VALUE, Double.NaN, Double.NEGATIVE_INFINITY));
    t.put("bias", NDArray.of(DType.F64, Shape.of(3), Math.PI, -Double.MIN_VALUE, 1e308));
    t.put("step", NDArray.scalar(DType.I64, 1234567890123L));
    t.put("labels", NDArray.of(DType.I32, Shape.of(1, 1, 4), Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE));
    t.put("mask", NDArray.of(DType.BOOL, Shape.of(5), 1, 0, 0, 1, 1));
    t.put("empty", NDArray.zeros(DType.F32, Shape.of(0, 7)));
    t.put("big_ints", NDArray.of(DType.I64, Shape.of(2), (double) (1L << 53), (double) -(1L << 53)));
    return t;
  }

  @Test
  void roundTripsEveryDTypeShapeAndMetadata() {
    Path file = dir.resolve("model.safetensors");
    Map<String, String> metadata = Map.of("format", "adjoint", "step", "42", "note", "quote \" backslash \\ newline \n é 😀");
    Checkpoint.write(file, sample(), metadata);
    Checkpoint read = Checkpoint.read(file);
    assertEquals(sample(), read.tensors());
    assertEquals(metadata, read.metadata());
    assertEquals(new Checkpoint(sample(), metadata), read);
    // -0.0 keeps its sign and the NaN stays a NaN: the comparison above is bitwise on doubles.
    assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(read.tensor("w").get(1)));
  }

  @Test
  void anEmptyCheckpointRoundTrips() {
    Path file = dir.resolve("empty.safetensors");
    Checkpoint.write(file, Map.of(), Map.of());
    Checkpoint read = Checkpoint.read(file);
    assertTrue(read.tensors().isEmpty());
    assertTrue(read.metadata().isEmpty());
  }

  /**
   * The bytes of a tiny file, worked out from the spec: the u64 little-endian header length, the
   * compact JSON header padded with spaces to a multiple of 8, then the tensors sorted by name.
   */
  @Test
  void writesTheExactBytesTheSpecDescribes() throws IOException {
    Path file = dir.resolve("tiny.safetensors");
    Checkpoint.write(file,
        Map.of("b", NDArray.scalar(DType.I64, 7), "a", NDArray.of(DType.F32, Shape.of(2), 1.0, -2.5)),
        Map.of("k", "v"));
    String json = "{\"__metadata__\":{\"k\":\"v\"},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
    assertEquals(132, json.length());
    String padded = json + "    "; // 136 bytes: a multiple of 8
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(new byte[] {(byte) 136, 0, 0, 0, 0, 0, 0, 0});
    expected.writeBytes(padded.getBytes(StandardCharsets.US_ASCII));
    expected.writeBytes(new byte[] {0x00, 0x00, (byte) 0x80, 0x3F}); // 1.0f = 0x3F800000
    expected.writeBytes(new byte[] {0x00, 0x00, 0x20, (byte) 0xC0}); // -2.5f = 0xC0200000
    expected.writeBytes(new byte[] {7, 0, 0, 0, 0, 0, 0, 0});
    assertArrayEquals(expected.toByteArray(), Files.readAllBytes(file));
  }

  @Test
  void readsHeadersInAnyOrderWithWhitespaceAndEscapes() throws IOException {
    // Hand-written: data listed out of order in the header, spaced JSON, an escaped name, no metadata.
    String json = "{ \"z\\u00e9\" : {\"shape\": [1], \"dtype\": \"F64\", \"data_offsets\": [4, 12]},\n"
        + "  \"\\ud83d\\ude00\": {\"data_offsets\": [0, 4], \"dtype\": \"I32\", \"shape\": [] } }";
    ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(-5).putDouble(0.25);
    Path file = write(json, data.array());
    Checkpoint read = Checkpoint.read(file);
    assertEquals(NDArray.scalar(DType.I32, -5), read.tensor("😀"));
    assertEquals(NDArray.of(DType.F64, Shape.of(1), 0.25), read.tensor("zé"));
    assertTrue(read.metadata().isEmpty());
  }

  @Test
  void truncationAtEveryLengthIsAFormatError() throws IOException {
    Path full = dir.resolve("full.safetensors");
    Checkpoint.write(full, sample(), Map.of("k", "v"));
    byte[] bytes = Files.readAllBytes(full);
    Path cut = dir.resolve("cut.safetensors");
    for (int length = 0; length < bytes.length; length++) {
      Files.write(cut, Arrays.copyOf(bytes, length));
      int n = length;
      FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(cut), "length " + n);
      assertTrue(e.position() >= 0 && e.position() <= bytes.length, e.getMessage());
      assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
    }
  }

  @Test
  void aTruncatedDataBufferNamesTheTensor() throws IOException {
    Path file = write("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[12]);
    FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(file));
    assertTrue(e.problem().contains("truncated") && e.problem().contains("'a'"), e.getMessage());
    assertEquals(Files.size(file), e.position());
  }

  @Test
  void rejectsAHeaderLengthBeyondTheCapBeforeReadingIt() throws IOException {
    Path file = dir.resolve("huge.safetensors");
    Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Checkpoint.MAX_HEADER_BYTES + 1).array());
    FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(file));
    assertEquals(0, e.position());
    assertTrue(e.problem().contains("limit"), e.getMessage());
    Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());
    assertTrue(assertThrows(FileFormatException.class, () -> Checkpoint.read(file)).problem().contains("18446744073709551615"));
  }

  /** Each bad header, the text its message must contain, and the header index where the problem is. */
  record BadHeader(String json, String message, int index) {}

  @Test
  void badHeadersAreReportedWithTheirPosition() throws IOException {
    String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
    List<BadHeader> cases = List.of(
        new BadHeader("[" + a + "]", "starting with '{'", 0),
        new BadHeader(" {" + a + "}", "starting with '{'", 0),
        new BadHeader("{" + a, "expected ',' or '}'", 1 + a.length()),
        new BadHeader("{" + a + "} x", "unexpected 'x'", a.length() + 3),
        new BadHeader("{" + a + "," + a + "}", "appears twice", a.length() + 2),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "has no data_offsets", 31),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", "unknown field \"extra\"", 53),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\"}}", "appears twice", 20),
        new BadHeader("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", "must be a string", 14),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "must be an integer", 30),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "negative", 29),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", "leading zero", 29),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", "too large", 29),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", "[begin, end]", 47),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,true]}}", "expected a number", 50),
        new BadHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":null}}", "expected '['", 47),
        new BadHeader("{\"__metadata__\":{\"k\":1}," + a + "}", "must be a string", 21),
        new BadHeader("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}," + a + "}", "appears twice", 25),
        new BadHeader("{\"__metadata__\":{},\"__metadata__\":{}," + a + "}", "appears twice", 19),
        new BadHeader("{\"a\\q\":{}}", "invalid escape", 3),
        new BadHeader("{\"\\ud800\":{}}", "unpaired surrogate", 2),
        new BadHeader("{\"\\u12\":{}}", "four hex digits", 6),
        new BadHeader("{\"a\tb\":{}}", "control character", 3),
        new BadHeader("{\"abc", "unterminated string", 1));
    for (BadHeader c : cases) {
      Path file = write(c.json(), new byte[4]);
      FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(file), c.json());
      assertTrue(e.problem().contains(c.message()), c.json() + " → " + e.getMessage());
      assertEquals(8 + c.index(), e.position(), c.json() + " → " + e.getMessage());
    }
  }

  @Test
  void invalidUtf8InANameIsAFormatError() throws IOException {
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.writeBytes("{\"".getBytes(StandardCharsets.US_ASCII));
    header.write(0xC3); // a lead byte with no continuation
    header.writeBytes("\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.US_ASCII));
    Path file = write(header.toByteArray(), new byte[4]);
    FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(file));
    assertTrue(e.problem().contains("UTF-8"), e.getMessage());
    assertEquals(9, e.position());
  }

  @Test
  void inconsistentEntriesNameTheTensor() throws IOException {
    record Bad(String json, int dataBytes, String message) {}
    List<Bad> cases = List.of(
        new Bad("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "dtype F16"),
        new Bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20, "24 bytes"),
        new Bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, "end comes before"),
        new Bad("{\"x\":{\"dtype\":\"BOOL\",\"shape\":[65536,65536],\"data_offsets\":[0,1]}}", 1, "2^31-1"),
        new Bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", 6, "overlaps"),
        new Bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "overlaps"),
        new Bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "belong to no tensor"),
        new Bad("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6, "2 bytes after"));
    for (Bad c : cases) {
      Path file = write(c.json(), new byte[c.dataBytes()]);
      FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(file), c.json());
      assertTrue(e.problem().contains(c.message()), c.json() + " → " + e.getMessage());
    }
  }

  @Test
  void valuesOutsideWhatAnNDArrayHoldsAreFormatErrors() throws IOException {
    Path bool = write("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[] {1, 0, 2});
    FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoint.read(bool));
    assertTrue(e.problem().contains("'m'") && e.problem().contains("element 2"), e.getMessage());
    assertEquals(Files.size(bool) - 1, e.position());

    byte[] longs = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(3).putLong((1L << 53) + 1).array();
    Path i64 = write("{\"n\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", longs);
    e = assertThrows(FileFormatException.class, () -> Checkpoint.read(i64));
    assertTrue(e.problem().contains("2^53") && e.problem().contains("element 1"), e.getMessage());
    assertEquals(Files.size(i64) - 8, e.position());
  }

  @Test
  void readingAgainstExpectedTypesReportsEveryMismatchAtOnce() {
    Path file = dir.resolve("m.safetensors");
    Checkpoint.write(file, sample(), Map.of());
    Map<String, TensorType> expected = new LinkedHashMap<>();
    expected.put("w", TensorType.of(DType.F32, 3, 2)); // shape differs
    expected.put("bias", TensorType.of(DType.F32, 3)); // dtype differs
    expected.put("gamma", TensorType.of(DType.F32, 3)); // missing
    expected.put("step", TensorType.of(DType.I64));
    expected.put("labels", TensorType.of(DType.I32, 1, 1, 4));
    expected.put("mask", TensorType.of(DType.BOOL, 5));
    // "empty" and "big_ints" are not expected
    CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class, () -> Checkpoint.read(file, expected));
    assertEquals(List.of(
        "missing tensor 'gamma' (expected f32[3])",
        "tensor 'bias' is f64[3] in the file, expected f32[3]",
        "tensor 'w' is f32[2,3] in the file, expected f32[3,2]",
        "unexpected tensor 'big_ints' (i64[2])",
        "unexpected tensor 'empty' (f32[0,7])"), e.problems());
    assertTrue(e.getMessage().contains("5 problems"), e.getMessage());

    Map<String, TensorType> exact = new LinkedHashMap<>();
    sample().forEach((name, value) -> exact.put(name, value.type()));
    assertEquals(sample(), Checkpoint.read(file, exact).tensors());
  }

  @Test
  void aFailedWriteLeavesTheOldFileIntact() throws IOException {
    Path file = dir.resolve("keep.safetensors");
    Checkpoint.write(file, sample(), Map.of("v", "1"));
    byte[] before = Files.readAllBytes(file);
    Map<String, NDArray> reserved = Map.of("__metadata__", NDArray.scalar(DType.F32, 1));
    AdjointException e = assertThrows(AdjointException.class, () -> Checkpoint.write(file, reserved, Map.of()));
    assertTrue(e.getMessage().contains("reserves"), e.getMessage());
    String unpaired = "\ud800";
    assertThrows(AdjointException.class, () -> Checkpoint.write(file, Map.of(unpaired, NDArray.scalar(DType.F32, 1)), Map.of()));
    assertArrayEquals(before, Files.readAllBytes(file));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
    }
  }

  @Test
  void missingFilesAndDirectoriesGiveClearErrors() {
    AdjointException e = assertThrows(AdjointException.class, () -> Checkpoint.read(dir.resolve("absent.safetensors")));
    assertTrue(e.getMessage().contains("no checkpoint at"), e.getMessage());
    e = assertThrows(AdjointException.class, () -> Checkpoint.read(dir));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    Checkpoint.write(dir.resolve("nested/deeper/c.safetensors"), sample(), Map.of());
    assertEquals(sample(), Checkpoint.read(dir.resolve("nested/deeper/c.safetensors")).tensors());
  }

  @Test
  void tensorLookupNamesWhatExists() {
    Checkpoint c = new Checkpoint(Map.of("a", NDArray.scalar(DType.F32, 1)), Map.of());
    AdjointException e = assertThrows(AdjointException.class, () -> c.tensor("b"));
    assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("[a]"), e.getMessage());
    assertInstanceOf(NDArray.class, c.tensor("a"));
  }

  private Path write(String json, byte[] data) throws IOException {
    return write(json.getBytes(StandardCharsets.UTF_8), data);
  }

  private Path write(byte[] header, byte[] data) throws IOException {
    Path file = Files.createTempFile(dir, "handmade", ".safetensors");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
    out.writeBytes(header);
    out.writeBytes(data);
    Files.write(file, out.toByteArray());
    return file;
  }
}
