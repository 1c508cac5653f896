package dev.adjoint.io;

import dev.adjoint.ir.AdjointException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON header of a safetensors file, read and written for exactly its grammar: one object whose
 * members are tensors ({@code {"dtype": string, "shape": [uint, ...], "data_offsets": [uint, uint]}})
 * and an optional {@code "__metadata__"} object of strings. Anything else (other value types,
 * unknown or repeated fields, duplicate names, a fraction or a negative number) is a {@link
 * FileFormatException} at the byte where the parser met it.
 */
final class SafetensorsHeader {
  static final String METADATA_KEY = "__metadata__";

  /** One tensor's header entry; offsets are relative to the start of the data buffer. */
  record Entry(String name, String dtype, long[] shape, long begin, long end) {}

  /** Entries in header order, the file position of each entry's name, and the metadata. */
  record Parsed(List<Entry> entries, Map<String, Long> positions, Map<String, String> metadata) {}

  private static final int ALIGNMENT = 8;

  private final byte[] bytes;
  private final String source;
  private final long base;
  private int at;

  private SafetensorsHeader(byte[] bytes, String source, long base) {
    this.bytes = bytes;
    this.source = source;
    this.base = base;
  }

  /**
   * Parses a header.
   *
   * @param base the file position of {@code header[0]}, so that errors give file positions
   */
  static Parsed parse(byte[] header, String source, long base) {
    return new SafetensorsHeader(header, source, base).header();
  }

  /**
   * The header for these entries, compact, {@code __metadata__} first when there is any, padded
   * with spaces to a multiple of 8 bytes so that the data buffer starts aligned, as the reference
   * implementation does.
   */
  static byte[] encode(Map<String, String> metadata, List<Entry> entries) {
    StringBuilder json = new StringBuilder("{");
    if (!metadata.isEmpty()) {
      quote(json, METADATA_KEY).append(":{");
      String separator = "";
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        quote(json.append(separator), m.getKey()).append(':');
        quote(json, m.getValue());
        separator = ",";
      }
      json.append('}');
    }
    for (Entry e : entries) {
      quote(json.append(json.length() > 1 ? "," : ""), e.name()).append(":{\"dtype\":");
      quote(json, e.dtype()).append(",\"shape\":[");
      for (int i = 0; i < e.shape().length; i++) {
        json.append(i == 0 ? "" : ",").append(e.shape()[i]);
      }
      json.append("],\"data_offsets\":[").append(e.begin()).append(',').append(e.end()).append("]}");
    }
    byte[] utf8 = utf8(json.append('}'));
    int padded = (utf8.length + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    byte[] header = Arrays.copyOf(utf8, padded);
    Arrays.fill(header, utf8.length, padded, (byte) ' ');
    return header;
  }

  private Parsed header() {
    if (bytes.length == 0 || bytes[0] != '{') {
      throw fail("the header must be a JSON object starting with '{'");
    }
    at = 1;
    List<Entry> entries = new ArrayList<>();
    Map<String, Long> positions = new LinkedHashMap<>();
    Map<String, String> metadata = Map.of();
    Set<String> names = new HashSet<>();
    if (peek('}')) {
      expect('}');
    } else {
      do {
        skipWhitespace();
        int nameStart = at;
        String name = string();
        if (!names.add(name)) {
          throw failAt(nameStart, "the name \"" + name + "\" appears twice");
        }
        expect(':');
        if (name.equals(METADATA_KEY)) {
          metadata = metadata();
        } else {
          entries.add(tensor(name));
          positions.put(name, base + nameStart);
        }
      } while (next(',', '}') == ',');
    }
    skipWhitespace();
    if (at < bytes.length) {
      throw fail("unexpected " + describe(bytes[at]) + " after the header object");
    }
    return new Parsed(entries, positions, metadata);
  }

  private Map<String, String> metadata() {
    expect('{');
    Map<String, String> metadata = new LinkedHashMap<>();
    if (peek('}')) {
      expect('}');
      return metadata;
    }
    do {
      skipWhitespace();
      int keyStart = at;
      String key = string();
      if (metadata.containsKey(key)) {
        throw failAt(keyStart, "the metadata key \"" + key + "\" appears twice");
      }
      expect(':');
      metadata.put(key, stringValue("the value of metadata key \"" + key + "\" (__metadata__ maps strings to strings)"));
    } while (next(',', '}') == ',');
    return metadata;
  }

  private Entry tensor(String name) {
    expect('{');
    String dtype = null;
    long[] shape = null;
    long[] offsets = null;
    if (peek('}')) {
      expect('}');
    } else {
      do {
        skipWhitespace();
        int fieldStart = at;
        String field = string();
        expect(':');
        boolean repeated = switch (field) {
          case "dtype" -> dtype != null;
          case "shape" -> shape != null;
          case "data_offsets" -> offsets != null;
          default -> throw failAt(
              fieldStart, "unknown field \"" + field + "\" in tensor \"" + name + "\" (a tensor has dtype, shape and data_offsets)");
        };
        if (repeated) {
          throw failAt(fieldStart, "field \"" + field + "\" of tensor \"" + name + "\" appears twice");
        }
        switch (field) {
          case "dtype" -> dtype = stringValue("the dtype of tensor \"" + name + "\"");
          case "shape" -> shape = unsignedArray();
          default -> {
            skipWhitespace();
            int arrayStart = at;
            offsets = unsignedArray();
            if (offsets.length != 2) {
              throw failAt(
                  arrayStart, "data_offsets of tensor \"" + name + "\" must be [begin, end], got " + offsets.length + " numbers");
            }
          }
        }
      } while (next(',', '}') == ',');
    }
    String missing = dtype == null ? "dtype" : shape == null ? "shape" : offsets == null ? "data_offsets" : null;
    if (missing != null) {
      throw failAt(at - 1, "tensor \"" + name + "\" has no " + missing);
    }
    return new Entry(name, dtype, shape, offsets[0], offsets[1]);
  }

  private long[] unsignedArray() {
    expect('[');
    List<Long> values = new ArrayList<>();
    if (peek(']')) {
      expect(']');
    } else {
      do {
        values.add(unsigned());
      } while (next(',', ']') == ',');
    }
    return values.stream().mapToLong(Long::longValue).toArray();
  }

  /** A JSON number that is a non-negative integer up to 2^63 - 1. */
  private long unsigned() {
    skipWhitespace();
    int start = at;
    long value = 0;
    while (at < bytes.length && bytes[at] >= '0' && bytes[at] <= '9') {
      int digit = bytes[at] - '0';
      if (value > (Long.MAX_VALUE - digit) / 10) {
        throw failAt(start, "number too large");
      }
      value = value * 10 + digit;
      at++;
    }
    if (at == start) {
      throw fail(at < bytes.length && bytes[at] == '-'
          ? "negative number where a size or an offset was expected"
          : "expected a number but found " + (at < bytes.length ? describe(bytes[at]) : "the end of the header"));
    }
    if (bytes[start] == '0' && at - start > 1) {
      throw failAt(start, "a JSON number cannot have a leading zero");
    }
    if (at < bytes.length && (bytes[at] == '.' || bytes[at] == 'e' || bytes[at] == 'E')) {
      throw fail("a size or an offset must be an integer");
    }
    return value;
  }

  private String stringValue(String what) {
    skipWhitespace();
    if (at < bytes.length && bytes[at] != '"') {
      throw fail(what + " must be a string");
    }
    return string();
  }

  /** A JSON string; its UTF-8 must be valid and its \\u escapes must pair surrogates. */
  private String string() {
    expect('"');
    int start = at - 1;
    ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
    while (true) {
      if (at >= bytes.length) {
        throw failAt(start, "unterminated string");
      }
      byte b = bytes[at];
      if (b == '"') {
        at++;
        break;
      }
      if ((b & 0xFF) < 0x20) {
        throw fail("control character " + describe(b) + " inside a string (it must be escaped)");
      }
      if (b != '\\') {
        utf8.write(b);
        at++;
      } else if (at + 1 >= bytes.length) {
        throw failAt(start, "unterminated string");
      } else {
        at++;
        utf8.writeBytes(escape().getBytes(StandardCharsets.UTF_8));
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(utf8.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw failAt(start, "a string that is not valid UTF-8");
    }
  }

  /** The character an escape sequence stands for; {@code at} is just after the backslash. */
  private String escape() {
    int escapeStart = at - 1;
    byte kind = bytes[at++];
    String simple = switch (kind) {
      case '"' -> "\"";
      case '\\' -> "\\";
      case '/' -> "/";
      case 'b' -> "\b";
      case 'f' -> "\f";
      case 'n' -> "\n";
      case 'r' -> "\r";
      case 't' -> "\t";
      case 'u' -> null;
      default -> throw failAt(escapeStart, "invalid escape \\" + (char) (kind & 0xFF));
    };
    if (simple != null) {
      return simple;
    }
    char unit = (char) hex4();
    if (Character.isLowSurrogate(unit)) {
      throw failAt(escapeStart, "unpaired surrogate in a \\u escape");
    }
    if (!Character.isHighSurrogate(unit)) {
      return String.valueOf(unit);
    }
    if (at + 1 >= bytes.length || bytes[at] != '\\' || bytes[at + 1] != 'u') {
      throw failAt(escapeStart, "unpaired surrogate in a \\u escape");
    }
    at += 2;
    char low = (char) hex4();
    if (!Character.isLowSurrogate(low)) {
      throw failAt(escapeStart, "a \\u escape of a high surrogate must be followed by one of a low surrogate");
    }
    return new String(new char[] {unit, low});
  }

  private int hex4() {
    int value = 0;
    for (int k = 0; k < 4; k++) {
      int digit = at < bytes.length ? Character.digit(bytes[at] & 0xFF, 16) : -1;
      if (digit < 0) {
        throw fail("a \\u escape needs four hex digits");
      }
      value = value * 16 + digit;
      at++;
    }
    return value;
  }

  /** Consumes one of two expected characters and returns it. */
  private char next(char a, char b) {
    skipWhitespace();
    if (at < bytes.length && (bytes[at] == a || bytes[at] == b)) {
      return (char) bytes[at++];
    }
    throw fail("expected '" + a + "' or '" + b + "' but found " + (at < bytes.length ? describe(bytes[at]) : "the end of the header"));
  }

  private void expect(char c) {
    skipWhitespace();
    if (at >= bytes.length) {
      throw fail("the header ends where '" + c + "' was expected");
    }
    if (bytes[at] != c) {
      throw fail("expected '" + c + "' but found " + describe(bytes[at]));
    }
    at++;
  }

  private boolean peek(char c) {
    skipWhitespace();
    return at < bytes.length && bytes[at] == c;
  }

  private void skipWhitespace() {
    while (at < bytes.length && (bytes[at] == ' ' || bytes[at] == '\t' || bytes[at] == '\n' || bytes[at] == '\r')) {
      at++;
    }
  }

  private FileFormatException fail(String problem) {
    return failAt(at, problem);
  }

  private FileFormatException failAt(int index, String problem) {
    return new FileFormatException(source, base + index, "bad safetensors header: " + problem);
  }

  private static String describe(byte b) {
    int u = b & 0xFF;
    return u >= 0x20 && u < 0x7F ? "'" + (char) u + "'" : String.format("byte 0x%02X", u);
  }

  private static StringBuilder quote(StringBuilder json, String s) {
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        case '\b' -> json.append("\\b");
        case '\f' -> json.append("\\f");
        default -> json.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
      }
    }
    return json.append('"');
  }

  /** Strict UTF-8: a name with an unpaired surrogate cannot be written. */
  private static byte[] utf8(CharSequence json) {
    try {
      ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(json));
      byte[] out = new byte[encoded.remaining()];
      encoded.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new AdjointException(
          "cannot write a safetensors header: a tensor name or a metadata string holds an unpaired surrogate, which UTF-8 cannot encode");
    }
  }
}
