package dev.adjoint.text;

import dev.adjoint.dsl.CustomVjpRule;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import dev.adjoint.text.Token.Kind;
import dev.adjoint.text.Value.Atom;
import dev.adjoint.text.Value.Call;
import dev.adjoint.text.Value.Field;
import dev.adjoint.text.Value.ListOf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The attributes of one op (or the arguments of one initializer), read by name as the type the op
 * record needs. Each read checks the written value and reports a positioned error; {@link #finish}
 * then rejects any attribute nobody asked for.
 */
final class Attributes {
  private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

  @FunctionalInterface
  private interface InitializerReader {
    Initializer read(Attributes args);
  }

  private static final Map<String, InitializerReader> INITIALIZERS = initializerReaders();

  private final String owner;
  private final Token ownerToken;
  private final Map<String, Field> fields;
  private final Set<String> asked = new LinkedHashSet<>();
  private final Lexer source;
  private final Map<String, CustomVjpRule> rules;

  /**
   * @param owner what the attributes belong to, as error messages name it ({@code op 'softmax'})
   * @param ownerToken where a missing attribute is reported
   */
  Attributes(String owner, Token ownerToken, Map<String, Field> fields, Lexer source, Map<String, CustomVjpRule> rules) {
    this.owner = owner;
    this.ownerToken = ownerToken;
    this.fields = fields;
    this.source = source;
    this.rules = rules;
  }

  /** The initializer names the text form knows, as {@code initializer(arg=...)}. */
  private static Map<String, InitializerReader> initializerReaders() {
    Map<String, InitializerReader> m = new HashMap<>();
    m.put("constant", a -> new Initializer.Constant(a.real("value")));
    m.put("uniform", a -> new Initializer.Uniform(a.real("low"), a.real("high")));
    m.put("normal", a -> new Initializer.Normal(a.real("mean"), a.real("std")));
    m.put("truncated_normal",
        a -> new Initializer.TruncatedNormal(a.real("mean"), a.real("std"), a.real("low"), a.real("high")));
    m.put("xavier_uniform", a -> new Initializer.XavierUniform(a.real("gain")));
    m.put("xavier_normal", a -> new Initializer.XavierNormal(a.real("gain")));
    m.put("he_uniform", a -> new Initializer.HeUniform(a.real("gain"), a.fanMode("mode")));
    m.put("he_normal", a -> new Initializer.HeNormal(a.real("gain"), a.fanMode("mode")));
    m.put("orthogonal", a -> new Initializer.Orthogonal(a.real("gain")));
    return Map.copyOf(m);
  }

  // ---- typed reads ----

  int int32(String name) {
    return int32Of(value(name), described(name), source);
  }

  long int64(String name) {
    return integerOf(value(name), described(name), source);
  }

  double real(String name) {
    Value v = value(name);
    @Nullable Double d = realOrNull(v);
    if (d == null) {
      throw mismatch(v, name, "a number");
    }
    return d;
  }

  boolean bool(String name) {
    Value v = value(name);
    if (v instanceof Atom(Token t) && (t.isWord("true") || t.isWord("false"))) {
      return t.isWord("true");
    }
    throw mismatch(v, name, "true or false");
  }

  /** A flag that is false unless written, as in {@code matmul{transpose_a=true}}. */
  boolean flag(String name) {
    asked.add(name);
    return fields.containsKey(name) && bool(name);
  }

  DType dtype(String name) {
    return dtypeOf(value(name), described(name), source);
  }

  /** A list of integers, written {@code [0, 1]}. */
  List<Integer> ints(String name) {
    return intList(name, false);
  }

  /** A list of integers in which {@code N} stands for {@link Shape#BATCH}, as in slice ends. */
  List<Integer> dims(String name) {
    return intList(name, true);
  }

  Shape shape(String name) {
    return shapeOf(value(name), described(name), source);
  }

  /** One of {@code choices}, written as its {@code text}. */
  <E> E choice(String name, E[] choices, Function<E, String> text) {
    Value v = value(name);
    if (v instanceof Atom(Token t) && t.kind() == Kind.WORD) {
      for (E e : choices) {
        if (text.apply(e).equals(t.text())) {
          return e;
        }
      }
    }
    List<String> texts = Arrays.stream(choices).map(text).toList();
    throw mismatch(v, name, "one of " + String.join(", ", texts));
  }

  Initializer initializer(String name) {
    Value v = value(name);
    if (!(v instanceof Call call)) {
      throw mismatch(v, name, "an initializer such as xavier_uniform(gain=1.0)");
    }
    InitializerReader reader = INITIALIZERS.get(call.name().text());
    if (reader == null) {
      throw source.error(call.name().offset(), "unknown initializer '" + call.name().text() + "' (known: "
          + String.join(", ", new TreeSet<>(INITIALIZERS.keySet())) + ")");
    }
    Attributes args = new Attributes("initializer '" + call.name().text() + "'", call.name(), call.args(), source, rules);
    Initializer init = reader.read(args);
    args.finish();
    return init;
  }

  /** A custom-VJP op whose rule is looked up by the name written in attribute {@code name}. */
  Op.CustomVjp customVjp(String name) {
    Value v = value(name);
    if (!(v instanceof Atom(Token t) && (t.kind() == Kind.WORD || t.kind() == Kind.STRING))) {
      throw mismatch(v, name, "a rule name");
    }
    CustomVjpRule rule = rules.get(t.text());
    if (rule == null) {
      String known = rules.isEmpty() ? "the parser was given no rules" : "known: " + String.join(", ", new TreeSet<>(rules.keySet()));
      throw source.error(t.offset(), "unknown custom_vjp rule " + GraphPrinter.word(t.text()) + " (" + known + ")");
    }
    return new Op.CustomVjp(t.text(), rule);
  }

  /** The value of a constant of type {@code type}: nested lists by shape, a bare element for a scalar. */
  NDArray array(String name, TensorType type) {
    Value v = value(name);
    if (type.shape().isBatched()) {
      throw source.error(v.start().offset(), "a constant needs a concrete shape, its type is " + type);
    }
    List<Value> elements = new ArrayList<>();
    flatten(v, type, 0, elements);
    double[] data = new double[elements.size()];
    for (int i = 0; i < data.length; i++) {
      data[i] = element(elements.get(i), type.dtype());
    }
    return NDArray.of(type.dtype(), type.shape(), data);
  }

  /** Rejects attributes that no read asked for; call after all reads. */
  void finish() {
    for (Field f : fields.values()) {
      if (!asked.contains(f.name().text())) {
        String expected = asked.isEmpty() ? "it takes none" : "expected " + String.join(", ", asked);
        throw source.error(f.name().offset(), owner + " has no attribute '" + f.name().text() + "' (" + expected + ")");
      }
    }
  }

  // ---- helpers ----

  private Value value(String name) {
    asked.add(name);
    Field f = fields.get(name);
    if (f == null) {
      // A misspelled attribute is more likely than a forgotten one: point at the typo.
      for (Field other : fields.values()) {
        if (!asked.contains(other.name().text()) && Suggestions.closest(other.name().text(), List.of(name)) != null) {
          throw source.error(other.name().offset(), owner + " has no attribute '" + other.name().text()
              + "' (did you mean '" + name + "'?)");
        }
      }
      throw source.error(ownerToken.offset(), owner + " is missing attribute '" + name + "'");
    }
    return f.value();
  }

  private String described(String name) {
    return "attribute '" + name + "' of " + owner;
  }

  private IrSyntaxException mismatch(Value v, String name, String expected) {
    return source.error(v.start().offset(), described(name) + " must be " + expected + ", found " + v.describe());
  }

  private Initializer.FanMode fanMode(String name) {
    return choice(name, Initializer.FanMode.values(), GraphPrinter::fanMode);
  }

  private List<Integer> intList(String name, boolean batchAllowed) {
    Value v = value(name);
    if (!(v instanceof ListOf list)) {
      throw mismatch(v, name, "a list like [0, 1]");
    }
    List<Integer> out = new ArrayList<>();
    for (Value item : list.items()) {
      boolean batch = batchAllowed && item instanceof Atom(Token t) && t.isWord("N");
      out.add(batch ? Shape.BATCH : int32Of(item, described(name), source));
    }
    return out;
  }

  private void flatten(Value v, TensorType type, int axis, List<Value> out) {
    if (axis == type.rank()) {
      out.add(v);
      return;
    }
    int n = type.shape().dim(axis);
    if (!(v instanceof ListOf list)) {
      throw source.error(v.start().offset(), "constant of type " + type + " needs a list of " + n + " entries on axis " + axis
          + ", found " + v.describe());
    }
    if (list.items().size() != n) {
      throw source.error(list.open().offset(), "constant of type " + type + " needs " + n + " entries on axis " + axis
          + ", found " + list.items().size());
    }
    for (Value item : list.items()) {
      flatten(item, type, axis + 1, out);
    }
  }

  /** One element of a constant. Floats are parsed at their own precision, so printing is exact. */
  private double element(Value v, DType dtype) {
    String what = "constant element (" + dtype + ")";
    return switch (dtype) {
      case F32, F64 -> {
        if (realOrNull(v) == null) {
          throw source.error(v.start().offset(), what + " must be a number, found " + v.describe());
        }
        String text = ((Atom) v).token().text();
        yield dtype == DType.F32 ? Float.parseFloat(text) : Double.parseDouble(text);
      }
      case I32 -> int32Of(v, what, source);
      case I64 -> integerOf(v, what, source);
      case BOOL -> {
        if (v instanceof Atom(Token t) && (t.isWord("true") || t.isWord("false"))) {
          yield t.isWord("true") ? 1 : 0;
        }
        throw source.error(v.start().offset(), what + " must be true or false, found " + v.describe());
      }
    };
  }

  /** The number written, or null if {@code v} is not a number. */
  private static @Nullable Double realOrNull(Value v) {
    if (v instanceof Atom(Token t)) {
      if (t.kind() == Kind.NUMBER) {
        return Double.parseDouble(t.text()); // the lexer checked the syntax
      }
      if (t.isWord("NaN")) {
        return Double.NaN;
      }
      if (t.isWord("Infinity")) {
        return Double.POSITIVE_INFINITY;
      }
    }
    return null;
  }

  // ---- shared with the type annotation ----

  static long integerOf(Value v, String what, Lexer source) {
    if (!(v instanceof Atom(Token t)) || t.kind() != Kind.NUMBER || !INTEGER.matcher(t.text()).matches()) {
      throw source.error(v.start().offset(), what + " must be an integer, found " + v.describe());
    }
    try {
      return Long.parseLong(t.text());
    } catch (NumberFormatException e) {
      throw source.error(t.offset(), what + " is out of range: " + t.text(), e);
    }
  }

  static int int32Of(Value v, String what, Lexer source) {
    long n = integerOf(v, what, source);
    if (n != (int) n) {
      throw source.error(v.start().offset(), what + " is out of range: " + n);
    }
    return (int) n;
  }

  /** A shape: non-negative integers, or {@code N} (the symbolic batch) as dimension 0. */
  static Shape shapeOf(Value v, String what, Lexer source) {
    if (!(v instanceof ListOf list)) {
      throw source.error(v.start().offset(), what + " must be a shape like [N,3], found " + v.describe());
    }
    int[] dims = new int[list.items().size()];
    for (int i = 0; i < dims.length; i++) {
      Value item = list.items().get(i);
      if (item instanceof Atom(Token t) && t.isWord("N")) {
        if (i > 0) {
          throw source.error(t.offset(), "in " + what + ", only dimension 0 may be the symbolic batch N");
        }
        dims[i] = Shape.BATCH;
      } else {
        dims[i] = int32Of(item, "dimension " + i + " of " + what, source);
        if (dims[i] < 0) {
          throw source.error(item.start().offset(), "dimension " + i + " of " + what + " is negative: " + dims[i]);
        }
      }
    }
    return Shape.of(dims);
  }

  static DType dtypeOf(Value v, String what, Lexer source) {
    if (v instanceof Atom(Token t) && t.kind() == Kind.WORD) {
      for (DType d : DType.values()) {
        if (d.text().equals(t.text())) {
          return d;
        }
      }
    }
    throw source.error(v.start().offset(), what + " must be f32, f64, i32, i64 or bool, found " + v.describe());
  }
}
