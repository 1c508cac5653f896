package dev.adjoint.text;

import dev.adjoint.dsl.CustomVjpRule;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Op.BinaryFn;
import dev.adjoint.ir.Op.CompareFn;
import dev.adjoint.ir.Op.ReduceFn;
import dev.adjoint.ir.Op.Reduction;
import dev.adjoint.ir.Op.UnaryFn;
import dev.adjoint.ir.StateUpdate;
import dev.adjoint.ir.TensorType;
import dev.adjoint.text.Token.Kind;
import dev.adjoint.text.Value.Atom;
import dev.adjoint.text.Value.Call;
import dev.adjoint.text.Value.Field;
import dev.adjoint.text.Value.ListOf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the IR text form written by {@link GraphPrinter} back into a {@link Graph}. Every node is
 * built with {@link Node#create}, so the shape rules run again, and its written type must equal the
 * inferred one. Any problem is an {@link IrSyntaxException} with line, column and a caret.
 *
 * <p>Grammar (whitespace and {@code # comments} separate tokens; the printer puts one node per line):
 *
 * <pre>
 * graph := 'graph' (word | string) '{' (node | update)* 'return' [word (',' word)*] '}'
 * update := 'update' word '=' word
 * node  := word '=' op ['{' [field (',' field)*] '}'] ['(' [word (',' word)*] ')'] ':' type
 * field := word '=' value
 * value := number | word | string | '[' [value (',' value)*] ']' | word '(' [field (',' field)*] ')'
 * type  := dtype '[' [dim (',' dim)*] ']'          dim := integer | 'N'
 * word  := [A-Za-z_][A-Za-z0-9_./-]*                (the syntax of node names)
 * </pre>
 */
public final class GraphParser {

  /** Builds an op from its attributes; leaves take their type from the written annotation. */
  @FunctionalInterface
  private interface OpReader {
    Op read(Attributes attributes, TensorType written);
  }

  private static final Map<String, OpReader> OPS = opReaders();

  /** Deeper lists than any real constant has; the limit keeps hostile text from overflowing the stack. */
  private static final int MAX_NESTING = 256;

  private final Lexer lexer;
  private final Map<String, CustomVjpRule> rules;
  private final List<Token> lookahead = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private final List<StateUpdate> updates = new ArrayList<>();
  private final Map<String, Node> byName = new HashMap<>();
  private final Map<String, Token> definedAt = new HashMap<>();

  private GraphParser(String text, Map<String, CustomVjpRule> rules) {
    this.lexer = new Lexer(text);
    this.rules = Map.copyOf(rules);
  }

  /**
   * Parses a graph that has no {@code custom_vjp} nodes.
   *
   * @throws IrSyntaxException on any error, with its line and column
   */
  public static Graph parse(String text) {
    return parse(text, Map.of());
  }

  /**
   * Parses a graph, resolving each {@code custom_vjp{name=...}} in {@code rules}; an unknown rule
   * name is an error.
   *
   * @throws IrSyntaxException on any error, with its line and column
   */
  public static Graph parse(String text, Map<String, CustomVjpRule> rules) {
    return new GraphParser(text, rules).graph();
  }

  private static Map<String, OpReader> opReaders() {
    Map<String, OpReader> m = new HashMap<>();
    register(m, "input", (a, t) -> new Op.Input(t));
    register(m, "parameter", (a, t) -> new Op.Parameter(t, a.initializer("init"), a.int64("key")));
    register(m, "state", (a, t) -> new Op.State(t, a.initializer("init")));
    register(m, "constant", (a, t) -> new Op.Constant(a.array("value", t)));
    for (UnaryFn fn : UnaryFn.values()) {
      register(m, fn.text(), (a, t) -> new Op.Unary(fn));
    }
    for (BinaryFn fn : BinaryFn.values()) {
      register(m, fn.text(), (a, t) -> new Op.Binary(fn));
    }
    for (CompareFn fn : CompareFn.values()) {
      register(m, fn.text(), (a, t) -> new Op.Compare(fn));
    }
    register(m, "select", (a, t) -> new Op.Select());
    register(m, "cast", (a, t) -> new Op.Cast(a.dtype("to")));
    register(m, "stop_gradient", (a, t) -> new Op.StopGradient());
    for (ReduceFn fn : ReduceFn.values()) {
      register(m, fn.text(), (a, t) -> new Op.Reduce(fn, a.ints("axes"), a.bool("keep_dims")));
    }
    register(m, "size_of", (a, t) -> new Op.SizeOf(a.ints("axes"), a.dtype("dtype")));
    register(m, "reshape", (a, t) -> new Op.Reshape(a.shape("shape")));
    register(m, "transpose", (a, t) -> new Op.Transpose(a.ints("permutation")));
    register(m, "broadcast", (a, t) -> new Op.Broadcast(a.shape("shape")));
    register(m, "slice", (a, t) -> new Op.Slice(a.ints("starts"), a.dims("ends")));
    register(m, "pad", (a, t) -> new Op.Pad(a.ints("before"), a.ints("after"), a.real("value")));
    register(m, "concat", (a, t) -> new Op.Concat(a.int32("axis")));
    register(m, "matmul", (a, t) -> new Op.MatMul(a.flag("transpose_a"), a.flag("transpose_b")));
    register(m, "conv2d",
        (a, t) -> new Op.Conv2d(a.ints("strides"), a.ints("padding"), a.ints("dilations"), a.int32("groups")));
    register(m, "conv2d_backward_input", (a, t) -> new Op.Conv2dBackwardInput(
        a.ints("strides"), a.ints("padding"), a.ints("dilations"), a.int32("groups"), a.ints("input_size")));
    register(m, "conv2d_backward_filter", (a, t) -> new Op.Conv2dBackwardFilter(
        a.ints("strides"), a.ints("padding"), a.ints("dilations"), a.int32("groups"), a.ints("kernel_size")));
    register(m, "max_pool2d", (a, t) -> new Op.MaxPool2d(a.ints("kernel"), a.ints("strides"), a.ints("padding")));
    register(m, "max_pool2d_backward",
        (a, t) -> new Op.MaxPool2dBackward(a.ints("kernel"), a.ints("strides"), a.ints("padding")));
    register(m, "max_pool2d_select",
        (a, t) -> new Op.MaxPool2dSelect(a.ints("kernel"), a.ints("strides"), a.ints("padding")));
    register(m, "avg_pool2d", (a, t) -> new Op.AvgPool2d(
        a.ints("kernel"), a.ints("strides"), a.ints("padding"), a.bool("count_include_pad")));
    register(m, "avg_pool2d_backward", (a, t) -> new Op.AvgPool2dBackward(
        a.ints("kernel"), a.ints("strides"), a.ints("padding"), a.bool("count_include_pad"), a.ints("input_size")));
    register(m, "batch_norm_training", (a, t) -> new Op.BatchNormTraining(a.real("eps")));
    register(m, "batch_norm_inference", (a, t) -> new Op.BatchNormInference(a.real("eps")));
    register(m, "layer_norm", (a, t) -> new Op.LayerNorm(a.real("eps"), a.int32("axis")));
    register(m, "one_hot", (a, t) -> new Op.OneHot(a.int32("depth"), a.dtype("dtype")));
    register(m, "softmax", (a, t) -> new Op.Softmax(a.int32("axis")));
    register(m, "log_softmax", (a, t) -> new Op.LogSoftmax(a.int32("axis")));
    register(m, "softmax_cross_entropy",
        (a, t) -> new Op.SoftmaxCrossEntropy(a.choice("reduction", Reduction.values(), Reduction::text)));
    register(m, "random_uniform", (a, t) -> new Op.RandomUniform(a.int64("seed"), a.int64("key"), a.dtype("dtype")));
    register(m, "dropout", (a, t) -> new Op.Dropout(a.real("p"), a.int64("seed"), a.int64("key")));
    register(m, "custom_vjp", (a, t) -> a.customVjp("name"));
    return Map.copyOf(m);
  }

  private static void register(Map<String, OpReader> m, String mnemonic, OpReader reader) {
    if (m.put(mnemonic, reader) != null) {
      throw new IllegalStateException("two ops share the mnemonic '" + mnemonic + "'");
    }
  }

  // ---- grammar ----

  private Graph graph() {
    expectWord("graph", "at the start of the text");
    Token name = next();
    if (name.kind() != Kind.WORD && name.kind() != Kind.STRING) {
      throw error(name, "expected the graph's name after 'graph', found " + name.describe());
    }
    expect("{", "after the graph's name");
    while (!atReturn()) {
      Token t = peek(0);
      if (t.is("}")) {
        throw error(t, "expected 'return' and the graph's outputs before '}'");
      }
      if (t.kind() == Kind.END) {
        throw error(t, "expected a node or 'return', found end of input");
      }
      if (atUpdate()) {
        update();
      } else {
        node();
      }
    }
    next();
    List<Node> outputs = new ArrayList<>();
    if (!accept("}")) {
      do {
        outputs.add(operand());
      } while (accept(","));
      expect("}", "after output '" + outputs.getLast().name() + "'", ",");
    }
    Token end = next();
    if (end.kind() != Kind.END) {
      throw error(end, "expected end of input after the graph's closing '}', found " + end.describe());
    }
    try {
      return new Graph(name.text(), nodes, outputs, updates);
    } catch (AdjointException e) {
      throw error(name, e.getMessage(), e);
    }
  }

  /** {@code return} starts the output list unless it is the name of a node being defined. */
  private boolean atReturn() {
    return peek(0).isWord("return") && !peek(1).is("=");
  }

  /** {@code update state = value}; a node named {@code update} is followed by '=' instead. */
  private boolean atUpdate() {
    return peek(0).isWord("update") && peek(1).kind() == Kind.WORD;
  }

  /** {@code update state = value} */
  private void update() {
    next();
    Token stateToken = peek(0);
    Node state = operand();
    expect("=", "after the updated state '" + state.name() + "'");
    Node value = operand();
    for (StateUpdate u : updates) {
      if (u.state() == state) {
        throw error(stateToken, "state '" + state.name() + "' is already updated");
      }
    }
    try {
      updates.add(new StateUpdate(state, value));
    } catch (AdjointException e) {
      throw error(stateToken, e.getMessage(), e);
    }
  }

  /** {@code name = op{attributes}(operands) : type} */
  private void node() {
    Token name = next();
    if (name.kind() != Kind.WORD) {
      throw error(name, "expected a node name, found " + name.describe());
    }
    Token first = definedAt.get(name.text());
    if (first != null) {
      throw error(name, "duplicate node name '" + name.text() + "' (first defined on line " + lexer.line(first.offset()) + ")");
    }
    expect("=", "after node name '" + name.text() + "'");
    Token opName = next();
    if (opName.kind() != Kind.WORD) {
      throw error(opName, "expected an op after '=', found " + opName.describe());
    }
    OpReader reader = OPS.get(opName.text());
    if (reader == null) {
      throw error(opName, "unknown op '" + opName.text() + "'" + Suggestions.hint(opName.text(), OPS.keySet()));
    }
    boolean hasFields = peek(0).is("{");
    Map<String, Field> fields = hasFields ? fields("{", "}") : Map.of();
    boolean hasOperands = accept("(");
    List<Node> inputs = new ArrayList<>();
    if (hasOperands && !accept(")")) {
      do {
        inputs.add(operand());
      } while (accept(","));
      expect(")", "after operand '" + inputs.getLast().name() + "'", ",");
    }
    if (hasOperands) {
      expect(":", "and the node's type after the operands");
    } else if (hasFields) {
      expect(":", "after the attributes", "(");
    } else {
      expect(":", "after op '" + opName.text() + "'", "{", "(");
    }
    Token typeStart = peek(0);
    TensorType written = type(name.text());

    Attributes attributes = new Attributes("op '" + opName.text() + "'", opName, fields, lexer, rules);
    Op op = reader.read(attributes, written);
    attributes.finish();
    Node node;
    try {
      node = Node.create(nodes.size(), name.text(), op, inputs);
    } catch (AdjointException e) { // a ShapeException names node, op and operands: keep its message
      throw error(opName, e.getMessage(), e);
    }
    if (!node.type().equals(written)) {
      throw error(typeStart, "node '" + name.text() + "' (" + opName.text() + ") is written as " + written
          + " but its inferred type is " + node.type());
    }
    nodes.add(node);
    byName.put(node.name(), node);
    definedAt.put(node.name(), name);
  }

  private Node operand() {
    Token t = next();
    if (t.kind() != Kind.WORD) {
      throw error(t, "expected a node name, found " + t.describe());
    }
    Node n = byName.get(t.text());
    if (n == null) {
      throw error(t, "unknown node '" + t.text() + "': a node must be defined on a line before it is used");
    }
    return n;
  }

  /** {@code open name=value, ... close}: names unique, written order kept. */
  private Map<String, Field> fields(String open, String close) {
    expect(open, "");
    Map<String, Field> fields = new LinkedHashMap<>();
    if (!accept(close)) {
      Token last;
      do {
        last = next();
        if (last.kind() != Kind.WORD) {
          throw error(last, "expected an attribute name, found " + last.describe());
        }
        if (fields.containsKey(last.text())) {
          throw error(last, "attribute '" + last.text() + "' is given twice");
        }
        expect("=", "after attribute '" + last.text() + "'");
        fields.put(last.text(), new Field(last, value()));
      } while (accept(","));
      expect(close, "after attribute '" + last.text() + "'", ",");
    }
    return Collections.unmodifiableMap(fields);
  }

  private Value value() {
    return value(0);
  }

  private Value value(int depth) {
    Token t = peek(0);
    if (depth == MAX_NESTING) {
      throw error(t, "values nest more than " + MAX_NESTING + " levels deep");
    }
    if (accept("[")) {
      List<Value> items = new ArrayList<>();
      if (!accept("]")) {
        do {
          items.add(value(depth + 1));
        } while (accept(","));
        expect("]", "to close the list", ",");
      }
      return new ListOf(t, items);
    }
    if (t.kind() == Kind.WORD && peek(1).is("(")) {
      next();
      return new Call(t, fields("(", ")"));
    }
    if (t.kind() == Kind.WORD || t.kind() == Kind.NUMBER || t.kind() == Kind.STRING) {
      return new Atom(next());
    }
    throw error(t, "expected a value, found " + t.describe());
  }

  /** {@code f32[N,784]}, the written type of node {@code node}. */
  private TensorType type(String node) {
    DType dtype = Attributes.dtypeOf(new Atom(next()), "the dtype of node '" + node + "'", lexer);
    Token open = peek(0);
    if (!open.is("[")) {
      throw error(open, "expected '[' and the shape after dtype " + dtype + ", found " + open.describe());
    }
    return new TensorType(dtype, Attributes.shapeOf(value(), "the shape of node '" + node + "'", lexer));
  }

  // ---- tokens ----

  private Token peek(int ahead) {
    while (lookahead.size() <= ahead) {
      lookahead.add(lexer.next());
    }
    return lookahead.get(ahead);
  }

  private Token next() {
    Token t = peek(0);
    lookahead.removeFirst();
    return t;
  }

  /** Consumes the next token if it is {@code punct}. */
  private boolean accept(String punct) {
    if (peek(0).is(punct)) {
      next();
      return true;
    }
    return false;
  }

  /**
   * Consumes {@code punct} or fails with "expected 'punct' where, found ...", naming the {@code
   * alternatives} the grammar would also have accepted here: "expected ',' or ')' after operand 'x'".
   */
  private void expect(String punct, String where, String... alternatives) {
    Token t = next();
    if (!t.is(punct)) {
      List<String> all = new ArrayList<>();
      for (String alt : alternatives) {
        all.add("'" + alt + "'");
      }
      all.add("'" + punct + "'");
      String expected = all.size() == 1
          ? all.getFirst()
          : String.join(", ", all.subList(0, all.size() - 1)) + " or " + all.getLast();
      throw error(t, "expected " + expected + (where.isEmpty() ? "" : " " + where) + ", found " + t.describe());
    }
  }

  private void expectWord(String word, String where) {
    Token t = next();
    if (!t.isWord(word)) {
      throw error(t, "expected '" + word + "' " + where + ", found " + t.describe());
    }
  }

  private IrSyntaxException error(Token at, String reason) {
    return lexer.error(at.offset(), reason);
  }

  private IrSyntaxException error(Token at, String reason, AdjointException cause) {
    return lexer.error(at.offset(), reason, cause);
  }
}
