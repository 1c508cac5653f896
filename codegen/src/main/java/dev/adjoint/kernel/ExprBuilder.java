package dev.adjoint.kernel;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The scalar expression of a node's element at a position: one exhaustive switch over the fusible
 * ops. A node with storage is loaded from its buffer; a fused node is computed from its operands'
 * expressions at the positions its op maps the position to (broadcasting, transposing, slicing).
 * Inside a row group, the group's per-row values are locals and its full-size members are computed
 * even where they also have storage, since the kernel that writes them is the one reading them.
 */
final class ExprBuilder {
  private final Function<Node, @Nullable Buffer> storage;
  private final Map<Node, Local> locals;
  private final Set<Node> computed;
  private final Function<Node, Node> reported;

  /** @param reported the node a run-time error of a node names (see {@link Lowering}) */
  ExprBuilder(Function<Node, @Nullable Buffer> storage, Function<Node, Node> reported) {
    this(storage, reported, Map.of(), Set.of());
  }

  /**
   * @param locals values already held in locals
   * @param computed nodes to compute even if they have storage
   */
  ExprBuilder(Function<Node, @Nullable Buffer> storage, Function<Node, Node> reported, Map<Node, Local> locals,
      Set<Node> computed) {
    this.storage = storage;
    this.reported = reported;
    this.locals = locals;
    this.computed = computed;
  }

  /** Node {@code node}'s element at {@code position} (one index per dimension of its shape). */
  Expr at(Node node, List<Index> position) {
    Local local = locals.get(node);
    if (local != null) {
      return new Expr.LocalRef(local);
    }
    if (!computed.contains(node)) {
      Buffer buffer = storage.apply(node);
      if (buffer != null) {
        return new Expr.Load(buffer, flat(position, node.shape()));
      }
    }
    return compute(node, position);
  }

  /** The element computed from the node's operands (its op applied), never loaded. */
  Expr compute(Node node, List<Index> position) {
    return switch (node.op()) {
      case Op.Constant c -> {
        if (c.value().size() != 1) {
          throw internal(node, "a constant with more than one element needs a buffer");
        }
        yield new Expr.Const(node.dtype(), c.value().get(0));
      }
      case Op.Unary u -> new Expr.Unary(u.fn(), operand(node, 0, position));
      case Op.Binary b -> binary(node, b.fn(), position);
      case Op.Compare c -> new Expr.Compare(c.fn(), operand(node, 0, position), operand(node, 1, position));
      case Op.Select _ ->
          new Expr.Select(operand(node, 0, position), operand(node, 1, position), operand(node, 2, position));
      case Op.Cast c -> {
        Expr x = operand(node, 0, position);
        yield x.dtype() == c.to() ? x : new Expr.Cast(c.to(), x);
      }
      case Op.StopGradient _, Op.CustomVjp _, Op.Broadcast _ -> operand(node, 0, position);
      case Op.Transpose t -> {
        Index[] source = new Index[position.size()];
        for (int a = 0; a < source.length; a++) {
          source[t.permutation().get(a)] = position.get(a);
        }
        yield at(node.input(0), List.of(source));
      }
      case Op.Slice s -> {
        List<Index> source = new ArrayList<>();
        for (int a = 0; a < position.size(); a++) {
          source.add(position.get(a).plus(s.starts().get(a)));
        }
        yield at(node.input(0), source);
      }
      case Op.Pad p -> pad(node, p, position);
      case Op.Concat c -> concat(node, c.axis(), position);
      case Op.Reshape _ -> reshape(node, position);
      case Op.OneHot o -> oneHot(node, o, position);
      case Op.RandomUniform r -> new Expr.Uniform(r.seed(), r.key(), at(node.input(1), List.of()),
          new Expr.IndexValue(flat(position, node.shape())), r.dtype());
      case Op.SizeOf s -> sizeOf(node, s);
      case Op.Input _, Op.Parameter _, Op.State _, Op.Reduce _, Op.MatMul _, Op.Conv2d _, Op.Conv2dBackwardInput _,
          Op.Conv2dBackwardFilter _, Op.MaxPool2d _, Op.MaxPool2dBackward _, Op.MaxPool2dSelect _, Op.AvgPool2d _,
          Op.AvgPool2dBackward _, Op.BatchNormTraining _, Op.BatchNormInference _, Op.LayerNorm _, Op.Softmax _,
          Op.LogSoftmax _, Op.SoftmaxCrossEntropy _, Op.Dropout _ ->
          throw internal(node, "its value must come from a buffer or a local");
    };
  }

  /** Operand {@code i} at the position NumPy broadcasting maps {@code position} to. */
  private Expr operand(Node node, int i, List<Index> position) {
    Node operand = node.input(i);
    return at(operand, broadcastSource(position, operand.shape()));
  }

  private Expr binary(Node node, Op.BinaryFn fn, List<Index> position) {
    Expr left = operand(node, 0, position);
    Expr right = operand(node, 1, position);
    Expr result = new Expr.Binary(fn, left, right);
    if (fn != Op.BinaryFn.DIV || !node.dtype().isInteger()) {
      return result;
    }
    Expr nonZero = new Expr.Compare(Op.CompareFn.NE, right, new Expr.Const(right.dtype(), 0));
    Node blamed = reported.apply(node);
    Failure failure = new Failure.DivisionByZero(blamed.describe(), node.shape(), operandTypes(blamed));
    return new Expr.Checked(result, nonZero, failure, new Expr.IndexValue(flat(position, node.shape())), left);
  }

  /** The padding value outside the operand, the operand's element inside. */
  private Expr pad(Node node, Op.Pad p, List<Index> position) {
    Shape in = node.input(0).shape();
    List<Index> source = new ArrayList<>();
    Expr inside = null;
    for (int a = 0; a < position.size(); a++) {
      int before = p.before().get(a);
      source.add(position.get(a).plus(-before));
      if (before != 0 || p.after().get(a) != 0) {
        Expr at = new Expr.IndexValue(position.get(a));
        Expr bounds = new Expr.And(
            new Expr.Compare(Op.CompareFn.GE, at, new Expr.Const(DType.I32, before)),
            new Expr.Compare(Op.CompareFn.LT, at, new Expr.Const(DType.I32, before + in.dim(a))));
        inside = inside == null ? bounds : new Expr.And(inside, bounds);
      }
    }
    Expr value = at(node.input(0), source);
    return inside == null ? value : new Expr.Select(inside, value, new Expr.Const(node.dtype(), p.value()));
  }

  /** Operand k where the position along {@code axis} falls into its part, shifted to its start. */
  private Expr concat(Node node, int axis, List<Index> position) {
    int parts = node.inputs().size();
    int[] starts = new int[parts + 1];
    for (int k = 0; k < parts; k++) {
      starts[k + 1] = starts[k] + node.input(k).shape().dim(axis);
    }
    Expr result = null;
    for (int k = parts - 1; k >= 0; k--) {
      if (starts[k + 1] == starts[k]) {
        continue; // an empty part is never chosen
      }
      List<Index> source = new ArrayList<>(position);
      source.set(axis, position.get(axis).plus(-starts[k]));
      Expr part = at(node.input(k), source);
      if (result == null) {
        result = part;
      } else {
        Expr inPart = new Expr.Compare(Op.CompareFn.LT, new Expr.IndexValue(position.get(axis)),
            new Expr.Const(DType.I32, starts[k + 1]));
        result = new Expr.Select(inPart, part, result);
      }
    }
    if (result == null) {
      throw internal(node, "a concatenation of empty parts has no elements to compute");
    }
    return result;
  }

  /**
   * A reshape keeps the row-major order: with the operand in a buffer, the element is at the same
   * flat index. A computed operand is reached only through a reshape that inserts or removes
   * dimensions of size 1, whose positions map one to one.
   */
  private Expr reshape(Node node, List<Index> position) {
    Node operand = node.input(0);
    Buffer buffer = computed.contains(operand) || locals.containsKey(operand) ? null : storage.apply(operand);
    if (buffer != null) {
      return new Expr.Load(buffer, flat(position, node.shape()));
    }
    if (locals.containsKey(operand)) {
      return new Expr.LocalRef(locals.get(operand));
    }
    List<Index> source = unitReshapeSource(node.shape(), operand.shape(), position);
    if (source == null) {
      throw internal(node, "a reshape of a computed value must only insert or remove dimensions of size 1");
    }
    return at(operand, source);
  }

  /**
   * The operand position of a reshape from {@code from} to {@code to} that only inserts or removes
   * dimensions of size 1, or null if the reshape does more.
   */
  static @Nullable List<Index> unitReshapeSource(Shape to, Shape from, List<Index> position) {
    List<Integer> kept = new ArrayList<>();
    for (int a = 0; a < to.rank(); a++) {
      if (to.dim(a) != 1) {
        kept.add(a);
      }
    }
    List<Index> source = new ArrayList<>();
    int next = 0;
    for (int a = 0; a < from.rank(); a++) {
      if (from.dim(a) == 1) {
        source.add(Index.ZERO);
      } else {
        if (next >= kept.size() || to.dim(kept.get(next)) != from.dim(a)) {
          return null;
        }
        source.add(position.get(kept.get(next++)));
      }
    }
    return next == kept.size() ? source : null;
  }

  /** Whether a reshape from {@code from} to {@code to} only inserts or removes dimensions of size 1. */
  static boolean isUnitReshape(Shape from, Shape to) {
    return unitReshapeSource(to, from, Collections.nCopies(to.rank(), Index.ZERO)) != null;
  }

  private Expr oneHot(Node node, Op.OneHot o, List<Index> position) {
    Node labels = node.input(0);
    List<Index> labelPosition = position.subList(0, position.size() - 1);
    Expr label = at(labels, labelPosition);
    DType type = label.dtype();
    Expr inRange = new Expr.And(
        new Expr.Compare(Op.CompareFn.GE, label, new Expr.Const(type, 0)),
        new Expr.Compare(Op.CompareFn.LT, label, new Expr.Const(type, o.depth())));
    Node blamed = reported.apply(node);
    Failure failure = new Failure.LabelOutOfRange(blamed.describe(), labels.shape(), o.depth(), operandTypes(blamed));
    Expr checked = new Expr.Checked(label, inRange, failure, new Expr.IndexValue(flat(labelPosition, labels.shape())),
        label);
    Expr klass = new Expr.IndexValue(position.getLast());
    Expr isClass = new Expr.Compare(Op.CompareFn.EQ, checked, type == DType.I32 ? klass : new Expr.Cast(type, klass));
    return new Expr.Select(isClass, new Expr.Const(o.dtype(), 1), new Expr.Const(o.dtype(), 0));
  }

  private static Expr sizeOf(Node node, Op.SizeOf s) {
    Size size = Size.ONE;
    for (int axis : s.axes()) {
      size = size.times(Size.ofDim(node.input(0).shape().dim(axis)));
    }
    return sizeExpr(size, s.dtype());
  }

  /** {@code size} as a value of {@code dtype}: a constant, or computed from N. */
  static Expr sizeExpr(Size size, DType dtype) {
    if (size.isConstant()) {
      return new Expr.Const(dtype, size.constant());
    }
    Expr perBatch = size.perBatch() == 1 ? new Expr.BatchSize()
        : new Expr.Binary(Op.BinaryFn.MUL, new Expr.BatchSize(), new Expr.Const(DType.I32, size.perBatch()));
    Expr value = size.constant() == 0 ? perBatch
        : new Expr.Binary(Op.BinaryFn.ADD, perBatch, new Expr.Const(DType.I32, size.constant()));
    return dtype == DType.I32 ? value : new Expr.Cast(dtype, value);
  }

  /** The row-major flat index of {@code position} in {@code shape}; N, at dimension 0, needs no stride. */
  static Index flat(List<Index> position, Shape shape) {
    Index flat = Index.ZERO;
    int stride = 1;
    for (int a = shape.rank() - 1; a >= 0; a--) {
      flat = flat.plus(position.get(a).times(stride));
      if (a > 0) {
        stride = Math.multiplyExact(stride, shape.dim(a));
      }
    }
    return flat;
  }

  /**
   * The position in an operand of shape {@code from} that NumPy broadcasting reads for {@code
   * position} of the result: dimensions align on the right, a dimension of size 1 is read at 0.
   */
  static List<Index> broadcastSource(List<Index> position, Shape from) {
    int offset = position.size() - from.rank();
    List<Index> source = new ArrayList<>(from.rank());
    for (int a = 0; a < from.rank(); a++) {
      source.add(from.dim(a) == 1 ? Index.ZERO : position.get(a + offset));
    }
    return source;
  }

  /** The operand types as the reference interpreter's messages print them. */
  private static List<String> operandTypes(Node node) {
    return node.inputs().stream().map(n -> n.type().toString()).toList();
  }

  private static AdjointException internal(Node node, String reason) {
    return new AdjointException("lowering " + node.describe() + ": " + reason);
  }
}
