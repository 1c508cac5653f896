package dev.adjoint.ir;

import java.util.List;

/**
 * One value in a graph: an op applied to earlier nodes, with its static type. Immutable and
 * compared by identity; graphs derived from a graph (a gradient graph, a pass result) share the
 * nodes they keep.
 */
public final class Node {
  private static final java.util.regex.Pattern VALID_NAME =
      java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_./-]*");

  private final int id;
  private final String name;
  private final Op op;
  private final List<Node> inputs;
  private final TensorType type;

  private Node(int id, String name, Op op, List<Node> inputs, TensorType type) {
    this.id = id;
    this.name = name;
    this.op = op;
    this.inputs = List.copyOf(inputs);
    this.type = type;
  }

  /**
   * Creates a node, typing it with {@link ShapeRules}: every node that exists is well-typed.
   *
   * @throws ShapeException if the operands do not fit the op, naming this node
   */
  public static Node create(int id, String name, Op op, List<Node> inputs) {
    if (!VALID_NAME.matcher(name).matches()) {
      throw new AdjointException(
          "invalid node name '" + name + "': use letters, digits, '_', '.', '/' and '-', starting with a letter or '_'");
    }
    List<TensorType> types = inputs.stream().map(Node::type).toList();
    return new Node(id, name, op, inputs, ShapeRules.infer(name, op, types));
  }

  /** Position in the builder that created it; unique within every graph that holds the node. */
  public int id() {
    return id;
  }

  public String name() {
    return name;
  }

  public Op op() {
    return op;
  }

  public List<Node> inputs() {
    return inputs;
  }

  public Node input(int i) {
    return inputs.get(i);
  }

  public TensorType type() {
    return type;
  }

  public DType dtype() {
    return type.dtype();
  }

  public Shape shape() {
    return type.shape();
  }

  /** {@code name (op)}, as used in error messages. */
  public String describe() {
    return "'" + name + "' (" + op.mnemonic() + ")";
  }

  @Override
  public String toString() {
    return name + " = " + op.mnemonic() + " : " + type;
  }
}
