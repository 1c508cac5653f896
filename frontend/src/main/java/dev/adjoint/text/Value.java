package dev.adjoint.text;

import java.util.List;
import java.util.Map;

/**
 * An attribute value as written, before it is read as a particular type: a single token, a
 * bracketed list, or a call such as {@code he_normal(gain=1.4, mode=fan_in)}.
 */
sealed interface Value {

  /** Where the value starts, for error messages. */
  Token start();

  /** How an error message shows this value after "found". */
  default String describe() {
    return switch (this) {
      case Atom a -> a.token().describe();
      case ListOf _ -> "a list";
      case Call c -> "'" + c.name().text() + "(...)'";
    };
  }

  record Atom(Token token) implements Value {
    public Token start() {
      return token;
    }
  }

  record ListOf(Token open, List<Value> items) implements Value {
    public ListOf {
      items = List.copyOf(items);
    }

    public Token start() {
      return open;
    }
  }

  /** {@code name(arg=value, ...)}; arguments keep their written order. */
  record Call(Token name, Map<String, Field> args) implements Value {
    public Token start() {
      return name;
    }
  }

  /** One {@code name=value} entry of an attribute block or a call. */
  record Field(Token name, Value value) {}
}
