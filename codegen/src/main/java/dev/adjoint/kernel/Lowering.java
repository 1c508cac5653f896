package dev.adjoint.kernel;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.StateUpdate;
import dev.adjoint.passes.DecomposeComposites;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Lowers a graph to a {@link KernelProgram}. Composites are first decomposed into primitives
 * ({@link DecomposeComposites}); then every primitive is lowered: elementwise, broadcast, select,
 * compare, cast, one-hot, random and layout ops to loop nests storing scalar expressions, reductions
 * to reduction statements, reshapes and identities to aliases of their operand's buffer, sizes to
 * expressions of N, matmul, convolutions and pooling to library calls.
 *
 * <p>Without fusion every node that computes something is its own kernel. With fusion (see {@link
 * FusionPlan}) elementwise and layout chains become one loop nest, elementwise producers are
 * computed inside the reductions that consume them, reductions over the same rows share one loop
 * over the rows together with the elementwise work between them (softmax, log-softmax, softmax
 * cross-entropy, layer and batch norm become one kernel each), and an elementwise consumer of a
 * GEMM, convolution or pooling output becomes the call's epilogue, updating its output in place.
 */
public final class Lowering {
  private final Graph graph;
  private final FusionPlan plan;
  private final Map<Node, Buffer> buffers = new HashMap<>();
  private final List<Buffer> bufferList = new ArrayList<>();
  private final Map<Buffer, NDArray> constants = new LinkedHashMap<>();
  private final Map<String, Buffer> feeds = new LinkedHashMap<>();
  private final Graph source;

  private Lowering(Graph source, Graph graph, boolean fusion) {
    this.source = source;
    this.graph = graph;
    this.plan = new FusionPlan(graph, fusion);
  }

  /**
   * The kernel program of {@code graph}.
   *
   * @param fusion whether to fuse; without it every computing node is a kernel of its own
   * @throws AdjointException naming the node if an op cannot be lowered
   */
  public static KernelProgram lower(Graph graph, boolean fusion) {
    return lower(graph, fusion, graph);
  }

  /**
   * {@link #lower(Graph, boolean)} of {@code graph}, the result of passes over {@code userGraph},
   * whose composites the run-time errors of their helper nodes name.
   */
  public static KernelProgram lower(Graph graph, boolean fusion, Graph userGraph) {
    Graph primitive = new DecomposeComposites().run(graph);
    return new Lowering(userGraph, primitive, fusion).run();
  }

  /**
   * The node a run-time error of {@code node} names: the composite it was decomposed from (a
   * label out of range in a softmax cross-entropy names the loss, as the reference interpreter
   * does, not its one-hot helper), else the node itself. Helpers are named {@code
   * composite/role}.
   */
  private Node reported(Node node) {
    String name = node.name();
    while (!source.hasNode(name)) {
      int slash = name.lastIndexOf('/');
      if (slash < 0) {
        return node;
      }
      name = name.substring(0, slash);
    }
    Node original = source.node(name);
    return name.equals(node.name()) || NodeKind.of(original.op()) != NodeKind.COMPOSITE ? node : original;
  }

  private KernelProgram run() {
    createBuffers();
    List<Kernel> kernels = new ArrayList<>();
    List<Integer> anchors = new ArrayList<>();
    for (FusionPlan.Group group : plan.groups()) {
      Kernel kernel = new KernelBuilder(group).build();
      if (kernel != null) {
        kernels.add(kernel);
        anchors.add(plan.position(group.anchor()));
      }
    }
    List<Buffer> outputs = new ArrayList<>();
    for (Node out : graph.outputs()) {
      outputs.add(buffer(out));
    }
    List<KernelProgram.StateWrite> writes = new ArrayList<>();
    for (StateUpdate u : graph.updates()) {
      writes.add(new KernelProgram.StateWrite(u.state().name(), buffer(u.state()), buffer(u.value())));
    }
    return new KernelProgram(graph.name(), bufferList, schedule(kernels, anchors), feeds, outputs, writes, constants);
  }

  // ---- buffers ----

  private void createBuffers() {
    for (Node node : plan.nodes()) {
      FusionPlan.Storage storage = plan.storage(node);
      switch (storage) {
        case FusionPlan.Storage.Own _ -> buffers.put(node, newBuffer(node));
        case FusionPlan.Storage.Alias alias -> buffers.put(node, buffer(alias.of()));
        case FusionPlan.Storage.None _ -> {}
      }
    }
  }

  private Buffer newBuffer(Node node) {
    Buffer.Role role;
    if (node.op() instanceof Op.Input) {
      role = Buffer.Role.INPUT;
    } else if (node.op() instanceof Op.Parameter) {
      role = Buffer.Role.PARAMETER;
    } else if (node.op() instanceof Op.State) {
      role = Buffer.Role.STATE;
    } else if (node.op() instanceof Op.Constant) {
      role = Buffer.Role.CONSTANT;
    } else {
      role = plan.bufferEscapes(node) ? Buffer.Role.OUTPUT : Buffer.Role.TEMPORARY;
    }
    Buffer buffer = new Buffer(bufferList.size(), node.name(), node.dtype(), Size.of(node.shape()), role);
    bufferList.add(buffer);
    if (role.isFed()) {
      feeds.put(node.name(), buffer);
    }
    if (node.op() instanceof Op.Constant c) {
      constants.put(buffer, c.value());
    }
    return buffer;
  }

  private Buffer buffer(Node node) {
    Buffer b = buffers.get(node);
    if (b == null) {
      throw new AdjointException("lowering graph '" + graph.name() + "': " + node.describe() + " has no buffer");
    }
    return b;
  }

  private @Nullable Buffer storageOf(Node node) {
    return buffers.get(node);
  }

  // ---- schedule ----

  /**
   * Kernels in an order where each runs after the kernels that write what it reads; among the
   * ready kernels, the one whose nodes come first in the graph runs first.
   */
  private static List<Kernel> schedule(List<Kernel> kernels, List<Integer> anchors) {
    Map<Buffer, Integer> writer = new HashMap<>();
    for (int k = 0; k < kernels.size(); k++) {
      for (Buffer b : kernels.get(k).writes()) {
        writer.put(b, k);
      }
    }
    List<Set<Integer>> successors = new ArrayList<>();
    int[] pending = new int[kernels.size()];
    for (int k = 0; k < kernels.size(); k++) {
      successors.add(new LinkedHashSet<>());
    }
    for (int k = 0; k < kernels.size(); k++) {
      Set<Integer> producers = new HashSet<>();
      for (Buffer b : kernels.get(k).reads()) {
        Integer w = writer.get(b);
        if (w != null && w != k) {
          producers.add(w);
        }
      }
      for (int p : producers) {
        successors.get(p).add(k);
      }
      pending[k] = producers.size();
    }
    PriorityQueue<Integer> ready = new PriorityQueue<>((a, b) -> anchors.get(a) != anchors.get(b).intValue()
        ? Integer.compare(anchors.get(a), anchors.get(b)) : Integer.compare(a, b));
    for (int k = 0; k < kernels.size(); k++) {
      if (pending[k] == 0) {
        ready.add(k);
      }
    }
    List<Kernel> ordered = new ArrayList<>();
    while (!ready.isEmpty()) {
      int k = ready.poll();
      Kernel kernel = kernels.get(k);
      ordered.add(new Kernel("k" + ordered.size() + "_" + identifier(kernel.nodes().getFirst()), kernel.nodes(),
          kernel.body(), kernel.inPlace()));
      for (int s : successors.get(k)) {
        if (--pending[s] == 0) {
          ready.add(s);
        }
      }
    }
    if (ordered.size() != kernels.size()) {
      throw new AdjointException("internal: the kernels' dependencies form a cycle");
    }
    return ordered;
  }

  private static String identifier(String name) {
    String id = name.replaceAll("[^A-Za-z0-9_]", "_");
    return id.length() > 40 ? id.substring(0, 40) : id;
  }

  // ---- kernels ----

  /** Builds the kernel of one fusion group. */
  private final class KernelBuilder {
    private final FusionPlan.Group group;
    private int nextVar;
    private int nextLocal;

    KernelBuilder(FusionPlan.Group group) {
      this.group = group;
    }

    /** The kernel, or null if the group computes nothing (an empty result). */
    @Nullable Kernel build() {
      List<String> names = group.nodes().stream().map(Node::name).toList();
      List<Stmt> body = switch (group) {
        case FusionPlan.MapGroup m -> isEmpty(m.root()) ? List.of()
            : m.root().op() instanceof Op.Concat c ? concatNests(m.root(), c.axis()) : mapNest(m.root(), buffer(m.root()));
        case FusionPlan.RowGroup r -> rowKernel(r);
        case FusionPlan.LibraryGroup l -> library(l);
      };
      if (body.isEmpty()) {
        return null;
      }
      body = CollapseLoops.apply(body);
      // In-place candidates never feed a moved value: their loads all vary with the store's index.
      List<Kernel.InPlace> inPlace = inPlace(body);
      return new Kernel("k", names, LoopInvariants.apply(DuplicateLocals.apply(body)), inPlace);
    }

    /** A value with no elements for any batch size needs no kernel. */
    private static boolean isEmpty(Node node) {
      return Size.of(node.shape()).equals(Size.ZERO);
    }

    private Var newVar() {
      return new Var(nextVar++);
    }

    private Local newLocal(DType dtype) {
      return new Local(nextLocal++, dtype);
    }

    /**
     * Loops over {@code shape} around {@code inner}, which receives the position: a loop per
     * dimension, except that a dimension of size 1 is position 0 without a loop.
     */
    private List<Stmt> nest(Shape shape, java.util.function.Function<List<Index>, List<Stmt>> inner) {
      return nest(shape, false, inner);
    }

    /**
     * {@link #nest(Shape, java.util.function.Function)}, its outermost loop marked parallel if
     * {@code parallel}: its iterations write disjoint elements.
     */
    private List<Stmt> nest(Shape shape, boolean parallel,
        java.util.function.Function<List<Index>, List<Stmt>> inner) {
      List<Index> position = new ArrayList<>();
      List<Var> vars = new ArrayList<>();
      List<Size> extents = new ArrayList<>();
      for (int a = 0; a < shape.rank(); a++) {
        if (shape.dim(a) == 1) {
          position.add(Index.ZERO);
        } else {
          Var v = newVar();
          vars.add(v);
          extents.add(Size.ofDim(shape.dim(a)));
          position.add(Index.of(v));
        }
      }
      List<Stmt> body = inner.apply(position);
      for (int i = vars.size() - 1; i >= 0; i--) {
        body = List.of(new Stmt.Loop(vars.get(i), extents.get(i), body, parallel && i == 0));
      }
      return body;
    }

    /** {@code target[position] = root's element} over root's shape. */
    private List<Stmt> mapNest(Node root, Buffer target) {
      ExprBuilder exprs = new ExprBuilder(Lowering.this::storageOf, Lowering.this::reported, Map.of(), Set.of(root));
      return nest(root.shape(), true, position ->
          List.of(new Stmt.Store(target, ExprBuilder.flat(position, root.shape()), exprs.at(root, position))));
    }

    /** A stored concatenation: one loop nest per part, copying it into its slice of the result. */
    private List<Stmt> concatNests(Node root, int axis) {
      ExprBuilder exprs = new ExprBuilder(Lowering.this::storageOf, Lowering.this::reported);
      Buffer target = buffer(root);
      List<Stmt> body = new ArrayList<>();
      int start = 0;
      for (Node part : root.inputs()) {
        int offset = start;
        if (!isEmpty(part)) {
          body.addAll(nest(part.shape(), true, position -> {
            List<Index> at = new ArrayList<>(position);
            at.set(axis, position.get(axis).plus(offset));
            return List.of(new Stmt.Store(target, ExprBuilder.flat(at, root.shape()), exprs.at(part, position)));
          }));
        }
        start += part.shape().dim(axis);
      }
      return body;
    }

    // ---- row groups ----

    private List<Stmt> rowKernel(FusionPlan.RowGroup g) {
      Shape x = g.shape();
      List<Integer> axes = g.axes();
      Map<Node, Local> locals = new HashMap<>();
      List<Node> storedFull = g.members().stream()
          .filter(m -> g.role(m) == FusionPlan.Role.FULL && buffers.containsKey(m)).toList();
      Node staged = stagedMember(g, storedFull);
      ExprBuilder computing = new ExprBuilder(Lowering.this::storageOf, Lowering.this::reported, locals,
          g.fullMembers());
      ExprBuilder loadingStaged = staged == null ? computing : new ExprBuilder(
          n -> n == staged ? buffer(storedFull.getFirst()) : storageOf(n), Lowering.this::reported, locals,
          g.fullMembers().stream().filter(n -> n != staged).collect(java.util.stream.Collectors.toSet()));
      Shape outer = rowShape(x, axes);
      return nest(outer, true, outerPosition -> {
        List<Stmt> body = new ArrayList<>();
        ExprBuilder exprs = computing;
        for (Node m : g.members()) {
          if (staged != null && exprs == computing && g.role(m) == FusionPlan.Role.REDUCTION
              && dependsOn(m, staged, g)) {
            // Store the expensive value once into the output's row, and read it back from there.
            body.addAll(innerNest(x, axes, outerPosition, position -> List.of(new Stmt.Store(
                buffer(storedFull.getFirst()), ExprBuilder.flat(position, x), computing.compute(staged, position)))));
            exprs = loadingStaged;
          }
          switch (g.role(m)) {
            case REDUCTION -> locals.put(m, reduction((Op.Reduce) m.op(), m, x, axes, outerPosition, exprs, body));
            case ROW -> {
              Expr value = exprs.compute(m, rowPosition(m.shape(), x, axes, outerPosition));
              if (value instanceof Expr.LocalRef same) {
                locals.put(m, same.local()); // an identity or reshape of a per-row value
              } else {
                Local local = newLocal(m.dtype());
                body.add(new Stmt.Let(local, value));
                locals.put(m, local);
              }
            }
            case FULL -> {}
          }
        }
        for (Node m : g.members()) {
          if (g.role(m) != FusionPlan.Role.FULL && buffers.containsKey(m)) {
            Index at = ExprBuilder.flat(rowPosition(m.shape(), x, axes, outerPosition), m.shape());
            body.add(new Stmt.Store(buffer(m), at, new Expr.LocalRef(locals.get(m))));
          }
        }
        if (!storedFull.isEmpty()) {
          ExprBuilder finalExprs = exprs;
          body.addAll(innerNest(x, axes, outerPosition, position -> {
            List<Stmt> stores = new ArrayList<>();
            for (Node m : storedFull) {
              stores.add(new Stmt.Store(buffer(m), ExprBuilder.flat(position, x), finalExprs.compute(m, position)));
            }
            return stores;
          }));
        }
        return body;
      });
    }

    /**
     * A full-size member worth computing once and keeping: a transcendental (softmax's {@code
     * exp(x − max)}) that both a reduction of the group and its only stored output read. The kernel
     * stores it into the output's row before that reduction, then reads it back there and in the
     * output's expression, which overwrites it in place: one exp per element instead of two.
     */
    private @Nullable Node stagedMember(FusionPlan.RowGroup g, List<Node> storedFull) {
      if (storedFull.size() != 1) {
        return null;
      }
      Node output = storedFull.getFirst();
      for (Node m : g.members()) {
        if (g.role(m) == FusionPlan.Role.FULL && m != output && !buffers.containsKey(m)
            && m.dtype() == output.dtype() && m.shape().equals(output.shape())
            && m.op() instanceof Op.Unary u && isTranscendental(u.fn()) && dependsOn(output, m, g)
            && g.members().stream().anyMatch(r -> g.role(r) == FusionPlan.Role.REDUCTION && dependsOn(r, m, g))) {
          return m;
        }
      }
      return null;
    }

    private static boolean isTranscendental(Op.UnaryFn fn) {
      return switch (fn) {
        case EXP, EXPM1, LOG, LOG1P, TANH, SIGMOID, ERF -> true;
        case NEG, ABS, SIGN, SQRT, RECIPROCAL, RELU -> false;
      };
    }

    /** Whether {@code node}'s value reads {@code target}, through members of the group. */
    private static boolean dependsOn(Node node, Node target, FusionPlan.RowGroup g) {
      for (Node input : node.inputs()) {
        if (input == target || (g.contains(input) && dependsOn(input, target, g))) {
          return true;
        }
      }
      return false;
    }

    /**
     * Adds the reduction statement to {@code body}, and, where the node's value is not the
     * accumulator itself, the local holding it (the mean divided, the sum cast); returns the local
     * that holds the node's value.
     */
    private Local reduction(Op.Reduce r, Node m, Shape x, List<Integer> axes, List<Index> outerPosition,
        ExprBuilder exprs, List<Stmt> body) {
      List<Var> vars = new ArrayList<>();
      List<Size> extents = new ArrayList<>();
      List<Index> position = fullPosition(x, axes, outerPosition, vars, extents);
      Expr value = exprs.at(m.input(0), position);
      if ((r.fn() == Op.ReduceFn.MAX || r.fn() == Op.ReduceFn.MIN) && extents.contains(Size.ZERO)) {
        throw new AdjointException("node " + m.describe() + ": " + r.fn().text() + " over axes " + axes + " of " + x
            + " has no elements");
      }
      Stmt.Combine combine = switch (r.fn()) {
        case SUM, MEAN -> Stmt.Combine.SUM;
        case MAX -> Stmt.Combine.MAX;
        case MIN -> Stmt.Combine.MIN;
      };
      Local accumulator = newLocal(combine.accumulator(value.dtype()));
      Expr total = new Expr.LocalRef(accumulator);
      if (r.fn() == Op.ReduceFn.MEAN) {
        Size count = Size.ONE;
        for (int a : axes) {
          count = count.times(Size.ofDim(x.dim(a)));
        }
        total = new Expr.Binary(Op.BinaryFn.DIV, total, ExprBuilder.sizeExpr(count, DType.F64));
      }
      if (total.dtype() != m.dtype()) {
        total = new Expr.Cast(m.dtype(), total);
      }
      body.add(new Stmt.Reduce(accumulator, combine, vars, extents, value));
      if (total instanceof Expr.LocalRef) {
        return accumulator;
      }
      Local result = newLocal(m.dtype());
      body.add(new Stmt.Let(result, total));
      return result;
    }

    /** Loops over the reduced axes (at the given outer position) around {@code inner}. */
    private List<Stmt> innerNest(Shape x, List<Integer> axes, List<Index> outerPosition,
        java.util.function.Function<List<Index>, List<Stmt>> inner) {
      List<Var> vars = new ArrayList<>();
      List<Size> extents = new ArrayList<>();
      List<Stmt> body = inner.apply(fullPosition(x, axes, outerPosition, vars, extents));
      for (int i = vars.size() - 1; i >= 0; i--) {
        body = List.of(new Stmt.Loop(vars.get(i), extents.get(i), body));
      }
      return body;
    }

    /**
     * A position in x: the outer position on the kept axes and fresh variables (added to {@code
     * vars} and {@code extents}) on the reduced axes of size other than 1.
     */
    private List<Index> fullPosition(Shape x, List<Integer> axes, List<Index> outerPosition, List<Var> vars,
        List<Size> extents) {
      List<Index> position = new ArrayList<>();
      int next = 0;
      for (int a = 0; a < x.rank(); a++) {
        if (!axes.contains(a)) {
          position.add(outerPosition.get(next++));
        } else if (x.dim(a) == 1) {
          position.add(Index.ZERO);
        } else {
          Var v = newVar();
          vars.add(v);
          extents.add(Size.ofDim(x.dim(a)));
          position.add(Index.of(v));
        }
      }
      return position;
    }

    // ---- library calls ----

    private List<Stmt> library(FusionPlan.LibraryGroup l) {
      Node node = l.node();
      if (isEmpty(node)) {
        return List.of();
      }
      Buffer out = buffer(node);
      List<Stmt> epilogue = l.epilogue() == null ? List.of() : mapNest(l.epilogue(), out);
      return switch (node.op()) {
        case Op.MatMul mm -> matmul(node, mm, out, epilogue);
        case Op.Conv2d c -> List.of(fusedCall(new LibraryCall.Conv2d(node.dtype(), LibraryCall.ConvKind.FORWARD,
            operand(node.input(0)), operand(node.input(1)), operand(node), convWindow(node.input(0).shape(),
            node.shape(), node.input(1).shape(), c.strides(), c.padding(), c.dilations(), c.groups())),
            epilogue, node.shape(), 1, 2));
        case Op.Conv2dBackwardInput c -> List.of(new Stmt.Call(new LibraryCall.Conv2d(node.dtype(),
            LibraryCall.ConvKind.BACKWARD_INPUT, operand(node.input(0)), operand(node.input(1)), operand(node),
            convWindow(node.shape(), node.input(0).shape(), node.input(1).shape(), c.strides(), c.padding(),
                c.dilations(), c.groups())), epilogue));
        case Op.Conv2dBackwardFilter c -> List.of(new Stmt.Call(new LibraryCall.Conv2d(node.dtype(),
            LibraryCall.ConvKind.BACKWARD_FILTER, operand(node.input(0)), operand(node.input(1)), operand(node),
            convWindow(node.input(0).shape(), node.input(1).shape(), node.shape(), c.strides(), c.padding(),
                c.dilations(), c.groups())), epilogue));
        case Op.MaxPool2d p -> pool(node, LibraryCall.PoolKind.MAX, List.of(node.input(0)), node.input(0).shape(),
            node.shape(), p.kernel(), p.strides(), p.padding(), false, epilogue);
        case Op.MaxPool2dBackward p -> pool(node, LibraryCall.PoolKind.MAX_BACKWARD, node.inputs(), node.shape(),
            node.input(1).shape(), p.kernel(), p.strides(), p.padding(), false, epilogue);
        case Op.MaxPool2dSelect p -> pool(node, LibraryCall.PoolKind.MAX_SELECT, node.inputs(), node.input(0).shape(),
            node.shape(), p.kernel(), p.strides(), p.padding(), false, epilogue);
        case Op.AvgPool2d p -> pool(node, LibraryCall.PoolKind.AVG, node.inputs(), node.input(0).shape(), node.shape(),
            p.kernel(), p.strides(), p.padding(), p.countIncludePad(), epilogue);
        case Op.AvgPool2dBackward p -> pool(node, LibraryCall.PoolKind.AVG_BACKWARD, node.inputs(), node.shape(),
            node.input(0).shape(), p.kernel(), p.strides(), p.padding(), p.countIncludePad(), epilogue);
        case Op.Input _, Op.Parameter _, Op.State _, Op.Constant _, Op.Unary _, Op.Binary _, Op.Compare _,
            Op.Select _, Op.Cast _, Op.StopGradient _, Op.Reduce _, Op.SizeOf _, Op.Reshape _, Op.Transpose _,
            Op.Broadcast _, Op.Slice _, Op.Pad _, Op.Concat _, Op.BatchNormTraining _, Op.BatchNormInference _,
            Op.LayerNorm _, Op.OneHot _, Op.Softmax _, Op.LogSoftmax _, Op.SoftmaxCrossEntropy _, Op.RandomUniform _,
            Op.Dropout _, Op.CustomVjp _ ->
            throw new AdjointException("lowering " + node.describe() + ": not a library op");
      };
    }

    /**
     * The call with its epilogue applied per element by the kernel where the epilogue allows it
     * (see {@link ElementEpilogue#of}), else run after it. The output's dimensions before {@code
     * firstRowDim} are the kernel's outer coordinate, those from {@code firstColDim} on its column.
     */
    private Stmt.Call fusedCall(LibraryCall call, List<Stmt> epilogue, Shape output, int firstRowDim,
        int firstColDim) {
      if (epilogue.isEmpty()) {
        return new Stmt.Call(call, epilogue);
      }
      ElementEpilogue perElement = ElementEpilogue.of(epilogue, output, firstRowDim, firstColDim, this::newVar);
      return perElement == null ? new Stmt.Call(call, epilogue) : new Stmt.Call(call, List.of(), perElement);
    }

    private LibraryCall.Operand operand(Node node) {
      return new LibraryCall.Operand(buffer(node), Index.ZERO);
    }

    private LibraryCall.Window convWindow(Shape input, Shape output, Shape weight, List<Integer> strides,
        List<Integer> padding, List<Integer> dilations, int groups) {
      return new LibraryCall.Window(Size.ofDim(input.dim(0)), input.dim(1), input.dim(2), input.dim(3), output.dim(1),
          output.dim(2), output.dim(3), weight.dim(2), weight.dim(3), strides.get(0), strides.get(1), padding.get(0),
          padding.get(2), dilations.get(0), dilations.get(1), groups);
    }

    private List<Stmt> pool(Node node, LibraryCall.PoolKind kind, List<Node> inputs, Shape input, Shape pooled,
        List<Integer> kernel, List<Integer> strides, List<Integer> padding, boolean countIncludePad,
        List<Stmt> epilogue) {
      LibraryCall.Window window = new LibraryCall.Window(Size.ofDim(input.dim(0)), input.dim(1), input.dim(2),
          input.dim(3), pooled.dim(1), pooled.dim(2), pooled.dim(3), kernel.get(0), kernel.get(1), strides.get(0),
          strides.get(1), padding.get(0), padding.get(2), 1, 1, 1);
      List<LibraryCall.Operand> operands = inputs.stream().map(this::operand).toList();
      return List.of(new Stmt.Call(
          new LibraryCall.Pool(node.dtype(), kind, operands, operand(node), window, countIncludePad), epilogue));
    }

    /**
     * One GEMM when b has no batch dims and a is not transposed (a's leading dims fold into M), else
     * a loop over the result's batch dims with one GEMM each, at offsets that broadcast the
     * operands' batch dims.
     */
    private List<Stmt> matmul(Node node, Op.MatMul mm, Buffer out, List<Stmt> epilogue) {
      Shape a = node.input(0).shape();
      Shape b = node.input(1).shape();
      Shape c = node.shape();
      int aRows = a.dim(a.rank() - 2);
      int aCols = a.dim(a.rank() - 1);
      int bRows = b.dim(b.rank() - 2);
      int bCols = b.dim(b.rank() - 1);
      int n = c.dim(c.rank() - 1);
      Size k = Size.ofDim(mm.transposeA() ? aRows : aCols);
      Buffer aBuffer = buffer(node.input(0));
      Buffer bBuffer = buffer(node.input(1));
      if (b.rank() == 2 && !mm.transposeA()) {
        Size m = rowsOf(a);
        LibraryCall.Gemm gemm = new LibraryCall.Gemm(node.dtype(), false, mm.transposeB(), m, Size.of(n), k,
            new LibraryCall.Operand(aBuffer, Index.ZERO), aCols, new LibraryCall.Operand(bBuffer, Index.ZERO), bCols,
            new LibraryCall.Operand(out, Index.ZERO), n, false);
        return List.of(fusedCall(gemm, epilogue, c, 0, c.rank() - 1));
      }
      Shape batch = Shape.of(java.util.Arrays.copyOf(c.dims(), c.rank() - 2));
      Shape aBatch = Shape.of(java.util.Arrays.copyOf(a.dims(), a.rank() - 2));
      Shape bBatch = Shape.of(java.util.Arrays.copyOf(b.dims(), b.rank() - 2));
      Size m = Size.ofDim(c.dim(c.rank() - 2));
      int aMatrix = Math.multiplyExact(aRows, aCols);
      int bMatrix = Math.multiplyExact(bRows, bCols);
      int cMatrix = Math.multiplyExact(c.dim(c.rank() - 2), n);
      List<Stmt> call = nest(batch, position -> {
        Index aOffset = ExprBuilder.flat(ExprBuilder.broadcastSource(position, aBatch), aBatch).times(aMatrix);
        Index bOffset = ExprBuilder.flat(ExprBuilder.broadcastSource(position, bBatch), bBatch).times(bMatrix);
        Index cOffset = ExprBuilder.flat(position, batch).times(cMatrix);
        return List.of(new Stmt.Call(new LibraryCall.Gemm(node.dtype(), mm.transposeA(), mm.transposeB(), m,
            Size.of(n), k, new LibraryCall.Operand(aBuffer, aOffset), aCols, new LibraryCall.Operand(bBuffer, bOffset),
            bCols, new LibraryCall.Operand(out, cOffset), n, false), List.of()));
      });
      if (epilogue.isEmpty()) {
        return call;
      }
      List<Stmt> body = new ArrayList<>(call);
      body.addAll(epilogue);
      return body;
    }

    /** The rows of a matrix stack {@code [..., M, K]}: the product of all dims but the last. */
    private static Size rowsOf(Shape a) {
      Size rows = Size.ONE;
      for (int i = 0; i < a.rank() - 1; i++) {
        rows = rows.times(Size.ofDim(a.dim(i)));
      }
      return rows;
    }

    // ---- in place ----

    /**
     * The loads a single-store loop nest may overwrite: every load of the source uses exactly the
     * store's index, in a buffer of the same dtype and size, which is a temporary.
     */
    private List<Kernel.InPlace> inPlace(List<Stmt> body) {
      List<Stmt.Store> stores = new ArrayList<>();
      boolean[] simple = {true};
      Walk.statements(body, s -> {
        switch (s) {
          case Stmt.Store st -> stores.add(st);
          case Stmt.Loop _ -> {}
          case Stmt.Let _, Stmt.Reduce _, Stmt.Call _ -> simple[0] = false;
        }
      });
      if (!simple[0] || stores.size() != 1) {
        return List.of();
      }
      Stmt.Store store = stores.getFirst();
      Map<Buffer, Boolean> sameIndex = new LinkedHashMap<>();
      Walk.expression(store.value(), e -> {
        if (e instanceof Expr.Load l) {
          sameIndex.merge(l.buffer(), l.index().equals(store.index()), Boolean::logicalAnd);
        }
      });
      List<Kernel.InPlace> candidates = new ArrayList<>();
      sameIndex.forEach((source, same) -> {
        if (same && source.role() == Buffer.Role.TEMPORARY && source.dtype() == store.buffer().dtype()
            && source.size().equals(store.buffer().size()) && !source.equals(store.buffer())) {
          candidates.add(new Kernel.InPlace(source, store.buffer()));
        }
      });
      return candidates;
    }
  }

  /** The shape of a row group's outer loop: x without the reduced axes. */
  static Shape rowShape(Shape x, List<Integer> axes) {
    List<Integer> kept = new ArrayList<>();
    for (int a = 0; a < x.rank(); a++) {
      if (!axes.contains(a)) {
        kept.add(x.dim(a));
      }
    }
    return Shape.of(kept);
  }

  /**
   * The position of a per-row value of {@code shape} (x's shape with the reduced axes kept as 1, or
   * removed) at the row {@code outerPosition}.
   */
  static List<Index> rowPosition(Shape shape, Shape x, List<Integer> axes, List<Index> outerPosition) {
    if (shape.rank() == x.rank()) {
      List<Index> position = new ArrayList<>();
      int next = 0;
      for (int a = 0; a < x.rank(); a++) {
        position.add(axes.contains(a) ? Index.ZERO : outerPosition.get(next++));
      }
      return position;
    }
    return outerPosition;
  }
}
