package dev.adjoint.autodiff;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.TensorType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reverse-mode autodiff, graph to graph. The backward pass is built from ordinary ops in the same
 * builder as the forward pass, so it is optimized and compiled like any graph, and differentiating
 * it again gives higher derivatives (Hessian-vector products).
 *
 * <p>The walker visits the nodes between the output and the {@code wrt} tensors in reverse
 * topological order, asks {@link VjpRules} for each node's input cotangents, sums cotangents where
 * a value fans out (so residual connections need nothing special), and sums broadcast dimensions
 * back to each input's shape (so no rule has to).
 */
public final class Autodiff {
  private Autodiff() {}

  /** Gradients of a scalar floating {@code loss} with respect to each of {@code wrt}. */
  public static List<Tensor> gradients(Tensor loss, List<Tensor> wrt) {
    if (loss.rank() != 0 || !loss.dtype().isFloating()) {
      throw new AdjointException(
          "gradients need a scalar f32 or f64 loss; " + loss.node().describe() + " is " + loss.type()
              + " (use vjp with an explicit cotangent for non-scalar outputs)");
    }
    return vjp(loss, loss.scalarLike(1), wrt);
  }

  public static List<Tensor> gradients(Tensor loss, Tensor... wrt) {
    return gradients(loss, List.of(wrt));
  }

  /**
   * The vector-Jacobian product: given the cotangent of {@code output} (same type), the cotangent
   * of each {@code wrt} tensor, in its shape; zeros where {@code output} does not depend on it.
   */
  public static List<Tensor> vjp(Tensor output, Tensor cotangent, List<Tensor> wrt) {
    if (!cotangent.type().equals(output.type())) {
      throw new AdjointException(
          "the cotangent of " + output.node().describe() + " must have its type " + output.type() + ", got "
              + cotangent.type() + " from " + cotangent.node().describe());
    }
    for (Tensor w : wrt) {
      if (!w.dtype().isFloating()) {
        throw new AdjointException("cannot differentiate with respect to " + w.node().describe() + " of type " + w.type()
            + ": only f32 and f64 values have gradients");
      }
    }
    GraphBuilder b = output.builder();
    List<Node> order = ancestors(output.node());
    Set<Node> active = dependingOn(order, wrt);

    Map<Node, Tensor> cotangents = new HashMap<>();
    cotangents.put(output.node(), cotangent);
    for (int k = order.size() - 1; k >= 0; k--) {
      Node node = order.get(k);
      Tensor g = cotangents.get(node);
      if (g == null || !active.contains(node) || node.inputs().isEmpty()) {
        continue;
      }
      List<Tensor> inputs = node.inputs().stream().map(b::tensor).toList();
      List<Supplier<Tensor>> rules = VjpRules.vjp(node.op(), inputs, b.tensor(node), g);
      for (int i = 0; i < inputs.size(); i++) {
        Node in = node.input(i);
        Supplier<Tensor> rule = rules.get(i);
        if (rule != null && active.contains(in) && in.dtype().isFloating()) {
          Tensor gi = sumToType(rule.get(), in.type());
          cotangents.merge(in, gi, Tensor::plus);
        }
      }
    }
    List<Tensor> result = new ArrayList<>();
    for (Tensor w : wrt) {
      Tensor g = cotangents.get(w.node());
      result.add(g != null ? g : w.scalarLike(0).broadcastTo(w.shape()));
    }
    return result;
  }

  /**
   * A new graph returning {@code loss} followed by its gradient with respect to each named node:
   * the forward graph, unchanged, followed by the backward pass.
   */
  public static Graph grad(Graph graph, String loss, List<String> wrt) {
    GraphBuilder b = GraphBuilder.extending(graph);
    Tensor l = b.tensor(graph.node(loss));
    List<Tensor> outputs = new ArrayList<>();
    outputs.add(l);
    outputs.addAll(gradients(l, wrt.stream().map(n -> b.tensor(graph.node(n))).toList()));
    return b.build(outputs);
  }

  /**
   * Sums a cotangent over the dimensions its value was broadcast along (leading dims it lacks,
   * dims of size 1), so it has the shape of the value it flows into.
   */
  static Tensor sumToType(Tensor g, TensorType type) {
    if (!g.dtype().equals(type.dtype())) {
      throw new AdjointException("internal: cotangent " + g.type() + " for a value of type " + type);
    }
    if (g.shape().equals(type.shape())) {
      return g;
    }
    int lead = g.rank() - type.rank();
    if (lead < 0) {
      throw new AdjointException("internal: cotangent " + g.type() + " has lower rank than its value " + type);
    }
    List<Integer> axes = new ArrayList<>();
    for (int i = 0; i < g.rank(); i++) {
      if (i < lead || (type.shape().dim(i - lead) == 1 && g.shape().dim(i) != 1)) {
        axes.add(i);
      }
    }
    Tensor summed = axes.isEmpty() ? g : g.sum(true, axes.stream().mapToInt(Integer::intValue).toArray());
    return summed.shape().equals(type.shape()) ? summed : summed.reshape(type.shape());
  }

  /** {@code out} and everything it depends on, in topological (id) order. */
  private static List<Node> ancestors(Node out) {
    Set<Node> seen = new HashSet<>();
    Deque<Node> todo = new ArrayDeque<>();
    todo.push(out);
    while (!todo.isEmpty()) {
      Node n = todo.pop();
      if (seen.add(n)) {
        n.inputs().forEach(todo::push);
      }
    }
    List<Node> order = new ArrayList<>(seen);
    order.sort(Comparator.comparingInt(Node::id));
    return order;
  }

  /** The nodes of {@code order} that are, or depend on, one of {@code wrt}. */
  private static Set<Node> dependingOn(List<Node> order, List<Tensor> wrt) {
    Set<Node> active = new HashSet<>();
    wrt.forEach(w -> active.add(w.node()));
    for (Node n : order) {
      if (n.inputs().stream().anyMatch(active::contains)) {
        active.add(n);
      }
    }
    return active;
  }
}
