package dev.adjoint.text;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.StateUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Writes a graph in the IR text form, one node per line:
 *
 * <pre>
 * graph mlp {
 *   x = input : f32[N,784]
 *   w1 = parameter{init=xavier_uniform(gain=1.0), key=1} : f32[784,128]
 *   matmul_1 = matmul(x, w1) : f32[N,128]
 *   reduce_sum_1 = reduce_sum{axes=[0, 1], keep_dims=false}(matmul_1) : f32[]
 *   update count = add_1
 *   return matmul_1, reduce_sum_1
 * }
 * </pre>
 *
 * Each line is {@code name = op{attributes}(operands) : type}; attributes come in a fixed order per
 * op and are left out with their braces when an op has none. Flags that default to false (matmul's
 * {@code transpose_a}, {@code transpose_b}) are written only when true. Leaves (input, parameter, state,
 * constant) take their type from the annotation. {@code update state = value} lines list the state
 * writes the program makes, after the nodes. The text is exact: numbers print so that they
 * parse back to the identical value, and {@link GraphParser} reads the text back to an equal graph.
 */
public final class GraphPrinter {
  private GraphPrinter() {}

  public static String print(Graph graph) {
    StringBuilder sb = new StringBuilder("graph ").append(word(graph.name())).append(" {\n");
    for (Node n : graph.nodes()) {
      sb.append("  ").append(printNode(n)).append('\n');
    }
    for (StateUpdate u : graph.updates()) {
      sb.append("  update ").append(u.state().name()).append(" = ").append(u.value().name()).append('\n');
    }
    String outputs = graph.outputs().stream().map(Node::name).collect(Collectors.joining(", "));
    sb.append("  return").append(outputs.isEmpty() ? "" : " " + outputs).append("\n}\n");
    return sb.toString();
  }

  /** One node as a line of the text form, without indentation: {@code relu_1 = relu(x) : f32[N,128]}. */
  public static String printNode(Node node) {
    StringBuilder sb = new StringBuilder(node.name()).append(" = ").append(node.op().mnemonic());
    sb.append(attributes(node.op()));
    if (!node.inputs().isEmpty()) {
      sb.append(node.inputs().stream().map(Node::name).collect(Collectors.joining(", ", "(", ")")));
    }
    return sb.append(" : ").append(node.type()).toString();
  }

  private static String attributes(Op op) {
    return switch (op) {
      case Op.Input _ -> "";
      case Op.Parameter p -> braces("init=" + initializer(p.init()), "key=" + p.key());
      case Op.State s -> braces("init=" + initializer(s.init()));
      case Op.Constant c -> braces("value=" + value(c.value()));
      case Op.Unary _ -> "";
      case Op.Binary _ -> "";
      case Op.Compare _ -> "";
      case Op.Select _ -> "";
      case Op.Cast c -> braces("to=" + c.to().text());
      case Op.StopGradient _ -> "";
      case Op.Reduce r -> braces("axes=" + ints(r.axes()), "keep_dims=" + r.keepDims());
      case Op.SizeOf s -> braces("axes=" + ints(s.axes()), "dtype=" + s.dtype().text());
      case Op.Reshape r -> braces("shape=" + r.shape());
      case Op.Transpose t -> braces("permutation=" + ints(t.permutation()));
      case Op.Broadcast b -> braces("shape=" + b.shape());
      case Op.Slice s -> braces("starts=" + ints(s.starts()), "ends=" + dims(s.ends()));
      case Op.Pad p -> braces("before=" + ints(p.before()), "after=" + ints(p.after()), "value=" + real(p.value()));
      case Op.Concat c -> braces("axis=" + c.axis());
      case Op.MatMul m -> braces(flag("transpose_a", m.transposeA()), flag("transpose_b", m.transposeB()));
      case Op.Conv2d c -> braces(convolution(c.strides(), c.padding(), c.dilations(), c.groups()));
      case Op.Conv2dBackwardInput c -> braces(
          convolution(c.strides(), c.padding(), c.dilations(), c.groups()), "input_size=" + ints(c.inputSize()));
      case Op.Conv2dBackwardFilter c -> braces(
          convolution(c.strides(), c.padding(), c.dilations(), c.groups()), "kernel_size=" + ints(c.kernelSize()));
      case Op.MaxPool2d p -> braces(pooling(p.kernel(), p.strides(), p.padding()));
      case Op.MaxPool2dBackward p -> braces(pooling(p.kernel(), p.strides(), p.padding()));
      case Op.MaxPool2dSelect p -> braces(pooling(p.kernel(), p.strides(), p.padding()));
      case Op.AvgPool2d p ->
          braces(pooling(p.kernel(), p.strides(), p.padding()), "count_include_pad=" + p.countIncludePad());
      case Op.AvgPool2dBackward p -> braces(pooling(p.kernel(), p.strides(), p.padding()),
          "count_include_pad=" + p.countIncludePad(), "input_size=" + ints(p.inputSize()));
      case Op.BatchNormTraining bn -> braces("eps=" + real(bn.eps()));
      case Op.BatchNormInference bn -> braces("eps=" + real(bn.eps()));
      case Op.LayerNorm ln -> braces("eps=" + real(ln.eps()), "axis=" + ln.axis());
      case Op.OneHot o -> braces("depth=" + o.depth(), "dtype=" + o.dtype().text());
      case Op.Softmax s -> braces("axis=" + s.axis());
      case Op.LogSoftmax s -> braces("axis=" + s.axis());
      case Op.SoftmaxCrossEntropy ce -> braces("reduction=" + ce.reduction().text());
      case Op.RandomUniform r -> braces("seed=" + r.seed(), "key=" + r.key(), "dtype=" + r.dtype().text());
      case Op.Dropout d -> braces("p=" + real(d.p()), "seed=" + d.seed(), "key=" + d.key());
      case Op.CustomVjp c -> braces("name=" + word(c.name()));
    };
  }

  /** The attributes every convolution op shares, in their fixed order. */
  private static String convolution(List<Integer> strides, List<Integer> padding, List<Integer> dilations, int groups) {
    return "strides=" + ints(strides) + ", padding=" + ints(padding) + ", dilations=" + ints(dilations) + ", groups="
        + groups;
  }

  /** The attributes every pooling op shares, in their fixed order. */
  private static String pooling(List<Integer> kernel, List<Integer> strides, List<Integer> padding) {
    return "kernel=" + ints(kernel) + ", strides=" + ints(strides) + ", padding=" + ints(padding);
  }

  private static String initializer(Initializer init) {
    return switch (init) {
      case Initializer.Constant c -> "constant(value=" + real(c.value()) + ")";
      case Initializer.Uniform u -> "uniform(low=" + real(u.low()) + ", high=" + real(u.high()) + ")";
      case Initializer.Normal n -> "normal(mean=" + real(n.mean()) + ", std=" + real(n.std()) + ")";
      case Initializer.TruncatedNormal t -> "truncated_normal(mean=" + real(t.mean()) + ", std=" + real(t.std())
          + ", low=" + real(t.low()) + ", high=" + real(t.high()) + ")";
      case Initializer.XavierUniform x -> "xavier_uniform(gain=" + real(x.gain()) + ")";
      case Initializer.XavierNormal x -> "xavier_normal(gain=" + real(x.gain()) + ")";
      case Initializer.HeUniform h -> "he_uniform(gain=" + real(h.gain()) + ", mode=" + fanMode(h.mode()) + ")";
      case Initializer.HeNormal h -> "he_normal(gain=" + real(h.gain()) + ", mode=" + fanMode(h.mode()) + ")";
      case Initializer.Orthogonal o -> "orthogonal(gain=" + real(o.gain()) + ")";
    };
  }

  static String fanMode(Initializer.FanMode mode) {
    return mode.name().toLowerCase(Locale.ROOT);
  }

  /** {@code {a=1, b=2}}, leaving out empty entries (unset flags); "" when nothing is left. */
  private static String braces(String... attributes) {
    List<String> written = Arrays.stream(attributes).filter(a -> !a.isEmpty()).toList();
    return written.isEmpty() ? "" : "{" + String.join(", ", written) + "}";
  }

  /** A flag that defaults to false: written only when set, so the common case reads plainly. */
  private static String flag(String name, boolean value) {
    return value ? name + "=true" : "";
  }

  /** {@code Double.toString}, which parses back to the same double ({@code NaN}, {@code -Infinity} included). */
  private static String real(double v) {
    return Double.toString(v);
  }

  private static String ints(List<Integer> values) {
    return values.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
  }

  /** Like {@link #ints}, with {@link Shape#BATCH} written {@code N}. */
  private static String dims(List<Integer> values) {
    return values.stream().map(Shape::dimText).collect(Collectors.joining(", ", "[", "]"));
  }

  /** A constant's elements, nested by shape; a scalar is its bare element. */
  private static String value(NDArray value) {
    List<String> elements = new ArrayList<>(value.size());
    for (int i = 0; i < value.size(); i++) {
      elements.add(element(value.get(i), value.dtype()));
    }
    StringBuilder sb = new StringBuilder();
    nest(sb, value.shape(), 0, elements, new int[] {0});
    return sb.toString();
  }

  private static void nest(StringBuilder sb, Shape shape, int axis, List<String> elements, int[] next) {
    if (axis == shape.rank()) {
      sb.append(elements.get(next[0]++));
      return;
    }
    sb.append('[');
    for (int i = 0; i < shape.dim(axis); i++) {
      sb.append(i == 0 ? "" : ", ");
      nest(sb, shape, axis + 1, elements, next);
    }
    sb.append(']');
  }

  /**
   * One element at its dtype's precision: an f32 prints as the shortest text that reads back to
   * the same float (0.1, not 0.10000000149011612), integers without a fraction.
   */
  private static String element(double v, DType dtype) {
    return switch (dtype) {
      case F32 -> Float.toString((float) v);
      case F64 -> Double.toString(v);
      case I32, I64 -> Long.toString((long) v);
      case BOOL -> v != 0 ? "true" : "false";
    };
  }

  /** A name bare when it is a word of the text form, else a quoted string. */
  static String word(String name) {
    boolean bare = !name.isEmpty() && Lexer.isWordStart(name.charAt(0));
    for (int i = 1; bare && i < name.length(); i++) {
      bare = Lexer.isWordPart(name.charAt(i));
    }
    return bare ? name : quote(name);
  }

  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> sb.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
      }
    }
    return sb.append('"').toString();
  }
}
