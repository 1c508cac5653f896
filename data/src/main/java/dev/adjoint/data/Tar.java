package dev.adjoint.data;

import dev.adjoint.io.FileFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal reader of ustar archives (as {@code npm pack} writes them), for a stream that is
 * already decompressed. It visits regular files by name; directories, links and extended headers
 * are skipped with their data. Header checksums are verified, and an archive that ends inside a
 * header or a file is a {@link FileFormatException} with the position in the stream.
 */
final class Tar {
  private static final int BLOCK = 512;

  private Tar() {}

  /** Receives one regular file: its full name, size and content (exactly {@code size} bytes). */
  @FunctionalInterface
  interface Visitor {
    void file(String name, long size, InputStream content) throws IOException;
  }

  /** Visits every regular file of the archive in {@code in}. */
  static void read(InputStream in, String source, Visitor visitor) throws IOException {
    CountingInput stream = new CountingInput(in);
    byte[] header = new byte[BLOCK];
    while (true) {
      long headerAt = stream.position;
      int n = stream.readNBytes(header, 0, BLOCK);
      if (n == 0) {
        return; // some writers omit the two zero blocks that end an archive
      }
      if (n < BLOCK) {
        throw new FileFormatException(source, stream.position, "the archive ends inside a header");
      }
      if (isZero(header)) {
        return;
      }
      verifyChecksum(header, headerAt, source);
      String name = name(header);
      long size = octal(header, 124, 12, headerAt, source, "size");
      byte type = header[156];
      BoundedInput content = new BoundedInput(stream, size, name, source);
      if (type == '0' || type == 0) {
        visitor.file(name, size, content);
      }
      content.skipRest();
      long padding = (BLOCK - size % BLOCK) % BLOCK;
      if (stream.skipNBytesOrEnd(padding) < padding) {
        throw new FileFormatException(source, stream.position, "the archive ends inside the padding after " + name);
      }
    }
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /** The header's checksum: the sum of its bytes with the checksum field counted as spaces. */
  private static void verifyChecksum(byte[] header, long at, String source) {
    long stored = octal(header, 148, 8, at, source, "checksum");
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += i >= 148 && i < 156 ? ' ' : header[i] & 0xFF;
    }
    if (sum != stored) {
      throw new FileFormatException(source, at + 148,
          "tar header checksum is " + stored + " but the header sums to " + sum + ": the archive is corrupt");
    }
  }

  /** The ustar name: prefix (bytes 345..499) + "/" + name (bytes 0..99), each NUL-terminated. */
  private static String name(byte[] header) {
    String name = field(header, 0, 100);
    boolean ustar = field(header, 257, 6).startsWith("ustar");
    String prefix = ustar ? field(header, 345, 155) : "";
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  private static String field(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] header, int offset, int length, long at, String source, String what) {
    if ((header[offset] & 0x80) != 0) {
      throw new FileFormatException(source, at + offset, "the tar " + what + " is in base-256, which this reader does not support");
    }
    long value = 0;
    int i = offset;
    while (i < offset + length && header[i] == ' ') {
      i++;
    }
    int digits = 0;
    for (; i < offset + length && header[i] >= '0' && header[i] <= '7'; i++, digits++) {
      value = value * 8 + (header[i] - '0');
    }
    boolean terminated = i == offset + length || header[i] == 0 || header[i] == ' ';
    if (digits == 0 || !terminated) {
      throw new FileFormatException(source, at + offset, "the tar " + what + " field is not an octal number");
    }
    return value;
  }

  /** Tracks the position in the archive for messages. */
  private static final class CountingInput extends InputStream {
    private final InputStream in;
    private long position;

    CountingInput(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        position++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        position += n;
      }
      return n;
    }

    /** Skips up to {@code n} bytes; fewer only at the end of the stream. */
    long skipNBytesOrEnd(long n) throws IOException {
      byte[] scratch = new byte[8192];
      long skipped = 0;
      while (skipped < n) {
        int r = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
        if (r < 0) {
          break;
        }
        skipped += r;
      }
      return skipped;
    }
  }

  /** One entry's content: ends after {@code size} bytes; an archive that ends sooner is an error. */
  private static final class BoundedInput extends InputStream {
    private final CountingInput in;
    private final String name;
    private final String source;
    private long left;

    BoundedInput(CountingInput in, long size, String name, String source) {
      this.in = in;
      this.left = size;
      this.name = name;
      this.source = source;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left == 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new FileFormatException(source, in.position, "the archive ends inside " + name + " (" + left + " bytes missing)");
      }
      left -= n;
      return n;
    }

    void skipRest() throws IOException {
      if (in.skipNBytesOrEnd(left) < left) {
        throw new FileFormatException(source, in.position, "the archive ends inside " + name);
      }
      left = 0;
    }
  }
}
