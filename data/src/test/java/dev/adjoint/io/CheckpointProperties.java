package dev.adjoint.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

class CheckpointProperties {
  private Path dir;

  @BeforeProperty
  void makeDirectory() throws IOException {
    dir = Files.createTempDirectory("checkpoint-properties");
  }

  @AfterProperty
  void removeDirectory() throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Property(tries = 200, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void anyTensorsAndMetadataRoundTripExactly(
      @ForAll("tensorMaps") Map<String, NDArray> tensors, @ForAll("metadata") Map<String, String> metadata) {
    Path file = dir.resolve("c.safetensors");
    Checkpoint.write(file, tensors, metadata);
    Checkpoint read = Checkpoint.read(file);
    assertEquals(tensors, read.tensors());
    assertEquals(metadata, read.metadata());
  }

  /**
   * Whatever byte is changed, the reader raises an AdjointException or loads a checkpoint whose
   * tensors exactly fill the data buffer that the (possibly changed) header length leaves.
   */
  @Property(tries = 300, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void aCorruptedByteGivesAClearErrorOrAConsistentCheckpoint(
      @ForAll("tensorMaps") Map<String, NDArray> tensors,
      @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double where,
      @ForAll byte value) throws IOException {
    Path file = dir.resolve("c.safetensors");
    Checkpoint.write(file, tensors, Map.of("k", "v"));
    byte[] bytes = Files.readAllBytes(file);
    bytes[(int) (where * bytes.length)] = value;
    Files.write(file, bytes);
    Checkpoint read;
    try {
      read = Checkpoint.read(file);
    } catch (AdjointException expected) {
      return;
    }
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    long dataBytes = read.tensors().values().stream().mapToLong(t -> (long) t.size() * t.dtype().bytes()).sum();
    assertEquals(bytes.length - 8 - headerLength, dataBytes);
  }

  @Provide
  Arbitrary<Map<String, NDArray>> tensorMaps() {
    return Arbitraries.maps(names(), tensors()).ofMaxSize(5);
  }

  @Provide
  Arbitrary<Map<String, String>> metadata() {
    Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(12).filter(CheckpointProperties::isWellFormed);
    return Arbitraries.maps(text, text).ofMaxSize(3);
  }

  private static Arbitrary<String> names() {
    return Arbitraries.strings().all().ofMaxLength(10)
        .filter(CheckpointProperties::isWellFormed)
        .filter(s -> !s.equals("__metadata__"));
  }

  /** Strings Java can hold but UTF-8 cannot (unpaired surrogates) are not names. */
  private static boolean isWellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static Arbitrary<NDArray> tensors() {
    Arbitrary<DType> dtypes = Arbitraries.of(DType.values());
    Arbitrary<List<Integer>> dims = Arbitraries.integers().between(0, 4).list().ofMaxSize(4);
    return Combinators.combine(dtypes, dims, Arbitraries.longs()).as((dtype, d, seed) -> {
      Shape shape = Shape.of(d);
      SplittableRandom random = new SplittableRandom(seed);
      return NDArray.generate(dtype, shape, i -> switch (dtype) {
        case F32 -> Float.intBitsToFloat(random.nextInt());
        case F64 -> Double.longBitsToDouble(random.nextLong());
        case I32 -> random.nextInt();
        case I64 -> random.nextLong(-(1L << 53), (1L << 53) + 1);
        case BOOL -> random.nextInt(2);
      });
    });
  }
}
