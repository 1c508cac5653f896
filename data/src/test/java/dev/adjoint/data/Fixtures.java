package dev.adjoint.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/** Files written byte by byte from their specs, independently of the readers under test. */
final class Fixtures {
  private Fixtures() {}

  /** An IDX file of unsigned bytes: magic 0x0000_08_rank, big-endian dims, the elements. */
  static byte[] idx(int[] dims, byte[] elements) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + elements.length); // big-endian by default
    b.put((byte) 0).put((byte) 0).put((byte) 0x08).put((byte) dims.length);
    for (int d : dims) {
      b.putInt(d);
    }
    return b.put(elements).array();
  }

  /** Pixel (i, y, x) of the fixture images: a pattern that differs between images, rows and columns. */
  static int pixel(int i, int y, int x) {
    return (i * 37 + y * 11 + x * 3) % 256;
  }

  static byte[] images(int n, int height, int width) {
    byte[] pixels = new byte[n * height * width];
    for (int i = 0; i < n; i++) {
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          pixels[(i * height + y) * width + x] = (byte) pixel(i, y, x);
        }
      }
    }
    return pixels;
  }

  /** Labels 0, 1, 2, ... cycling through {@code classes}. */
  static byte[] labels(int n, int classes) {
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i * 7 % classes);
    }
    return labels;
  }

  /** A ustar archive (POSIX.1-1988) holding {@code files} as regular files, with the two closing zero blocks. */
  static byte[] tar(Map<String, byte[]> files) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      out.writeBytes(tarHeader(f.getKey(), f.getValue().length, (byte) '0'));
      out.writeBytes(f.getValue());
      out.writeBytes(new byte[(512 - f.getValue().length % 512) % 512]);
    }
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  static byte[] tarHeader(String name, long size, byte type) {
    byte[] h = new byte[512];
    String prefix = "";
    String shortName = name;
    if (name.length() > 100) { // split at a slash into prefix (155) and name (100)
      int slash = name.lastIndexOf('/', name.length() - 2);
      prefix = name.substring(0, slash);
      shortName = name.substring(slash + 1);
    }
    put(h, 0, shortName);
    put(h, 100, "0000644\0");
    put(h, 108, "0001750\0");
    put(h, 116, "0001750\0");
    put(h, 124, String.format("%011o\0", size));
    put(h, 136, "14672530034\0");
    h[156] = type;
    put(h, 257, "ustar\0");
    put(h, 263, "00");
    put(h, 345, prefix);
    int sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xFF;
    }
    put(h, 148, String.format("%06o\0 ", sum));
    return h;
  }

  private static void put(byte[] h, int offset, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, offset, b.length);
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
