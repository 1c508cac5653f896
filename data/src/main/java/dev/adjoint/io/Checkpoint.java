package dev.adjoint.io;

import dev.adjoint.io.SafetensorsHeader.Entry;
import dev.adjoint.io.SafetensorsHeader.Parsed;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Named tensors and string metadata, saved in the <a
 * href="https://github.com/huggingface/safetensors">safetensors</a> format: an unsigned 64-bit
 * little-endian header length N, N bytes of JSON header ({@code {"name": {"dtype": "F32", "shape":
 * [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}), then the data of every tensor,
 * little-endian and row-major, at offsets relative to the end of the header. The data of the
 * tensors must tile the buffer exactly: contiguous, no overlap, no hole, nothing after the last.
 *
 * <p>Adjoint's dtypes F32, F64, I32, I64 and BOOL are written under the same safetensors names.
 * Tensors are written sorted by name. Files written here load in the reference implementation,
 * and files it writes in these dtypes load here.
 *
 * <p>Reading checks the header length against a cap and every shape, dtype and offset against the
 * file's size before it allocates anything, and returns only a complete checkpoint: a truncated or
 * corrupt file is a {@link FileFormatException} naming the tensor and the byte position. Writing is
 * atomic ({@link AtomicFiles}): a failed write leaves the previous file as it was.
 */
public record Checkpoint(Map<String, NDArray> tensors, Map<String, String> metadata) {
  /** Headers longer than this are refused unread, as the reference implementation does. */
  public static final long MAX_HEADER_BYTES = 100_000_000;

  private static final int LENGTH_BYTES = 8;
  private static final int CHUNK_BYTES = 1 << 20;
  /** Integers beyond ±2^53 have no exact double, and an NDArray holds doubles. */
  private static final long MAX_EXACT_INTEGER = 1L << 53;

  /** Copies both maps; tensors are kept sorted by name. */
  public Checkpoint {
    for (String name : tensors.keySet()) {
      if (name.equals(SafetensorsHeader.METADATA_KEY)) {
        throw new AdjointException("a tensor cannot be named " + name + ": safetensors reserves that name for the metadata");
      }
    }
    tensors = Collections.unmodifiableMap(new TreeMap<>(tensors));
    metadata = Collections.unmodifiableMap(new TreeMap<>(metadata));
  }

  /** Writes {@code tensors} and {@code metadata} to {@code path}, atomically. */
  public static void write(Path path, Map<String, NDArray> tensors, Map<String, String> metadata) {
    new Checkpoint(tensors, metadata).write(path);
  }

  /** Reads a whole checkpoint; nothing is returned unless every tensor was read and checked. */
  public static Checkpoint read(Path path) {
    return load(path, null);
  }

  /**
   * Reads a checkpoint that must hold exactly the {@code expected} tensors with their dtypes and
   * shapes. The header is compared before any data is read.
   *
   * @throws CheckpointMismatchException listing every missing, unexpected or differently typed
   *     tensor
   */
  public static Checkpoint read(Path path, Map<String, TensorType> expected) {
    return load(path, expected);
  }

  /** The tensor called {@code name}. */
  public NDArray tensor(String name) {
    NDArray value = tensors.get(name);
    if (value == null) {
      throw new AdjointException("the checkpoint has no tensor '" + name + "'; it has " + tensors.keySet());
    }
    return value;
  }

  /** Writes this checkpoint to {@code path}, atomically. */
  public void write(Path path) {
    List<Entry> entries = new ArrayList<>();
    long offset = 0;
    for (Map.Entry<String, NDArray> t : tensors.entrySet()) {
      NDArray value = t.getValue();
      long end = offset + (long) value.size() * value.dtype().bytes();
      long[] shape = value.shape().dimList().stream().mapToLong(Integer::longValue).toArray();
      entries.add(new Entry(t.getKey(), safetensorsName(value.dtype()), shape, offset, end));
      offset = end;
    }
    byte[] header = SafetensorsHeader.encode(metadata, entries);
    if (header.length > MAX_HEADER_BYTES) {
      throw new AdjointException(
          "cannot write checkpoint " + path + ": its header would take " + header.length + " bytes, more than the "
              + MAX_HEADER_BYTES + " that readers accept");
    }
    AtomicFiles.write(path, out -> {
      ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      out.write(buffer.putLong(header.length).array(), 0, LENGTH_BYTES);
      out.write(header);
      buffer.clear();
      for (NDArray value : tensors.values()) {
        writeData(value, buffer, out);
      }
      flush(buffer, out);
    });
  }

  private static void writeData(NDArray value, ByteBuffer buffer, OutputStream out) throws IOException {
    DType dtype = value.dtype();
    for (int i = 0; i < value.size(); i++) {
      if (buffer.remaining() < dtype.bytes()) {
        flush(buffer, out);
      }
      double v = value.get(i);
      switch (dtype) {
        case F32 -> buffer.putFloat((float) v);
        case F64 -> buffer.putDouble(v);
        case I32 -> buffer.putInt((int) v);
        case I64 -> buffer.putLong((long) v);
        case BOOL -> buffer.put((byte) (v != 0 ? 1 : 0));
      }
    }
  }

  private static void flush(ByteBuffer buffer, OutputStream out) throws IOException {
    out.write(buffer.array(), 0, buffer.position());
    buffer.clear();
  }

  /** A tensor whose header entry passed every check: where its data lies and what it is. */
  private record Planned(String name, DType dtype, Shape shape, long begin, long end) {
    TensorType type() {
      return new TensorType(dtype, shape);
    }
  }

  private static Checkpoint load(Path path, @Nullable Map<String, TensorType> expected) {
    String source = path.toString();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      if (fileSize < LENGTH_BYTES) {
        throw new FileFormatException(source, fileSize,
            "truncated: the file has " + fileSize + " bytes, fewer than the 8-byte header length a safetensors file starts with");
      }
      long headerLength = readFully(channel, 0, LENGTH_BYTES, source).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
        throw new FileFormatException(source, 0,
            "the header length is " + Long.toUnsignedString(headerLength) + " bytes, more than the limit of "
                + MAX_HEADER_BYTES + ": not a safetensors file, or a corrupt one");
      }
      if (headerLength > fileSize - LENGTH_BYTES) {
        throw new FileFormatException(source, fileSize,
            "truncated: the header length is " + headerLength + " bytes but only " + (fileSize - LENGTH_BYTES)
                + " bytes follow it");
      }
      byte[] header = readFully(channel, LENGTH_BYTES, (int) headerLength, source).array();
      Parsed parsed = SafetensorsHeader.parse(header, source, LENGTH_BYTES);
      long dataStart = LENGTH_BYTES + headerLength;
      List<Planned> plan = plan(parsed, source, dataStart, fileSize);
      if (expected != null) {
        compare(path, plan, expected);
      }
      Map<String, NDArray> tensors = new TreeMap<>();
      for (Planned p : plan) {
        tensors.put(p.name(), readTensor(channel, p, dataStart, source));
      }
      return new Checkpoint(tensors, parsed.metadata());
    } catch (NoSuchFileException e) {
      throw new AdjointException("no checkpoint at " + path + " (no such file)", e);
    } catch (IOException e) {
      throw new AdjointException("cannot read checkpoint " + path + ": " + e, e);
    }
  }

  /**
   * Checks every entry (dtype, shape, size, bounds) and then that the entries tile the data buffer
   * exactly; the header may list them in any order.
   */
  private static List<Planned> plan(Parsed parsed, String source, long dataStart, long fileSize) {
    long dataLength = fileSize - dataStart;
    List<Planned> plan = new ArrayList<>();
    for (Entry e : parsed.entries()) {
      long at = parsed.positions().get(e.name());
      String tensor = "tensor '" + e.name() + "'";
      DType dtype = adjointDType(e.dtype());
      if (dtype == null) {
        throw new FileFormatException(source, at,
            tensor + " has dtype " + e.dtype() + ", which Adjoint does not read (it reads F32, F64, I32, I64 and BOOL)");
      }
      long elements = 1;
      for (long d : e.shape()) {
        // Both factors stay below 2^31, so the product cannot overflow before it is checked.
        elements *= Math.min(d, 1L << 31);
        if (d > Integer.MAX_VALUE || elements > Integer.MAX_VALUE) {
          throw new FileFormatException(source, at,
              tensor + " of shape " + Arrays.toString(e.shape()) + " is larger than an Adjoint value can be (2^31-1 elements)");
        }
      }
      Shape shape = Shape.of(Arrays.stream(e.shape()).mapToInt(d -> (int) d).toArray());
      if (e.begin() > e.end()) {
        throw new FileFormatException(source, at,
            tensor + " has data_offsets [" + e.begin() + ", " + e.end() + "]: the end comes before the beginning");
      }
      long bytes = elements * dtype.bytes();
      if (e.end() - e.begin() != bytes) {
        throw new FileFormatException(source, at,
            tensor + " is " + e.dtype() + shape + ", " + bytes + " bytes, but its data_offsets [" + e.begin() + ", "
                + e.end() + "] span " + (e.end() - e.begin()));
      }
      if (e.end() > dataLength) {
        throw new FileFormatException(source, fileSize,
            "truncated: " + tensor + " needs the file to reach byte " + (dataStart + e.end()) + " but it ends at byte "
                + fileSize);
      }
      plan.add(new Planned(e.name(), dtype, shape, e.begin(), e.end()));
    }
    List<Planned> byOffset = new ArrayList<>(plan);
    byOffset.sort(Comparator.comparingLong(Planned::begin).thenComparingLong(Planned::end));
    long covered = 0;
    String previous = null;
    for (Planned p : byOffset) {
      if (p.begin() < covered) {
        throw new FileFormatException(source, dataStart + p.begin(),
            "the data of tensor '" + p.name() + "' [" + p.begin() + ", " + p.end() + ") overlaps the data of tensor '"
                + previous + "', which ends at offset " + covered);
      }
      if (p.begin() > covered) {
        throw new FileFormatException(source, dataStart + covered,
            "data bytes [" + covered + ", " + p.begin() + ") before tensor '" + p.name() + "' belong to no tensor");
      }
      covered = p.end();
      previous = p.name();
    }
    if (covered < dataLength) {
      throw new FileFormatException(source, dataStart + covered,
          (dataLength - covered) + " bytes after the data of the last tensor belong to no tensor");
    }
    return plan;
  }

  private static void compare(Path path, List<Planned> plan, Map<String, TensorType> expected) {
    Map<String, TensorType> found = plan.stream().collect(Collectors.toMap(Planned::name, Planned::type, (a, b) -> a, TreeMap::new));
    List<String> missing = new ArrayList<>();
    List<String> different = new ArrayList<>();
    for (Map.Entry<String, TensorType> e : new TreeMap<>(expected).entrySet()) {
      TensorType actual = found.get(e.getKey());
      if (actual == null) {
        missing.add("missing tensor '" + e.getKey() + "' (expected " + e.getValue() + ")");
      } else if (!actual.equals(e.getValue())) {
        different.add("tensor '" + e.getKey() + "' is " + actual + " in the file, expected " + e.getValue());
      }
    }
    List<String> problems = new ArrayList<>(missing);
    problems.addAll(different);
    found.forEach((name, type) -> {
      if (!expected.containsKey(name)) {
        problems.add("unexpected tensor '" + name + "' (" + type + ")");
      }
    });
    if (!problems.isEmpty()) {
      throw new CheckpointMismatchException(path, problems);
    }
  }

  private static NDArray readTensor(FileChannel channel, Planned p, long dataStart, String source) throws IOException {
    int size = p.shape().size();
    int width = p.dtype().bytes();
    double[] values = new double[size];
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, p.end() - p.begin())).order(ByteOrder.LITTLE_ENDIAN);
    long position = dataStart + p.begin();
    int i = 0;
    while (i < size) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), (long) (size - i) * width));
      fill(channel, buffer, position, source, p.name());
      buffer.flip();
      for (; buffer.hasRemaining(); i++) {
        long elementAt = position + buffer.position();
        values[i] = switch (p.dtype()) {
          case F32 -> buffer.getFloat();
          case F64 -> buffer.getDouble();
          case I32 -> buffer.getInt();
          case I64 -> exactInteger(buffer.getLong(), p, i, elementAt, source);
          case BOOL -> bool(buffer.get(), p, i, elementAt, source);
        };
      }
      position += buffer.limit();
    }
    return NDArray.of(p.dtype(), p.shape(), values);
  }

  private static double exactInteger(long v, Planned p, int index, long at, String source) {
    if (v > MAX_EXACT_INTEGER || v < -MAX_EXACT_INTEGER) {
      throw new FileFormatException(source, at,
          "tensor '" + p.name() + "' holds " + v + " at element " + index + ", beyond ±2^53, which an Adjoint value cannot hold exactly");
    }
    return v;
  }

  private static double bool(byte b, Planned p, int index, long at, String source) {
    if (b != 0 && b != 1) {
      throw new FileFormatException(source, at,
          "tensor '" + p.name() + "' (BOOL) holds the byte " + (b & 0xFF) + " at element " + index + "; a BOOL is 0 or 1");
    }
    return b;
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length, String source) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    fill(channel, buffer, position, source, null);
    return buffer.flip();
  }

  /** Reads until {@code buffer} is full; the file may have shrunk since its size was taken. */
  private static void fill(FileChannel channel, ByteBuffer buffer, long position, String source, @Nullable String tensor)
      throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw new FileFormatException(source, at,
            "the file ended while reading " + (tensor == null ? "the header" : "tensor '" + tensor + "'")
                + " (was it truncated while being read?)");
      }
      at += n;
    }
  }

  private static String safetensorsName(DType dtype) {
    return switch (dtype) {
      case F32 -> "F32";
      case F64 -> "F64";
      case I32 -> "I32";
      case I64 -> "I64";
      case BOOL -> "BOOL";
    };
  }

  private static @Nullable DType adjointDType(String name) {
    for (DType d : DType.values()) {
      if (safetensorsName(d).equals(name)) {
        return d;
      }
    }
    return null;
  }
}
