package dev.adjoint.text;

/** One token of the IR text; {@code offset} is the index of its first character in the source. */
record Token(Kind kind, String text, int offset) {

  enum Kind {
    /** A name or keyword: {@code [A-Za-z_][A-Za-z0-9_./-]*}, the syntax of node names. */
    WORD,
    /** A number as written; checked against the number syntax by the lexer. */
    NUMBER,
    /** A double-quoted string; {@code text} is the unescaped value. */
    STRING,
    /** One of {@code = { } ( ) [ ] , :}. */
    PUNCT,
    END
  }

  boolean is(String punct) {
    return kind == Kind.PUNCT && text.equals(punct);
  }

  boolean isWord(String word) {
    return kind == Kind.WORD && text.equals(word);
  }

  /** How an error message shows this token after "found". */
  String describe() {
    return switch (kind) {
      case END -> "end of input";
      case STRING -> GraphPrinter.quote(text);
      case WORD, NUMBER, PUNCT -> "'" + text + "'";
    };
  }
}
