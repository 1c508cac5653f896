package dev.adjoint.text;

import dev.adjoint.text.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Splits IR text into tokens on demand (so an error early in the text is reported before a bad
 * character later on) and turns source offsets into positioned {@link IrSyntaxException}s.
 * Whitespace, including newlines, separates tokens; {@code #} starts a comment to the end of line.
 */
final class Lexer {
  private static final Pattern NUMBER = Pattern.compile("-?(?:[0-9]+(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|Infinity)");
  private static final String PUNCTUATION = "={}()[],:";

  private final String text;
  private final List<Integer> lineStarts = new ArrayList<>();
  private int pos;
  private int lastTokenEnd;

  Lexer(String text) {
    this.text = text;
    lineStarts.add(0);
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        lineStarts.add(i + 1);
      }
    }
  }

  /** Words: the syntax of node names, so every node name prints bare. */
  static boolean isWordStart(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  }

  static boolean isWordPart(char c) {
    return isWordStart(c) || isDigit(c) || c == '.' || c == '/' || c == '-';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** Whether {@code text} is a valid number token (integers, decimals, exponents, -Infinity). */
  static boolean isNumber(String text) {
    return NUMBER.matcher(text).matches();
  }

  Token next() {
    skipBlanks();
    if (pos >= text.length()) {
      // End of input sits right after the last token, so "found end of input" points at the cut.
      return new Token(Kind.END, "", lastTokenEnd);
    }
    int start = pos;
    char c = text.charAt(pos);
    Token token;
    if (isWordStart(c)) {
      while (pos < text.length() && isWordPart(text.charAt(pos))) {
        pos++;
      }
      token = new Token(Kind.WORD, text.substring(start, pos), start);
    } else if (c == '-' || isDigit(c)) {
      token = number(start);
    } else if (c == '"') {
      token = string(start);
    } else if (PUNCTUATION.indexOf(c) >= 0) {
      pos++;
      token = new Token(Kind.PUNCT, String.valueOf(c), start);
    } else {
      throw error(start, "unexpected character " + showChar(c));
    }
    lastTokenEnd = pos;
    return token;
  }

  private void skipBlanks() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '#') {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
      } else if (Character.isWhitespace(c)) {
        pos++;
      } else {
        return;
      }
    }
  }

  private Token number(int start) {
    // Take everything that could belong to the number, then check it as a whole: "1.2.3" and
    // "12abc" are one bad number, not a number followed by something else.
    pos++;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      char prev = text.charAt(pos - 1);
      boolean sign = (c == '+' || c == '-') && (prev == 'e' || prev == 'E');
      if (!(Character.isLetterOrDigit(c) || c == '.' || c == '_' || sign)) {
        break;
      }
      pos++;
    }
    String s = text.substring(start, pos);
    if (!isNumber(s)) {
      throw error(start, "bad number '" + s + "'");
    }
    return new Token(Kind.NUMBER, s, start);
  }

  private Token string(int start) {
    StringBuilder value = new StringBuilder();
    pos++;
    while (true) {
      if (pos >= text.length() || text.charAt(pos) == '\n') {
        throw error(start, "unterminated string");
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return new Token(Kind.STRING, value.toString(), start);
      }
      if (c != '\\') {
        value.append(c);
        continue;
      }
      int escape = pos - 1;
      char e = pos < text.length() ? text.charAt(pos++) : '\n';
      switch (e) {
        case '"', '\\' -> value.append(e);
        case 'n' -> value.append('\n');
        case 't' -> value.append('\t');
        case 'r' -> value.append('\r');
        case 'u' -> {
          String hex = text.substring(pos, Math.min(pos + 4, text.length()));
          if (!hex.matches("[0-9A-Fa-f]{4}")) {
            throw error(escape, "bad escape '\\u" + hex + "' in string (expected 4 hex digits)");
          }
          value.append((char) Integer.parseInt(hex, 16));
          pos += 4;
        }
        default -> throw error(escape, "bad escape " + showChar(e) + " after '\\' in string");
      }
    }
  }

  private static String showChar(char c) {
    return c < 0x20 || c == 0x7f ? String.format("U+%04X", (int) c) : "'" + c + "'";
  }

  IrSyntaxException error(int offset, String reason) {
    return error(offset, reason, null);
  }

  IrSyntaxException error(int offset, String reason, @Nullable Throwable cause) {
    int line = lineOf(offset);
    int lineStart = lineStarts.get(line);
    int lineEnd = line + 1 < lineStarts.size() ? lineStarts.get(line + 1) - 1 : text.length();
    String source = text.substring(lineStart, lineEnd);
    if (source.endsWith("\r")) {
      source = source.substring(0, source.length() - 1);
    }
    return new IrSyntaxException(line + 1, offset - lineStart + 1, source, reason, cause);
  }

  /** 1-based line holding {@code offset}. */
  int line(int offset) {
    return lineOf(offset) + 1;
  }

  /** 0-based line holding {@code offset}. */
  private int lineOf(int offset) {
    int lo = 0;
    int hi = lineStarts.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (lineStarts.get(mid) <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }
}
