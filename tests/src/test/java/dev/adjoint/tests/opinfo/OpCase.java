package dev.adjoint.tests.opinfo;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.TensorType;
import dev.adjoint.ir.Weights;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * One row instantiated on one sample in one floating dtype: a graph whose operands are leaves
 * {@code x0, x1, ...} and whose only output is the subject node.
 *
 * @param types the operand types, floating ones in {@code real}
 */
record OpCase(OpInfo row, List<TensorType> types, DType real, Graph graph, Node subject, List<Node> operands) {

  /** The seed of {@link Weights#initialize} for parameter and state operands. */
  static final long WEIGHT_SEED = 11;

  static OpCase of(OpInfo row, List<TensorType> sample, DType real) {
    List<TensorType> types = sample.stream().map(t -> t.dtype().isFloating() ? t.withDType(real) : t).toList();
    GraphBuilder b = new GraphBuilder("opinfo");
    List<Tensor> leaves = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      leaves.add(row.operands().get(i).leaf().make(b, "x" + i, types.get(i)));
    }
    Tensor subject = row.build().build(b, leaves, real);
    return new OpCase(row, types, real, b.build(subject), subject.node(), leaves.stream().map(Tensor::node).toList());
  }

  /** Every sample of {@code row} in {@code real}. */
  static List<OpCase> all(OpInfo row, DType real) {
    return row.samples().stream().map(s -> of(row, s, real)).toList();
  }

  /** A graph of {@code build} applied to inputs {@code x0, x1, ...} of {@code types}, as written. */
  static Graph inputsThen(List<TensorType> types, OpInfo.NodeBuilder build) {
    GraphBuilder b = new GraphBuilder("opinfo");
    List<Tensor> inputs = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      inputs.add(b.input("x" + i, types.get(i)));
    }
    return b.build(build.build(b, inputs, DType.F64));
  }

  /**
   * Feeds for every input operand drawn from its domain, in order (so dependent domains see the
   * earlier operands), with N = {@code batch}; parameters and states get their initial values.
   */
  Map<String, NDArray> feeds(Random rng, int batch) {
    Map<String, NDArray> feeds = new LinkedHashMap<>(Weights.initialize(graph, WEIGHT_SEED));
    Map<String, NDArray> earlier = Collections.unmodifiableMap(feeds);
    for (int i = 0; i < operands.size(); i++) {
      Node operand = operands.get(i);
      if (operand.op() instanceof Op.Input) {
        TensorType concrete = operand.type().withShape(operand.shape().resolve(batch));
        feeds.put(operand.name(), row.operands().get(i).domain().sample(concrete, rng, earlier));
      }
    }
    return feeds;
  }

  /** The operands' values under {@code feeds}: fed values, or a constant operand's own value. */
  List<NDArray> operandValues(Map<String, NDArray> feeds) {
    return operands.stream().map(n -> n.op() instanceof Op.Constant c ? c.value() : feeds.get(n.name())).toList();
  }

  /** The names of the operands whose gradients are checked. */
  List<String> differentiableOperands() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < operands.size(); i++) {
      if (row.operands().get(i).differentiable()) {
        names.add(operands.get(i).name());
      }
    }
    return names;
  }

  /** For example {@code tanh on (f32[N,3])}. */
  @Override
  public String toString() {
    return row.name() + " on " + types.stream().map(TensorType::toString).collect(Collectors.joining(", ", "(", ")"));
  }
}
