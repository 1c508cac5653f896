package dev.adjoint.data;

import dev.adjoint.io.FileFormatException;
import dev.adjoint.ir.AdjointException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * An IDX file of unsigned bytes, the format MNIST ships in: a big-endian magic number {@code 0x0000
 * 08 r} (element type 0x08, unsigned byte, and rank r), r big-endian 32-bit dimensions, then the
 * elements in row-major order. MNIST's images are {@code 0x00000803} [N, 28, 28], its labels {@code
 * 0x00000801} [N].
 *
 * <p>The header is checked against the file's size before the elements are allocated: a file that
 * is truncated, has bytes after its data or is not IDX is a {@link FileFormatException} with the
 * byte position.
 */
public final class Idx {
  private static final int UNSIGNED_BYTE = 0x08;
  /** Java arrays hold a little less than 2^31 elements. */
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private final String source;
  private final int[] dims;
  private final byte[] elements;

  private Idx(String source, int[] dims, byte[] elements) {
    this.source = source;
    this.dims = dims;
    this.elements = elements;
  }

  /** Reads a whole IDX file of unsigned bytes. */
  public static Idx read(Path path) {
    String source = path.toString();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      if (fileSize < 4) {
        throw new FileFormatException(source, fileSize,
            "truncated: the file has " + fileSize + " bytes, fewer than the 4-byte magic number an IDX file starts with");
      }
      ByteBuffer magic = read(channel, 0, 4, source);
      if (magic.get(0) != 0 || magic.get(1) != 0) {
        throw new FileFormatException(source, 0,
            String.format("magic number 0x%08X is not IDX (an IDX file starts with two zero bytes)", magic.getInt(0)));
      }
      int type = magic.get(2) & 0xFF;
      if (type != UNSIGNED_BYTE) {
        throw new FileFormatException(source, 2,
            String.format("IDX element type 0x%02X is not supported: Adjoint reads IDX files of unsigned bytes (0x08)", type));
      }
      int rank = magic.get(3) & 0xFF;
      if (rank == 0) {
        throw new FileFormatException(source, 3, "the IDX header declares no dimensions");
      }
      long headerBytes = 4 + 4L * rank;
      if (fileSize < headerBytes) {
        throw new FileFormatException(source, fileSize,
            "truncated inside the header: " + rank + " dimensions need " + headerBytes + " bytes of header, the file has " + fileSize);
      }
      ByteBuffer dimBytes = read(channel, 4, 4 * rank, source);
      int[] dims = new int[rank];
      long count = 1;
      for (int a = 0; a < rank; a++) {
        long d = Integer.toUnsignedLong(dimBytes.getInt(4 * a));
        if (d > MAX_ELEMENTS || count * d > MAX_ELEMENTS) {
          throw new FileFormatException(source, 4 + 4L * a,
              "dimension " + a + " is " + d + ", which makes more elements than Adjoint can hold");
        }
        dims[a] = (int) d;
        count *= d;
      }
      long expectedSize = headerBytes + count;
      if (fileSize < expectedSize) {
        throw new FileFormatException(source, fileSize,
            "truncated: dimensions " + Arrays.toString(dims) + " need " + count + " bytes of data after the " + headerBytes
                + "-byte header, so " + expectedSize + " bytes in all, but the file ends at byte " + fileSize);
      }
      if (fileSize > expectedSize) {
        throw new FileFormatException(source, expectedSize,
            (fileSize - expectedSize) + " unexpected bytes after the data of dimensions " + Arrays.toString(dims));
      }
      byte[] elements = read(channel, headerBytes, (int) count, source).array();
      return new Idx(source, dims, elements);
    } catch (NoSuchFileException e) {
      throw new AdjointException("no IDX file at " + path + " (no such file)", e);
    } catch (IOException e) {
      throw new AdjointException("cannot read IDX file " + path + ": " + e, e);
    }
  }

  /** Where the file came from, for messages. */
  public String source() {
    return source;
  }

  public int rank() {
    return dims.length;
  }

  public int[] dims() {
    return dims.clone();
  }

  public int dim(int axis) {
    return dims[axis];
  }

  public int size() {
    return elements.length;
  }

  /** Element {@code i} in row-major order, 0 to 255. */
  public int get(int i) {
    return elements[i] & 0xFF;
  }

  /** The file position of element {@code i}. */
  public long position(int i) {
    return 4 + 4L * dims.length + i;
  }

  /** The elements themselves, not a copy: for the datasets of this package, which never write them. */
  byte[] elements() {
    return elements;
  }

  private static ByteBuffer read(FileChannel channel, long position, int length, String source) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    long at = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, at);
      if (n < 0) {
        throw new FileFormatException(source, at, "the file ended while it was being read (was it truncated meanwhile?)");
      }
      at += n;
    }
    return buffer.flip();
  }
}
