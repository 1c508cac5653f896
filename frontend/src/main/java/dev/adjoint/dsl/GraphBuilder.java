package dev.adjoint.dsl;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.StateUpdate;
import dev.adjoint.ir.TensorType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Builds a {@link Graph}. Leaves (inputs, parameters, state, constants) come from here; operations
 * come from {@link Tensor} methods. Every node is typed as it is added, so a shape error points at
 * the line that made it. Not thread-safe; the graphs it builds are immutable.
 */
public final class GraphBuilder {
  /** The name of the i64 scalar input that keys dropout masks (see {@link #step()}). */
  public static final String STEP = "step";

  private final String name;
  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, Integer> nameCounts = new HashMap<>();
  private final Map<String, Node> byName = new HashMap<>();
  private final Deque<String> scopes = new ArrayDeque<>();
  private final Map<Node, Integer> consumers = new HashMap<>();
  private final List<StateUpdate> updates = new ArrayList<>();
  private long seed = 0;
  private long nextKey = 1;
  private boolean training = true;
  private Tensor step;

  public GraphBuilder(String name) {
    this.name = name;
  }

  /** A builder that continues {@code graph}: its nodes come first, unchanged, in the same order. */
  public static GraphBuilder extending(Graph graph) {
    GraphBuilder b = new GraphBuilder(graph.name());
    for (Node n : graph.nodes()) {
      b.append(n);
      if (n.op() instanceof Op.Parameter p) {
        b.nextKey = Math.max(b.nextKey, p.key() + 1);
      }
      if (n.op() instanceof Op.Dropout d) {
        b.nextKey = Math.max(b.nextKey, d.key() + 1);
      }
      if (n.op() instanceof Op.RandomUniform r) {
        b.nextKey = Math.max(b.nextKey, r.key() + 1);
      }
      if (n.name().equals(STEP) && n.op() instanceof Op.Input) {
        b.step = new Tensor(b, n);
      }
    }
    for (StateUpdate u : graph.updates()) {
      b.assign(b.get(u.state().name()), b.get(u.value().name()));
    }
    return b;
  }

  public String name() {
    return name;
  }

  /** Seed of the Philox streams for initializers and dropout. */
  public GraphBuilder seed(long seed) {
    this.seed = seed;
    return this;
  }

  public long seed() {
    return seed;
  }

  /** Whether layers build their training form (dropout active) or inference form. */
  public GraphBuilder training(boolean training) {
    this.training = training;
    return this;
  }

  public boolean isTraining() {
    return training;
  }

  /** A fresh key for a random stream; distinct within this builder. */
  public long nextKey() {
    return nextKey++;
  }

  // ---- leaves ----

  /** An input; put {@link Shape#BATCH} (-1) as the first dim for a symbolic batch. */
  public Tensor input(String name, DType dtype, int... dims) {
    return input(name, new TensorType(dtype, Shape.of(dims)));
  }

  public Tensor input(String name, TensorType type) {
    return leaf(name, new Op.Input(type));
  }

  public Tensor parameter(String name, DType dtype, Shape shape, Initializer init) {
    return leaf(name, new Op.Parameter(new TensorType(dtype, shape), init, nextKey()));
  }

  public Tensor parameter(String name, DType dtype, Initializer init, int... dims) {
    return parameter(name, dtype, Shape.of(dims), init);
  }

  public Tensor state(String name, DType dtype, Shape shape, Initializer init) {
    return leaf(name, new Op.State(new TensorType(dtype, shape), init));
  }

  public Tensor constant(NDArray value) {
    return add(new Op.Constant(value), List.of());
  }

  public Tensor constant(DType dtype, int[] dims, double... values) {
    return constant(NDArray.of(dtype, dims, values));
  }

  public Tensor scalar(DType dtype, double value) {
    return constant(NDArray.scalar(dtype, value));
  }

  /**
   * The training step counter that keys dropout masks: an i64 scalar input named {@code step},
   * created on first use.
   */
  public Tensor step() {
    if (step == null) {
      step = input(STEP, DType.I64);
    }
    return step;
  }

  private Tensor leaf(String name, Op op) {
    String full = scoped(name);
    if (byName.containsKey(full)) {
      throw new AdjointException("graph '" + this.name + "' already has a node named '" + full + "'");
    }
    return new Tensor(this, append(Node.create(nodes.size(), full, op, List.of())));
  }

  // ---- operations ----

  /** Adds a node applying {@code op} to {@code operands}; its name is derived from the op. */
  public Tensor add(Op op, List<Tensor> operands) {
    List<Node> in = new ArrayList<>(operands.size());
    for (Tensor t : operands) {
      in.add(own(t));
    }
    String n = uniqueName(scoped(op.mnemonic()));
    return new Tensor(this, append(Node.create(nodes.size(), n, op, in)));
  }

  public Tensor add(Op op, Tensor... operands) {
    return add(op, Arrays.asList(operands));
  }

  /** Concatenates along {@code axis} (negative counts from the end). */
  public Tensor concat(int axis, List<Tensor> parts) {
    if (parts.isEmpty()) {
      throw new AdjointException("concat needs at least one tensor");
    }
    return add(new Op.Concat(parts.get(0).normalizeAxis(axis)), parts);
  }

  public Tensor concat(int axis, Tensor... parts) {
    return concat(axis, Arrays.asList(parts));
  }

  /** {@code a} where {@code cond}, else {@code b}. */
  public Tensor select(Tensor cond, Tensor a, Tensor b) {
    return add(new Op.Select(), cond, a, b);
  }

  /**
   * Applies {@code forward} to {@code inputs} and attaches {@code rule} as the gradient of the
   * result with respect to {@code inputs}; autodiff does not look inside {@code forward}. The rule
   * is named so the text form can print and resolve it.
   */
  public Tensor customVjp(
      String ruleName, List<Tensor> inputs, Function<List<Tensor>, Tensor> forward, CustomVjpRule rule) {
    List<Tensor> operands = new ArrayList<>();
    operands.add(forward.apply(inputs));
    operands.addAll(inputs);
    return add(new Op.CustomVjp(ruleName, rule), operands);
  }

  /**
   * Runs {@code body} with node names prefixed by {@code scope + "/"} (nested scopes join), so a
   * layer's parameters read {@code block1/conv/w}.
   */
  public <T> T scope(String scope, Supplier<T> body) {
    scopes.push(scopes.isEmpty() ? scope : scopes.peek() + "/" + scope);
    try {
      return body.get();
    } finally {
      scopes.pop();
    }
  }

  /**
   * Renames the node behind {@code t}. Allowed only while nothing uses it yet, typically right
   * after it was made: {@code (x.matmul(w) + b).named("logits")}.
   */
  Tensor rename(Tensor t, String newName) {
    Node old = own(t);
    if (consumers.containsKey(old)) {
      throw new AdjointException("cannot rename " + old.describe() + " to '" + newName + "': it is already used by other nodes");
    }
    String full = scoped(newName);
    if (byName.containsKey(full) && byName.get(full) != old) {
      throw new AdjointException("graph '" + name + "' already has a node named '" + full + "'");
    }
    Node renamed = Node.create(old.id(), full, old.op(), old.inputs());
    nodes.set(old.id(), renamed);
    byName.remove(old.name());
    byName.put(full, renamed);
    if (step != null && step.node() == old) {
      step = new Tensor(this, renamed);
    }
    return new Tensor(this, renamed);
  }

  /**
   * Makes the program write {@code value} into {@code state} after each run (reads during the run
   * see the old value). A state is assigned at most once.
   */
  public void assign(Tensor state, Tensor value) {
    StateUpdate update = new StateUpdate(own(state), own(value));
    for (StateUpdate u : updates) {
      if (u.state() == update.state()) {
        throw new AdjointException("state " + update.state().describe() + " is already assigned " + u.value().describe());
      }
    }
    consumers.merge(update.value(), 1, Integer::sum);
    updates.add(update);
  }

  /** The node called {@code name} in this builder, as a tensor. */
  public Tensor get(String name) {
    Node n = byName.get(name);
    if (n == null) {
      throw new AdjointException("graph '" + this.name + "' has no node named '" + name + "'");
    }
    return new Tensor(this, n);
  }

  /** Wraps a node of this builder (for example one of a graph it extends). */
  public Tensor tensor(Node node) {
    Tensor t = new Tensor(this, node);
    own(t);
    return t;
  }

  public Graph build(Tensor... outputs) {
    return build(Arrays.asList(outputs));
  }

  public Graph build(List<Tensor> outputs) {
    List<Node> outs = new ArrayList<>();
    for (Tensor t : outputs) {
      outs.add(own(t));
    }
    return new Graph(name, nodes, outs, updates);
  }

  private Node own(Tensor t) {
    if (t.builder() != this) {
      throw new AdjointException("tensor " + t.node().describe() + " belongs to graph '" + t.builder().name
          + "', not to '" + name + "'");
    }
    Node n = t.node();
    if (n.id() >= nodes.size() || nodes.get(n.id()) != n) {
      throw new AdjointException("tensor " + n.describe() + " was renamed; use the tensor that named() returned");
    }
    return n;
  }

  private Node append(Node n) {
    boolean reusable = n.id() == nodes.size();
    for (Node i : n.inputs()) {
      reusable &= byName.get(i.name()) == i;
    }
    if (!reusable) {
      // A node taken over from another graph is shared as is only if its id and inputs line up.
      n = Node.create(nodes.size(), n.name(), n.op(), n.inputs().stream().map(i -> byName.get(i.name())).toList());
    }
    nodes.add(n);
    byName.put(n.name(), n);
    for (Node i : n.inputs()) {
      consumers.merge(i, 1, Integer::sum);
    }
    return n;
  }

  private String scoped(String base) {
    return scopes.isEmpty() ? base : scopes.peek() + "/" + base;
  }

  private String uniqueName(String base) {
    int k = nameCounts.merge(base, 1, Integer::sum);
    String candidate = base + "_" + k;
    while (byName.containsKey(candidate)) {
      k = nameCounts.merge(base, 1, Integer::sum);
      candidate = base + "_" + k;
    }
    return candidate;
  }
}
