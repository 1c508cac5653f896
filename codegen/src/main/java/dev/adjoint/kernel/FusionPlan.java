package dev.adjoint.kernel;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.StateUpdate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Decides which nodes get storage and how nodes group into kernels. Without fusion, every node
 * that computes something is a group of its own. With fusion:
 *
 * <ul>
 *   <li>A fusible node (elementwise, layout, generator) is computed inside its consumer's loop nest
 *       unless it is an output, more than one node reads it (and recomputing it is not free), a
 *       library call or a general reshape must read it from memory, or its expression grows past
 *       {@link #MAX_EXPRESSION_SIZE} nodes (which bounds the code of every kernel method).
 *   <li>A reduction starts a <em>row group</em>: one loop over the rows (the kept axes of its input
 *       x) that holds every later reduction over the same axes of an x-shaped value (when it reads
 *       the group's values or the same tensors), the per-row values computed from them (locals),
 *       and the x-shaped elementwise values computed from those (recomputed in each inner loop that
 *       needs them). A member is stored only if something outside the group reads it. A node joins
 *       only if none of its other operands depends on the group, so the groups stay acyclic.
 *   <li>A library call whose only reader is an elementwise chain over its output's shape takes the
 *       chain as its epilogue, written in place over the call's output.
 * </ul>
 */
final class FusionPlan {
  /** The most expression nodes one fused value may have. */
  static final int MAX_EXPRESSION_SIZE = 160;
  /** The most members one row group may have. */
  static final int MAX_ROW_MEMBERS = 48;

  /** Where a node's value lives. */
  sealed interface Storage {
    /** A buffer of its own. */
    record Own() implements Storage {}

    /** The buffer of {@code of} (a reshape or identity of it, or an epilogue written in place). */
    record Alias(Node of) implements Storage {}

    /** No buffer: computed where it is read. */
    record None() implements Storage {}
  }

  /** What a row group member is per row. */
  enum Role {
    /** A reduction over the group's axes: one local per row. */
    REDUCTION,
    /** A value per row computed from reductions and other per-row values: one local per row. */
    ROW,
    /** An x-shaped value: computed per element wherever a member reads it. */
    FULL
  }

  /** Nodes computed by one kernel. */
  sealed interface Group {
    /** The node whose graph position orders the group among ready kernels. */
    Node anchor();

    /** The nodes the kernel computes, for its name and dumps. */
    List<Node> nodes();
  }

  /** A loop nest over {@code root}'s shape storing its element; fused operands computed inside. */
  record MapGroup(Node root, List<Node> nodes) implements Group {
    @Override
    public Node anchor() {
      return root;
    }
  }

  /** A library call, with an elementwise epilogue root updating its output in place. */
  record LibraryGroup(Node node, @Nullable Node epilogue, List<Node> nodes) implements Group {
    @Override
    public Node anchor() {
      return node;
    }
  }

  /** Reductions over {@code axes} of x-shaped values, and what is computed per row between them. */
  static final class RowGroup implements Group {
    private final Shape shape;
    private final List<Integer> axes;
    private final Map<Node, Role> members = new LinkedHashMap<>();

    RowGroup(Shape shape, List<Integer> axes) {
      this.shape = shape;
      this.axes = List.copyOf(axes);
    }

    Shape shape() {
      return shape;
    }

    List<Integer> axes() {
      return axes;
    }

    List<Node> members() {
      return List.copyOf(members.keySet());
    }

    Role role(Node member) {
      return members.get(member);
    }

    boolean contains(Node node) {
      return members.containsKey(node);
    }

    Set<Node> fullMembers() {
      Set<Node> full = new HashSet<>();
      members.forEach((node, role) -> {
        if (role == Role.FULL) {
          full.add(node);
        }
      });
      return full;
    }

    @Override
    public Node anchor() {
      return members.keySet().iterator().next();
    }

    @Override
    public List<Node> nodes() {
      return members();
    }
  }

  private final Graph graph;
  private final boolean fusion;
  private final List<Node> order = new ArrayList<>();
  private final Map<Node, Integer> positions = new HashMap<>();
  private final Map<Node, List<Node>> consumers = new HashMap<>();
  private final Set<Node> escaping = new HashSet<>();
  /** Fusible nodes that need storage for a reason outside any row group (first decision). */
  private final Set<Node> materialized = new HashSet<>();
  private final Map<Node, Integer> sizes = new HashMap<>();
  private final Map<Node, RowGroup> rowGroupOf = new HashMap<>();
  private final Map<Node, Storage> storage = new HashMap<>();
  private final Map<Node, Node> epilogues = new HashMap<>();
  private final List<Group> groups = new ArrayList<>();

  FusionPlan(Graph graph, boolean fusion) {
    this.graph = graph;
    this.fusion = fusion;
    collect();
    if (fusion) {
      decideMaterialized();
      formRowGroups();
    } else {
      for (Node node : order) {
        if (NodeKind.of(node.op()) == NodeKind.REDUCE) {
          RowGroup g = new RowGroup(node.input(0).shape(), ((Op.Reduce) node.op()).axes());
          g.members.put(node, Role.REDUCTION);
          rowGroupOf.put(node, g);
        }
      }
    }
    resolveStorage();
    if (fusion) {
      mergeEpilogues();
    }
    formGroups();
  }

  /** The nodes the outputs and state updates need, in graph order. */
  List<Node> nodes() {
    return order;
  }

  int position(Node node) {
    return positions.get(node);
  }

  boolean escapes(Node node) {
    return escaping.contains(node);
  }

  Storage storage(Node node) {
    return storage.get(node);
  }

  List<Group> groups() {
    return groups;
  }

  // ---- what is needed ----

  /**
   * The nodes whose values the outputs and updates read (through value operands only: a node read
   * just for its shape is not computed), plus the updated states themselves.
   */
  private void collect() {
    Set<Node> needed = new HashSet<>();
    Deque<Node> work = new ArrayDeque<>();
    for (Node out : graph.outputs()) {
      escaping.add(out);
      work.add(out);
    }
    for (StateUpdate u : graph.updates()) {
      escaping.add(u.value());
      work.add(u.value());
      work.add(u.state());
    }
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (needed.add(n)) {
        work.addAll(NodeKind.valueOperands(n));
      }
    }
    for (Node n : graph.nodes()) {
      if (needed.contains(n)) {
        positions.put(n, order.size());
        order.add(n);
        consumers.put(n, new ArrayList<>());
      }
    }
    for (Node n : order) {
      for (Node operand : NodeKind.valueOperands(n)) {
        consumers.get(operand).add(n);
      }
    }
  }

  private int uses(Node node) {
    return consumers.get(node).size();
  }

  // ---- first decision: storage outside row groups ----

  private void decideMaterialized() {
    for (Node v : order) {
      NodeKind kind = NodeKind.of(v.op());
      if (kind == NodeKind.LIBRARY || kind == NodeKind.REDUCE || kind == NodeKind.COMPOSITE) {
        materialized.add(v);
      } else if (kind.fusible() && needsStorage(v)) {
        materialized.add(v);
      }
    }
  }

  private boolean needsStorage(Node v) {
    if (escaping.contains(v)) {
      return true;
    }
    for (Node c : consumers.get(v)) {
      boolean libraryReads = NodeKind.of(c.op()) == NodeKind.LIBRARY;
      boolean reshapeReads = c.op() instanceof Op.Reshape && !ExprBuilder.isUnitReshape(v.shape(), c.shape());
      if ((libraryReads || reshapeReads) && !isView(v)) {
        return true;
      }
    }
    if (uses(v) > 1 && !cheap(v)) {
      return true;
    }
    return size(v) > MAX_EXPRESSION_SIZE;
  }

  /** A reshape or identity of a value that has storage: it shares that storage. */
  private boolean isView(Node v) {
    boolean viewOp = v.op() instanceof Op.Reshape || v.op() instanceof Op.StopGradient || v.op() instanceof Op.CustomVjp;
    return viewOp && tentativeStorage(v.input(0));
  }

  /** Whether {@code node} has storage by the first decision. */
  private boolean tentativeStorage(Node node) {
    return switch (NodeKind.of(node.op())) {
      case LEAF -> true;
      case CONSTANT -> constantHasStorage(node);
      case LIBRARY, REDUCE, COMPOSITE -> true;
      case POINTWISE, INDEX, RESHAPE, GENERATOR -> materialized.contains(node) || isView(node);
    };
  }

  private boolean constantHasStorage(Node node) {
    return node.shape().isBatched() || node.shape().size() != 1 || escaping.contains(node);
  }

  /** Moves elements or reads sizes only, from operands with storage or that are cheap themselves. */
  private boolean cheap(Node v) {
    boolean indexOnly = switch (NodeKind.of(v.op())) {
      case INDEX, RESHAPE -> true;
      case POINTWISE -> v.op() instanceof Op.StopGradient || v.op() instanceof Op.CustomVjp;
      case GENERATOR -> v.op() instanceof Op.SizeOf;
      case CONSTANT -> true;
      case LEAF, REDUCE, LIBRARY, COMPOSITE -> false;
    };
    if (!indexOnly) {
      return false;
    }
    for (Node u : NodeKind.valueOperands(v)) {
      if (!tentativeStorage(u) && !cheap(u)) {
        return false;
      }
    }
    return true;
  }

  /** The expression nodes computing {@code v} where it is read, operands with storage counting 1. */
  private int size(Node v) {
    Integer known = sizes.get(v);
    if (known != null) {
      return known;
    }
    int total = v.op() instanceof Op.Pad || v.op() instanceof Op.Concat || v.op() instanceof Op.OneHot ? 8 : 1;
    for (Node u : NodeKind.valueOperands(v)) {
      total += tentativeStorage(u) ? 1 : size(u);
    }
    sizes.put(v, total);
    return total;
  }

  // ---- row groups ----

  private void formRowGroups() {
    for (int i = 0; i < order.size(); i++) {
      Node seed = order.get(i);
      if (!(seed.op() instanceof Op.Reduce r) || rowGroupOf.containsKey(seed)) {
        continue;
      }
      RowGroup g = new RowGroup(seed.input(0).shape(), r.axes());
      join(g, seed, Role.REDUCTION);
      for (int j = i + 1; j < order.size() && g.members.size() < MAX_ROW_MEMBERS; j++) {
        Node w = order.get(j);
        NodeKind kind = NodeKind.of(w.op());
        if (rowGroupOf.containsKey(w) || !(kind.fusible() || kind == NodeKind.REDUCE)) {
          continue;
        }
        Role role = role(w, g);
        if (role == null) {
          continue;
        }
        boolean related = usesMember(w, g) || (role == Role.REDUCTION && sharesTensor(w, g));
        if (related && !dependsOnGroup(w, g) && groupSize(w, g, new HashMap<>()) <= MAX_EXPRESSION_SIZE) {
          join(g, w, role);
        }
      }
      absorbProducers(g);
    }
  }

  /**
   * Takes in the x-shaped elementwise nodes that only the group reads (a softmax's {@code x·2}, a
   * layer norm's residual sum): they had storage for being read twice, but inside the group they
   * are recomputed where they are read instead of stored and loaded.
   */
  private void absorbProducers(RowGroup g) {
    boolean changed = true;
    while (changed && g.members.size() < MAX_ROW_MEMBERS) {
      changed = false;
      for (Node p : order) {
        boolean elementOp = NodeKind.of(p.op()) == NodeKind.POINTWISE || p.op() instanceof Op.Broadcast;
        if (rowGroupOf.containsKey(p) || !materialized.contains(p) || escaping.contains(p) || !elementOp
            || !p.shape().equals(g.shape) || uses(p) == 0 || !g.members.keySet().containsAll(consumers.get(p))) {
          continue;
        }
        if (groupSize(p, g, new HashMap<>()) <= MAX_EXPRESSION_SIZE) {
          join(g, p, Role.FULL);
          changed = true;
        }
      }
    }
  }

  private void join(RowGroup g, Node node, Role role) {
    g.members.put(node, role);
    rowGroupOf.put(node, g);
  }

  /** The role {@code w} would have in {@code g}, or null if it cannot join. */
  private @Nullable Role role(Node w, RowGroup g) {
    Shape x = g.shape;
    Shape kept = keptShape(x, g.axes);
    Shape row = Lowering.rowShape(x, g.axes);
    if (w.op() instanceof Op.Reduce r) {
      return w.input(0).shape().equals(x) && r.axes().equals(g.axes) && fullOperand(w.input(0), g, kept)
          ? Role.REDUCTION : null;
    }
    List<Node> memberOperands = NodeKind.valueOperands(w).stream().filter(g::contains).toList();
    boolean perRow = memberOperands.stream().allMatch(u -> g.role(u) != Role.FULL);
    boolean rowShaped = w.shape().equals(kept) || w.shape().equals(row);
    if (rowShaped && perRow) {
      boolean consistent = memberOperands.stream().allMatch(u -> u.shape().equals(w.shape())
          || (w.op() instanceof Op.Reshape && (u.shape().equals(kept) || u.shape().equals(row))));
      boolean rowOp = NodeKind.of(w.op()) == NodeKind.POINTWISE || w.op() instanceof Op.Reshape;
      if (consistent && rowOp) {
        return Role.ROW;
      }
    }
    boolean elementOp = NodeKind.of(w.op()) == NodeKind.POINTWISE || w.op() instanceof Op.Broadcast
        || (w.op() instanceof Op.Reshape && w.input(0).shape().equals(x));
    if (w.shape().equals(x) && elementOp) {
      for (Node u : memberOperands) {
        if (!fullOperand(u, g, kept)) {
          return null;
        }
      }
      return Role.FULL;
    }
    return null;
  }

  /**
   * Whether a member {@code u} can be read at x positions: an x-shaped full member, or a per-row
   * value in x's rank (reduced axes of size 1), which broadcasts along the reduced axes. A
   * non-member is always readable.
   */
  private static boolean fullOperand(Node u, RowGroup g, Shape kept) {
    if (!g.contains(u)) {
      return true;
    }
    return g.role(u) == Role.FULL ? u.shape().equals(g.shape) : u.shape().equals(kept);
  }

  private static Shape keptShape(Shape x, List<Integer> axes) {
    int[] dims = x.dims();
    for (int a : axes) {
      dims[a] = 1;
    }
    return Shape.of(dims);
  }

  private static boolean usesMember(Node w, RowGroup g) {
    return NodeKind.valueOperands(w).stream().anyMatch(g::contains);
  }

  /** Whether a reduction's input reads a tensor with storage that the group already reads. */
  private boolean sharesTensor(Node w, RowGroup g) {
    Set<Node> groupReads = new HashSet<>();
    for (Node m : g.members.keySet()) {
      for (Node u : NodeKind.valueOperands(m)) {
        if (!g.contains(u)) {
          storedLeaves(u, groupReads);
        }
      }
    }
    Set<Node> reads = new HashSet<>();
    storedLeaves(w.input(0), reads);
    return !Collections.disjoint(groupReads, reads);
  }

  /** The nodes with storage that computing {@code u} in place reads. */
  private void storedLeaves(Node u, Set<Node> into) {
    if (tentativeStorage(u)) {
      into.add(u);
      return;
    }
    for (Node operand : NodeKind.valueOperands(u)) {
      storedLeaves(operand, into);
    }
  }

  /** Whether an operand of {@code w} outside {@code g} depends on a member: joining would make a cycle. */
  private boolean dependsOnGroup(Node w, RowGroup g) {
    Set<Node> visited = new HashSet<>();
    Deque<Node> work = new ArrayDeque<>();
    for (Node u : NodeKind.valueOperands(w)) {
      if (!g.contains(u)) {
        work.add(u);
      }
    }
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (g.contains(n)) {
        return true;
      }
      if (visited.add(n)) {
        work.addAll(NodeKind.valueOperands(n));
      }
    }
    return false;
  }

  /** The expression size of {@code w} inside {@code g}: per-row members count 1, full ones are recomputed. */
  private int groupSize(Node w, RowGroup g, Map<Node, Integer> memo) {
    Integer known = memo.get(w);
    if (known != null) {
      return known;
    }
    int total = 1;
    for (Node u : NodeKind.valueOperands(w)) {
      if (g.contains(u)) {
        total += g.role(u) == Role.FULL ? groupSize(u, g, memo) : 1;
      } else {
        total += tentativeStorage(u) ? 1 : size(u);
      }
    }
    memo.put(w, total);
    return total;
  }

  // ---- final storage ----

  private void resolveStorage() {
    for (Node v : order) {
      storage.put(v, decide(v));
    }
  }

  private Storage decide(Node v) {
    NodeKind kind = NodeKind.of(v.op());
    RowGroup g = rowGroupOf.get(v);
    if (g != null) {
      return storedMember(v, g) ? new Storage.Own() : new Storage.None();
    }
    return switch (kind) {
      case LEAF, LIBRARY -> new Storage.Own();
      case COMPOSITE -> {
        if (!Size.of(v.shape()).equals(Size.ZERO)) {
          throw new AdjointException("cannot lower " + v.describe() + " of type " + v.type()
              + ": decomposing it failed, and only an empty result needs no computing");
        }
        yield new Storage.Own();
      }
      case CONSTANT -> constantHasStorage(v) ? new Storage.Own() : new Storage.None();
      case REDUCE -> throw new AdjointException("internal: reduction " + v.describe() + " is in no group");
      case POINTWISE, INDEX, RESHAPE, GENERATOR -> {
        boolean viewOp =
            v.op() instanceof Op.Reshape || v.op() instanceof Op.StopGradient || v.op() instanceof Op.CustomVjp;
        Node operand = v.input(0);
        if (viewOp && !(storage.get(operand) instanceof Storage.None)) {
          yield new Storage.Alias(owner(operand));
        }
        yield !fusion || materialized.contains(v) ? new Storage.Own() : new Storage.None();
      }
    };
  }

  /** A member is stored when it leaves the group: an output, or read by a node outside it. */
  private boolean storedMember(Node m, RowGroup g) {
    if (escaping.contains(m)) {
      return true;
    }
    for (Node c : consumers.get(m)) {
      if (!g.contains(c)) {
        return true;
      }
    }
    return false;
  }

  /** The node whose buffer {@code node}'s storage is. */
  private Node owner(Node node) {
    Node n = node;
    while (storage.get(n) instanceof Storage.Alias a) {
      n = a.of();
    }
    return n;
  }

  /** Whether the buffer owned by {@code owner} holds an output or update value, its own or an alias's. */
  boolean bufferEscapes(Node owner) {
    for (Node n : escaping) {
      if (storage.containsKey(n) && owner(n) == owner) {
        return true;
      }
    }
    return false;
  }

  // ---- epilogues ----

  /**
   * A library output read by nothing but a chain of single-use elementwise nodes over its shape,
   * ending at a node with storage of the same type: the chain becomes the call's epilogue and its
   * end takes the call's buffer.
   */
  private void mergeEpilogues() {
    for (Node l : order) {
      if (NodeKind.of(l.op()) != NodeKind.LIBRARY || escaping.contains(l) || uses(l) != 1) {
        continue;
      }
      Node c = consumers.get(l).getFirst();
      while (true) {
        boolean identity = NodeKind.of(c.op()) == NodeKind.POINTWISE && c.shape().equals(l.shape())
            && !rowGroupOf.containsKey(c);
        if (!identity) {
          break;
        }
        Storage s = storage.get(c);
        if (s instanceof Storage.Own) {
          if (c.dtype() == l.dtype()) {
            storage.put(c, new Storage.Alias(l));
            epilogues.put(l, c);
          }
          break;
        }
        if (!(s instanceof Storage.None) || uses(c) != 1 || escaping.contains(c)) {
          break;
        }
        c = consumers.get(c).getFirst();
      }
    }
  }

  // ---- groups ----

  private void formGroups() {
    Set<Node> epilogueRoots = new HashSet<>(epilogues.values());
    Set<RowGroup> added = new HashSet<>();
    for (Node v : order) {
      NodeKind kind = NodeKind.of(v.op());
      RowGroup g = rowGroupOf.get(v);
      if (g != null) {
        if (added.add(g)) {
          groups.add(g);
        }
      } else if (kind == NodeKind.LIBRARY) {
        Node epilogue = epilogues.get(v);
        List<Node> nodes = new ArrayList<>(List.of(v));
        if (epilogue != null) {
          nodes.addAll(fused(epilogue));
        }
        groups.add(new LibraryGroup(v, epilogue, nodes));
      } else if (kind.fusible() && storage.get(v) instanceof Storage.Own && !epilogueRoots.contains(v)) {
        groups.add(new MapGroup(v, fused(v)));
      }
    }
  }

  /** {@code root} and the nodes without storage computed inside its expression. */
  private List<Node> fused(Node root) {
    Set<Node> nodes = new LinkedHashSet<>();
    nodes.add(root);
    Deque<Node> work = new ArrayDeque<>(NodeKind.valueOperands(root));
    while (!work.isEmpty()) {
      Node n = work.pop();
      if (storage.get(n) instanceof Storage.None && !(n.op() instanceof Op.Constant) && nodes.add(n)) {
        work.addAll(NodeKind.valueOperands(n));
      }
    }
    return List.copyOf(nodes);
  }
}
