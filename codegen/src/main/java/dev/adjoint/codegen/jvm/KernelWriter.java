package dev.adjoint.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Op;
import dev.adjoint.kernel.Buffer;
import dev.adjoint.kernel.ElementEpilogue;
import dev.adjoint.kernel.Expr;
import dev.adjoint.kernel.Failure;
import dev.adjoint.kernel.Index;
import dev.adjoint.kernel.LibraryCall;
import dev.adjoint.kernel.Local;
import dev.adjoint.kernel.LoopInvariants;
import dev.adjoint.kernel.Size;
import dev.adjoint.kernel.Stmt;
import dev.adjoint.kernel.Var;
import dev.adjoint.kernel.Walk;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Type;

/**
 * Writes the body of one kernel method. The method's parameters are the five typed arenas, the
 * offset table and the batch size ({@link JvmEmitter#KERNEL_DESCRIPTOR}); the prologue loads the
 * offset of every buffer the kernel touches into a local. Values live on the operand stack as
 * their dtype's JVM type: F32 float, F64 double, I32 int, I64 long, BOOL int 0 or 1.
 */
final class KernelWriter {
  static final int OFFSETS = 5;
  static final int BATCH = 6;
  private static final int FIRST_FREE = 7;

  private static final String MATH = "java/lang/Math";
  private static final String SCALARS = "dev/adjoint/runtime/ops/Scalars";
  private static final String ERROR_FUNCTION = "dev/adjoint/runtime/ErrorFunction";
  private static final String PHILOX = "dev/adjoint/runtime/Philox";
  private static final String FAILURE = "dev/adjoint/runtime/ops/KernelFailure";
  private static final String GEMM = "dev/adjoint/runtime/linalg/Gemm";
  private static final String CONV = "dev/adjoint/runtime/conv/Conv2dKernels";
  private static final String POOLING = "dev/adjoint/runtime/ops/Pooling";

  /** Chunk methods take the kernel parameters, then the loop's extent, the chunk size and the chunk. */
  static final String CHUNK_DESCRIPTOR = "([F[D[I[J[Z[IIIII)V";
  /** Elements of work per chunk of a parallel loop: enough to pay for handing the chunk to a thread. */
  static final int CHUNK_WORK = 1 << 15;
  private static final int CHUNK_EXTENT = 7;
  private static final int CHUNK_SIZE = 8;
  private static final int CHUNK_INDEX = 9;
  private static final String PARALLEL = "dev/adjoint/runtime/parallel/Parallel";
  private static final String TILE_EPILOGUE = "dev/adjoint/runtime/linalg/TileEpilogue";
  /**
   * Per-element epilogue methods take the kernel parameters, then a tile: the outer coordinate, the
   * first row and the row count, the first column and the column count.
   */
  static final String EPILOGUE_DESCRIPTOR = "([F[D[I[J[Z[IIIIIII)V";
  private static final int TILE_OUTER = 7;
  private static final int TILE_ROW = 8;
  private static final int TILE_ROWS = 9;
  private static final int TILE_COL = 10;
  private static final int TILE_COLS = 11;
  private static final Handle METAFACTORY = new Handle(H_INVOKESTATIC, "java/lang/invoke/LambdaMetafactory",
      "metafactory", "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
          + "Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodHandle;Ljava/lang/invoke/MethodType;)"
          + "Ljava/lang/invoke/CallSite;", false);

  /** Where the methods holding parallel loop chunks, per-element epilogues and outlined vector loops go. */
  interface ChunkMethods {
    /** Writes a chunk method for {@code loop} and returns its owner and name. */
    String[] add(Stmt.Loop loop);

    /** Writes a tile method ({@link #EPILOGUE_DESCRIPTOR}) for {@code epilogue}; returns its owner and name. */
    String[] add(ElementEpilogue epilogue);

    /** Writes the method of an outlined vector loop or reduction; returns its owner and name. */
    String[] add(Outline outline);
  }

  private final MethodVisitor mv;
  private final Map<Failure, Integer> failures;
  private final ChunkMethods chunks;
  private final boolean vectorize;
  private final VectorWriter vectors;
  private final Map<Integer, Integer> offsetSlots = new HashMap<>();
  private final Map<Var, Integer> varSlots = new HashMap<>();
  private final Map<Local, Integer> localSlots = new HashMap<>();
  private int nextSlot = FIRST_FREE;
  private int depth;
  /** Whether vector loops and reductions go into methods of their own (see {@link Outline}). */
  private boolean outlineVectors;

  /**
   * {@code chunks} receives the methods this one needs (parallel loop chunks, tiles, outlined
   * loops); with {@code vectorize}, the loops {@link VectorLoops} accepts get a Vector API main loop.
   */
  KernelWriter(MethodVisitor mv, Map<Failure, Integer> failures, ChunkMethods chunks, boolean vectorize) {
    this.mv = mv;
    this.failures = failures;
    this.chunks = chunks;
    this.vectorize = vectorize;
    this.vectors = new VectorWriter(this, mv);
  }

  /** The method's code: the prologue, then the statements, then a return. */
  void write(Set<Buffer> buffers, List<Stmt> body) {
    outlineVectors = vectorConstructs(body) > 1;
    mv.visitCode();
    prologue(buffers);
    statements(body);
    end(RETURN);
  }

  /** Returns with {@code opcode} and closes the method. */
  private void end(int opcode) {
    mv.visitInsn(opcode);
    mv.visitMaxs(0, 0);
    mv.visitEnd();
  }

  /** A fresh int local holding {@code first + second} (two int locals). */
  private int sum(int first, int second) {
    int slot = nextSlot++;
    mv.visitVarInsn(ILOAD, first);
    mv.visitVarInsn(ILOAD, second);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ISTORE, slot);
    return slot;
  }

  /**
   * A chunk method ({@link #CHUNK_DESCRIPTOR}): iterations {@code [chunk·size, min((chunk+1)·size,
   * extent))} of {@code loop}, with what the loop does not vary computed once, before them.
   */
  void writeChunk(Set<Buffer> buffers, Stmt.Loop loop) {
    nextSlot = CHUNK_INDEX + 1;
    mv.visitCode();
    prologue(buffers);
    int begin = nextSlot++;
    int end = nextSlot++;
    mv.visitVarInsn(ILOAD, CHUNK_INDEX);
    mv.visitVarInsn(ILOAD, CHUNK_SIZE);
    mv.visitInsn(IMUL);
    mv.visitInsn(DUP);
    mv.visitVarInsn(ISTORE, begin);
    mv.visitVarInsn(ILOAD, CHUNK_SIZE);
    mv.visitInsn(IADD);
    mv.visitVarInsn(ILOAD, CHUNK_EXTENT);
    mv.visitMethodInsn(INVOKESTATIC, MATH, "min", "(II)I", false);
    mv.visitVarInsn(ISTORE, end);
    depth = 1;
    LoopInvariants.Hoisted perChunk =
        LoopInvariants.hoist(loop.body(), Set.of(loop.var()), LoopInvariants.firstFreeLocal(loop.body()));
    outlineVectors = vectorConstructs(perChunk.body()) + (laneType(loop.var(), perChunk.body()) != null ? 1 : 0) > 1;
    statements(perChunk.before());
    loop(loop.var(), begin, end, perChunk.body());
    end(RETURN);
  }

  /**
   * A tile method ({@link #EPILOGUE_DESCRIPTOR}): the epilogue's body for every row and column of
   * the tile, at the tile's outer coordinate.
   */
  void writeTile(Set<Buffer> buffers, ElementEpilogue epilogue) {
    nextSlot = TILE_COLS + 1;
    mv.visitCode();
    prologue(buffers);
    varSlots.put(epilogue.outer(), TILE_OUTER);
    int rowEnd = sum(TILE_ROW, TILE_ROWS);
    int colEnd = sum(TILE_COL, TILE_COLS);
    depth = 1;
    int firstLocal = LoopInvariants.firstFreeLocal(epilogue.body());
    LoopInvariants.Hoisted perRow = LoopInvariants.hoist(epilogue.body(), Set.of(epilogue.col()), firstLocal);
    LoopInvariants.Hoisted perTile =
        LoopInvariants.hoist(perRow.before(), Set.of(epilogue.row()), firstLocal + perRow.before().size());
    statements(perTile.before());
    loop(epilogue.row(), TILE_ROW, rowEnd, () -> {
      statements(perTile.body());
      loop(epilogue.col(), TILE_COL, colEnd, perRow.body());
    });
    end(RETURN);
  }

  /**
   * An outlined loop or reduction ({@link Outline#descriptor}): its captured variables and locals
   * bound to the parameters, then the statement with its vector main loop, then the return.
   */
  void writeOutline(Set<Buffer> buffers, Outline outline) {
    int next = FIRST_FREE + (outline instanceof Outline.StoreLoop ? 2 : 0);
    for (Var v : outline.vars()) {
      varSlots.put(v, next++);
    }
    for (Local l : outline.locals()) {
      localSlots.put(l, next);
      next += Outline.slots(l.dtype());
    }
    nextSlot = next;
    mv.visitCode();
    prologue(buffers);
    depth = 1;
    switch (outline) {
      case Outline.StoreLoop loop -> {
        loop(loop.var(), FIRST_FREE, FIRST_FREE + 1, loop.body());
        end(RETURN);
      }
      case Outline.Reduction r -> {
        reduce(r.reduce());
        DType acc = r.reduce().target().dtype();
        mv.visitVarInsn(load(acc), slot(r.reduce().target()));
        end(switch (acc) {
          case F32 -> FRETURN;
          case F64 -> DRETURN;
          case I32, BOOL -> IRETURN;
          case I64 -> LRETURN;
        });
      }
    }
  }

  /** Calls an outlined statement's method: the kernel parameters, then {@code bounds}, then the captured values. */
  private void callOutline(Outline outline, int... bounds) {
    String[] method = chunks.add(outline);
    kernelArguments();
    for (int bound : bounds) {
      mv.visitVarInsn(ILOAD, bound);
    }
    for (Var v : outline.vars()) {
      mv.visitVarInsn(ILOAD, varSlot(v));
    }
    for (Local l : outline.locals()) {
      mv.visitVarInsn(load(l.dtype()), slot(l));
    }
    mv.visitMethodInsn(INVOKESTATIC, method[0], method[1], outline.descriptor(), false);
  }

  /** The vector loops and reductions in {@code body}, nested ones included. */
  private int vectorConstructs(List<Stmt> body) {
    if (!vectorize) {
      return 0;
    }
    int[] count = {0};
    Walk.statements(body, s -> {
      if ((s instanceof Stmt.Loop l && VectorLoops.laneType(l.var(), l.body()) != null)
          || (s instanceof Stmt.Reduce r && VectorLoops.laneType(r) != null)) {
        count[0]++;
      }
    });
    return count[0];
  }

  private void prologue(Set<Buffer> buffers) {
    for (Buffer b : buffers) {
      int slot = nextSlot++;
      offsetSlots.put(b.id(), slot);
      mv.visitVarInsn(ALOAD, OFFSETS);
      pushInt(b.id());
      mv.visitInsn(IALOAD);
      mv.visitVarInsn(ISTORE, slot);
    }
  }

  // ---- statements ----

  void statements(List<Stmt> body) {
    for (Stmt s : body) {
      statement(s);
    }
  }

  private void statement(Stmt s) {
    switch (s) {
      case Stmt.Loop l -> {
        if (l.parallel() && depth == 0) {
          parallelLoop(l);
        } else {
          loop(l.var(), l.extent(), l.body());
        }
      }
      case Stmt.Store st -> {
        mv.visitVarInsn(ALOAD, arena(st.buffer().dtype()));
        index(st.index(), st.buffer());
        expr(st.value());
        mv.visitInsn(arrayStore(st.buffer().dtype()));
      }
      case Stmt.Let let -> {
        expr(let.value());
        mv.visitVarInsn(store(let.local().dtype()), slot(let.local()));
      }
      case Stmt.Reduce r -> reduce(r);
      case Stmt.Call c -> {
        call(c.call(), c.perElement());
        statements(c.epilogue());
      }
    }
  }

  /** {@code for (var = 0; var < extent; var++) body}, the extent computed once. */
  private void loop(Var var, Size extent, Runnable body) {
    int begin = nextSlot++;
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, begin);
    int end = nextSlot++;
    size(extent);
    mv.visitVarInsn(ISTORE, end);
    loop(var, begin, end, body);
  }

  /** A loop over {@code body}'s statements: with a vector main loop where it has one. */
  private void loop(Var var, Size extent, List<Stmt> body) {
    int begin = nextSlot++;
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, begin);
    int end = nextSlot++;
    size(extent);
    mv.visitVarInsn(ISTORE, end);
    loop(var, begin, end, body);
  }

  private void loop(Var var, int begin, int end, List<Stmt> body) {
    DType lane = laneType(var, body);
    if (lane == null) {
      loop(var, begin, end, () -> statements(body));
    } else if (outlineVectors) {
      callOutline(Outline.storeLoop(var, body), begin, end);
    } else {
      depth++;
      vectors.storeLoop(var, begin, end, body, lane);
      depth--;
    }
  }

  /** The lane type if the loop over {@code var} with {@code body} gets a vector main loop, else null. */
  private @Nullable DType laneType(Var var, List<Stmt> body) {
    return vectorize ? VectorLoops.laneType(var, body) : null;
  }

  /** {@code while (var < end) { body; var++ }}: the scalar iterations after a vector main loop. */
  void tail(int varSlot, int end, Runnable body) {
    Label top = new Label();
    Label test = new Label();
    mv.visitJumpInsn(GOTO, test);
    mv.visitLabel(top);
    depth++;
    body.run();
    depth--;
    mv.visitIincInsn(varSlot, 1);
    mv.visitLabel(test);
    mv.visitVarInsn(ILOAD, varSlot);
    mv.visitVarInsn(ILOAD, end);
    mv.visitJumpInsn(IF_ICMPLT, top);
  }

  /** A fresh int local bound to {@code var}. */
  int bindVar(Var var) {
    int slot = nextSlot++;
    varSlots.put(var, slot);
    return slot;
  }

  /** A fresh one-slot local (an int or a reference). */
  int newSlot() {
    return nextSlot++;
  }

  /** {@code for (var = begin; var < end; var++) body}, the bounds in int locals. */
  private void loop(Var var, int begin, int end, Runnable body) {
    int varSlot = bindVar(var);
    Label top = new Label();
    Label test = new Label();
    mv.visitVarInsn(ILOAD, begin);
    mv.visitVarInsn(ISTORE, varSlot);
    mv.visitJumpInsn(GOTO, test);
    mv.visitLabel(top);
    depth++;
    body.run();
    depth--;
    mv.visitIincInsn(varSlot, 1);
    mv.visitLabel(test);
    mv.visitVarInsn(ILOAD, varSlot);
    mv.visitVarInsn(ILOAD, end);
    mv.visitJumpInsn(IF_ICMPLT, top);
  }

  /**
   * A parallel loop: its body goes into a chunk method; chunks of a size fixed by the body's work
   * (never by the thread count, so results do not depend on it) run through {@code Parallel}, or,
   * when there is only one, directly.
   */
  private void parallelLoop(Stmt.Loop l) {
    String[] chunk = chunks.add(l);
    int size = Math.max(1, CHUNK_WORK / Math.max(1, work(l.body())));
    if (laneType(l.var(), l.body()) != null) {
      size = (size + VectorWriter.ALIGNMENT - 1) / VectorWriter.ALIGNMENT * VectorWriter.ALIGNMENT;
    }
    int extent = nextSlot++;
    size(l.extent());
    mv.visitVarInsn(ISTORE, extent);
    Label parallel = new Label();
    Label done = new Label();
    mv.visitVarInsn(ILOAD, extent);
    pushInt(size);
    mv.visitJumpInsn(IF_ICMPGT, parallel);
    kernelArguments();
    mv.visitVarInsn(ILOAD, extent);
    mv.visitVarInsn(ILOAD, extent);
    mv.visitInsn(ICONST_0);
    mv.visitMethodInsn(INVOKESTATIC, chunk[0], chunk[1], CHUNK_DESCRIPTOR, false);
    mv.visitJumpInsn(GOTO, done);
    mv.visitLabel(parallel);
    mv.visitVarInsn(ILOAD, extent); // chunks = (extent + size - 1) / size
    pushInt(size - 1);
    mv.visitInsn(IADD);
    pushInt(size);
    mv.visitInsn(IDIV);
    kernelArguments();
    mv.visitVarInsn(ILOAD, extent);
    pushInt(size);
    mv.visitInvokeDynamicInsn("accept", "([F[D[I[J[Z[IIII)Ljava/util/function/IntConsumer;", METAFACTORY,
        Type.getType("(I)V"), new Handle(H_INVOKESTATIC, chunk[0], chunk[1], CHUNK_DESCRIPTOR, false),
        Type.getType("(I)V"));
    mv.visitMethodInsn(INVOKESTATIC, PARALLEL, "forEach", "(ILjava/util/function/IntConsumer;)V", false);
    mv.visitLabel(done);
  }

  /** Pushes this method's kernel parameters: the arenas, the offset table and the batch size. */
  private void kernelArguments() {
    for (int i = 0; i < OFFSETS + 1; i++) {
      mv.visitVarInsn(ALOAD, i);
    }
    mv.visitVarInsn(ILOAD, BATCH);
  }

  /** Elements of work in one pass over {@code body}, counting N as 16. */
  static int work(List<Stmt> body) {
    long total = 0;
    for (Stmt s : body) {
      total += switch (s) {
        case Stmt.Loop l -> estimate(l.extent()) * work(l.body());
        case Stmt.Reduce r -> r.extents().stream().mapToLong(KernelWriter::estimate).reduce(1, (a, b) -> a * b);
        case Stmt.Store _, Stmt.Let _ -> 1;
        case Stmt.Call _ -> CHUNK_WORK;
      };
    }
    return (int) Math.min(total, Integer.MAX_VALUE);
  }

  private static long estimate(Size size) {
    return Math.min(size.constant() + 16 * size.perBatch(), Integer.MAX_VALUE);
  }

  private void reduce(Stmt.Reduce r) {
    DType acc = r.target().dtype();
    DType value = r.value().dtype();
    constant(acc, switch (r.combine()) {
      case SUM -> 0;
      case MAX -> acc.isFloating() ? Double.NEGATIVE_INFINITY : acc == DType.I32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
      case MIN -> acc.isFloating() ? Double.POSITIVE_INFINITY : acc == DType.I32 ? Integer.MAX_VALUE : Long.MAX_VALUE;
    });
    int target = slot(r.target());
    mv.visitVarInsn(store(acc), target);
    DType lane = vectorize ? VectorLoops.laneType(r) : null;
    if (lane != null && outlineVectors) {
      callOutline(Outline.reduction(r));
      mv.visitVarInsn(store(acc), target);
      return;
    }
    Runnable fold = () -> {
      mv.visitVarInsn(load(acc), target);
      expr(r.value());
      convert(value, acc);
      switch (r.combine()) {
        case SUM -> mv.visitInsn(acc == DType.F64 ? DADD : LADD);
        case MAX -> mv.visitMethodInsn(INVOKESTATIC, MATH, "max", "(" + jvm(acc) + jvm(acc) + ")" + jvm(acc), false);
        case MIN -> mv.visitMethodInsn(INVOKESTATIC, MATH, "min", "(" + jvm(acc) + jvm(acc) + ")" + jvm(acc), false);
      }
      mv.visitVarInsn(store(acc), target);
    };
    if (lane == null) {
      nested(r.vars(), r.extents(), 0, fold);
    } else {
      vectors.reduce(r, target, lane, fold);
    }
  }

  /** Scalar loops over {@code vars} around {@code body}. */
  void nestedAround(List<Var> vars, List<Size> extents, Runnable body) {
    nested(vars, extents, 0, body);
  }

  private void nested(List<Var> vars, List<Size> extents, int level, Runnable body) {
    if (level == vars.size()) {
      body.run();
    } else {
      loop(vars.get(level), extents.get(level), () -> nested(vars, extents, level + 1, body));
    }
  }

  // ---- library calls ----

  /** The library call; with a per-element epilogue, the overload that takes it as a {@code TileEpilogue}. */
  private void call(LibraryCall call, @Nullable ElementEpilogue perElement) {
    DType dtype = call.dtype();
    String array = "[" + jvm(dtype);
    String epilogue = perElement == null ? "" : "L" + TILE_EPILOGUE + ";";
    switch (call) {
      case LibraryCall.Gemm g -> {
        bool(g.transA());
        bool(g.transB());
        size(g.m());
        size(g.n());
        size(g.k());
        operand(g.a());
        pushInt(g.lda());
        operand(g.b());
        pushInt(g.ldb());
        operand(g.c());
        pushInt(g.ldc());
        bool(g.accumulate());
        tileEpilogue(perElement);
        String name = dtype == DType.F32 ? "sgemm" : "dgemm";
        mv.visitMethodInsn(INVOKESTATIC, GEMM, name,
            "(ZZIII" + array + "II" + array + "II" + array + "IIZ" + epilogue + ")V", false);
      }
      case LibraryCall.Conv2d c -> conv(c, array, perElement);
      case LibraryCall.Pool p -> {
        if (perElement != null) {
          throw new AdjointException("internal: a per-element epilogue on pooling");
        }
        pool(p, array);
      }
    }
  }

  /** Pushes a {@code TileEpilogue} running {@code perElement}'s tile method with this method's kernel parameters. */
  private void tileEpilogue(@Nullable ElementEpilogue perElement) {
    if (perElement == null) {
      return;
    }
    String[] tile = chunks.add(perElement);
    kernelArguments();
    mv.visitInvokeDynamicInsn("apply", "([F[D[I[J[Z[II)L" + TILE_EPILOGUE + ";", METAFACTORY,
        Type.getType("(IIIII)V"), new Handle(H_INVOKESTATIC, tile[0], tile[1], EPILOGUE_DESCRIPTOR, false),
        Type.getType("(IIIII)V"));
  }

  private void conv(LibraryCall.Conv2d c, String array, @Nullable ElementEpilogue perElement) {
    if (perElement != null && c.kind() != LibraryCall.ConvKind.FORWARD) {
      throw new AdjointException("internal: a per-element epilogue on a " + c.kind() + " convolution");
    }
    LibraryCall.Window w = c.window();
    String geometry = "IIIIIII";
    switch (c.kind()) {
      case FORWARD -> {
        operand(c.first());
        size(w.n());
        ints(w.c(), w.h(), w.w());
        operand(c.second());
        ints(w.o(), w.kh(), w.kw());
        ints(w.sh(), w.sw(), w.padTop(), w.padLeft(), w.dh(), w.dw(), w.groups());
        operand(c.output());
        ints(w.oh(), w.ow());
        tileEpilogue(perElement);
        mv.visitMethodInsn(INVOKESTATIC, CONV, "forward", "(" + array + "IIIII" + array + "IIII" + geometry + array
            + "III" + (perElement == null ? "" : "L" + TILE_EPILOGUE + ";") + ")V", false);
      }
      case BACKWARD_INPUT -> {
        operand(c.first());
        size(w.n());
        ints(w.o(), w.oh(), w.ow());
        operand(c.second());
        ints(w.kh(), w.kw());
        ints(w.sh(), w.sw(), w.padTop(), w.padLeft(), w.dh(), w.dw(), w.groups());
        operand(c.output());
        ints(w.c(), w.h(), w.w());
        mv.visitMethodInsn(INVOKESTATIC, CONV, "backwardInput",
            "(" + array + "IIIII" + array + "III" + geometry + array + "IIII)V", false);
      }
      case BACKWARD_FILTER -> {
        operand(c.first());
        size(w.n());
        ints(w.c(), w.h(), w.w());
        operand(c.second());
        ints(w.o(), w.oh(), w.ow());
        ints(w.sh(), w.sw(), w.padTop(), w.padLeft(), w.dh(), w.dw(), w.groups());
        operand(c.output());
        ints(w.kh(), w.kw());
        mv.visitMethodInsn(INVOKESTATIC, CONV, "backwardFilter",
            "(" + array + "IIIII" + array + "IIII" + geometry + array + "III)V", false);
      }
    }
  }

  private void pool(LibraryCall.Pool p, String array) {
    LibraryCall.Window w = p.window();
    for (LibraryCall.Operand in : p.inputs()) {
      operand(in);
    }
    size(w.n());
    ints(w.c(), w.h(), w.w(), w.kh(), w.kw(), w.sh(), w.sw(), w.padTop(), w.padLeft());
    boolean average = p.kind() == LibraryCall.PoolKind.AVG || p.kind() == LibraryCall.PoolKind.AVG_BACKWARD;
    if (average) {
      bool(p.countIncludePad());
    }
    operand(p.output());
    ints(w.oh(), w.ow());
    String name = switch (p.kind()) {
      case MAX -> "maxPool2d";
      case MAX_BACKWARD -> "maxPool2dBackward";
      case MAX_SELECT -> "maxPool2dSelect";
      case AVG -> "avgPool2d";
      case AVG_BACKWARD -> "avgPool2dBackward";
    };
    String inputs = (array + "I").repeat(p.inputs().size());
    mv.visitMethodInsn(INVOKESTATIC, POOLING, name,
        "(" + inputs + "IIIIIIIIII" + (average ? "Z" : "") + array + "III)V", false);
  }

  /** Pushes the operand's arena and its element offset. */
  private void operand(LibraryCall.Operand operand) {
    mv.visitVarInsn(ALOAD, arena(operand.buffer().dtype()));
    index(operand.offset(), operand.buffer());
  }

  private void ints(int... values) {
    for (int v : values) {
      pushInt(v);
    }
  }

  private void bool(boolean value) {
    mv.visitInsn(value ? ICONST_1 : ICONST_0);
  }

  /** Pushes a size as an int: {@code constant + perBatch·N}. */
  void size(Size size) {
    if (size.isConstant()) {
      pushInt(checkedInt(size.constant()));
      return;
    }
    mv.visitVarInsn(ILOAD, BATCH);
    if (size.perBatch() != 1) {
      pushInt(checkedInt(size.perBatch()));
      mv.visitInsn(IMUL);
    }
    if (size.constant() != 0) {
      pushInt(checkedInt(size.constant()));
      mv.visitInsn(IADD);
    }
  }

  // ---- expressions ----

  /** Pushes {@code index}, offset by {@code buffer}'s place in its arena. */
  void index(Index index, Buffer buffer) {
    mv.visitVarInsn(ILOAD, offsetSlots.get(buffer.id()));
    terms(index, false);
  }

  /** Pushes {@code index}; with {@code first} the stack holds nothing to add it to. */
  private void terms(Index index, boolean first) {
    boolean empty = first;
    for (Index.Term t : index.terms()) {
      mv.visitVarInsn(ILOAD, varSlot(t.var()));
      if (t.stride() == -1) {
        mv.visitInsn(INEG);
      } else if (t.stride() != 1) {
        pushInt(t.stride());
        mv.visitInsn(IMUL);
      }
      if (!empty) {
        mv.visitInsn(IADD);
      }
      empty = false;
    }
    if (index.base() != 0 || empty) {
      pushInt(index.base());
      if (!empty) {
        mv.visitInsn(IADD);
      }
    }
  }

  void expr(Expr e) {
    switch (e) {
      case Expr.Const c -> constant(c.dtype(), c.value());
      case Expr.Load l -> {
        mv.visitVarInsn(ALOAD, arena(l.buffer().dtype()));
        index(l.index(), l.buffer());
        mv.visitInsn(arrayLoad(l.buffer().dtype()));
      }
      case Expr.IndexValue iv -> terms(iv.index(), true);
      case Expr.BatchSize _ -> mv.visitVarInsn(ILOAD, BATCH);
      case Expr.LocalRef r -> mv.visitVarInsn(load(r.local().dtype()), slot(r.local()));
      case Expr.Unary u -> unary(u.fn(), u.operand());
      case Expr.Binary b -> {
        MultiplyAdd fma = MultiplyAdd.of(b);
        if (fma == null) {
          binary(b.fn(), b.left(), b.right());
        } else {
          expr(fma.a());
          expr(fma.b());
          expr(fma.c());
          String t = jvm(b.dtype());
          mv.visitMethodInsn(INVOKESTATIC, MATH, "fma", "(" + t + t + t + ")" + t, false);
        }
      }
      case Expr.Compare c -> {
        Label isTrue = new Label();
        compareJump(c.fn(), c.left(), c.right(), isTrue);
        booleanResult(isTrue);
      }
      case Expr.Select s -> {
        Label otherwise = new Label();
        Label end = new Label();
        expr(s.condition());
        mv.visitJumpInsn(IFEQ, otherwise);
        expr(s.ifTrue());
        mv.visitJumpInsn(GOTO, end);
        mv.visitLabel(otherwise);
        expr(s.ifFalse());
        mv.visitLabel(end);
      }
      case Expr.And a -> {
        Label isFalse = new Label();
        Label end = new Label();
        expr(a.left());
        mv.visitJumpInsn(IFEQ, isFalse);
        expr(a.right());
        mv.visitJumpInsn(GOTO, end);
        mv.visitLabel(isFalse);
        mv.visitInsn(ICONST_0);
        mv.visitLabel(end);
      }
      case Expr.Cast c -> {
        expr(c.operand());
        cast(c.operand().dtype(), c.to());
      }
      case Expr.Uniform u -> {
        mv.visitLdcInsn(u.seed());
        expr(u.step());
        convert(u.step().dtype(), DType.I64);
        mv.visitLdcInsn(u.key());
        expr(u.index());
        mv.visitInsn(I2L);
        mv.visitMethodInsn(INVOKESTATIC, PHILOX, "uniform", "(JJJJ)D", false);
        if (u.dtype() == DType.F32) {
          mv.visitInsn(D2F);
        }
      }
      case Expr.Checked c -> {
        Label ok = new Label();
        expr(c.condition());
        mv.visitJumpInsn(IFNE, ok);
        pushInt(failures.get(c.failure()));
        expr(c.first());
        convert(c.first().dtype(), DType.I64);
        expr(c.second());
        convert(c.second().dtype(), DType.I64);
        mv.visitMethodInsn(INVOKESTATIC, FAILURE, "of", "(IJJ)L" + FAILURE + ";", false);
        mv.visitInsn(ATHROW);
        mv.visitLabel(ok);
        expr(c.value());
      }
    }
  }

  /** After a conditional jump to {@code isTrue}: pushes 0 on the fall-through path, 1 at the target. */
  private void booleanResult(Label isTrue) {
    Label end = new Label();
    mv.visitInsn(ICONST_0);
    mv.visitJumpInsn(GOTO, end);
    mv.visitLabel(isTrue);
    mv.visitInsn(ICONST_1);
    mv.visitLabel(end);
  }

  /** Jumps to {@code target} if the comparison holds; NaN compares false except for NE. */
  private void compareJump(Op.CompareFn fn, Expr left, Expr right, Label target) {
    DType t = left.dtype();
    expr(left);
    expr(right);
    switch (t) {
      case I32, BOOL -> mv.visitJumpInsn(switch (fn) {
        case EQ -> IF_ICMPEQ;
        case NE -> IF_ICMPNE;
        case LT -> IF_ICMPLT;
        case LE -> IF_ICMPLE;
        case GT -> IF_ICMPGT;
        case GE -> IF_ICMPGE;
      }, target);
      case I64, F32, F64 -> {
        boolean lessOnNaN = fn == Op.CompareFn.LT || fn == Op.CompareFn.LE;
        mv.visitInsn(switch (t) {
          case I64 -> LCMP;
          case F32 -> lessOnNaN ? FCMPG : FCMPL;
          case F64 -> lessOnNaN ? DCMPG : DCMPL;
          case I32, BOOL -> throw new IllegalStateException();
        });
        mv.visitJumpInsn(switch (fn) {
          case EQ -> IFEQ;
          case NE -> IFNE;
          case LT -> IFLT;
          case LE -> IFLE;
          case GT -> IFGT;
          case GE -> IFGE;
        }, target);
      }
    }
  }

  private void unary(Op.UnaryFn fn, Expr operand) {
    DType t = operand.dtype();
    if (fn == Op.UnaryFn.RECIPROCAL) {
      constant(t, 1);
      expr(operand);
      mv.visitInsn(t == DType.F32 ? FDIV : DDIV);
      return;
    }
    expr(operand);
    switch (t) {
      case I32 -> {
        switch (fn) {
          case NEG -> mv.visitInsn(INEG);
          case ABS -> mv.visitMethodInsn(INVOKESTATIC, MATH, "abs", "(I)I", false);
          case SIGN -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Integer", "signum", "(I)I", false);
          case EXP, EXPM1, LOG, LOG1P, SQRT, RECIPROCAL, TANH, SIGMOID, RELU, ERF -> throw unsupported(fn.text(), t);
        }
        return;
      }
      case I64 -> {
        switch (fn) {
          case NEG -> mv.visitInsn(LNEG);
          case ABS -> mv.visitMethodInsn(INVOKESTATIC, MATH, "abs", "(J)J", false);
          case SIGN -> {
            mv.visitMethodInsn(INVOKESTATIC, "java/lang/Long", "signum", "(J)I", false);
            mv.visitInsn(I2L);
          }
          case EXP, EXPM1, LOG, LOG1P, SQRT, RECIPROCAL, TANH, SIGMOID, RELU, ERF -> throw unsupported(fn.text(), t);
        }
        return;
      }
      case BOOL -> throw unsupported(fn.text(), t);
      case F32, F64 -> {}
    }
    boolean f32 = t == DType.F32;
    String d = jvm(t);
    switch (fn) {
      case NEG -> mv.visitInsn(f32 ? FNEG : DNEG);
      case ABS -> mv.visitMethodInsn(INVOKESTATIC, MATH, "abs", "(" + d + ")" + d, false);
      case SIGN -> mv.visitMethodInsn(INVOKESTATIC, MATH, "signum", "(" + d + ")" + d, false);
      case RELU -> {
        constant(t, 0);
        mv.visitMethodInsn(INVOKESTATIC, MATH, "max", "(" + d + d + ")" + d, false);
      }
      case EXP, EXPM1, LOG, LOG1P, SQRT, TANH, SIGMOID, ERF -> {
        if (f32) {
          mv.visitInsn(F2D);
        }
        String owner = fn == Op.UnaryFn.SIGMOID ? SCALARS : fn == Op.UnaryFn.ERF ? ERROR_FUNCTION : MATH;
        String name = switch (fn) {
          case EXP -> "exp";
          case EXPM1 -> "expm1";
          case LOG -> "log";
          case LOG1P -> "log1p";
          case SQRT -> "sqrt";
          case TANH -> "tanh";
          case SIGMOID -> "sigmoid";
          case ERF -> "erf";
          case NEG, ABS, SIGN, RECIPROCAL, RELU -> throw new IllegalStateException();
        };
        mv.visitMethodInsn(INVOKESTATIC, owner, name, "(D)D", false);
        if (f32) {
          mv.visitInsn(D2F);
        }
      }
      case RECIPROCAL -> throw new IllegalStateException();
    }
  }

  private void binary(Op.BinaryFn fn, Expr left, Expr right) {
    DType t = left.dtype();
    if (fn == Op.BinaryFn.POW) {
      if (!t.isFloating()) {
        throw unsupported("pow", t);
      }
      expr(left);
      convert(t, DType.F64);
      expr(right);
      convert(t, DType.F64);
      mv.visitMethodInsn(INVOKESTATIC, MATH, "pow", "(DD)D", false);
      convert(DType.F64, t);
      return;
    }
    expr(left);
    expr(right);
    int base = switch (t) {
      case I32 -> 0;
      case I64 -> 1;
      case F32 -> 2;
      case F64 -> 3;
      case BOOL -> throw unsupported(fn.text(), t);
    };
    switch (fn) {
      case ADD -> mv.visitInsn(IADD + base);
      case SUB -> mv.visitInsn(ISUB + base);
      case MUL -> mv.visitInsn(IMUL + base);
      case DIV -> mv.visitInsn(IDIV + base);
      case MAX, MIN -> mv.visitMethodInsn(INVOKESTATIC, MATH, fn == Op.BinaryFn.MAX ? "max" : "min",
          "(" + jvm(t) + jvm(t) + ")" + jvm(t), false);
      case POW -> throw new IllegalStateException();
    }
  }

  /** A cast with the reference's semantics (see {@link Expr.Cast}). */
  private void cast(DType from, DType to) {
    if (from == to) {
      return;
    }
    if (to == DType.BOOL) {
      Label isTrue = new Label();
      switch (from) {
        case I32 -> mv.visitJumpInsn(IFNE, isTrue);
        case I64 -> {
          mv.visitInsn(LCONST_0);
          mv.visitInsn(LCMP);
          mv.visitJumpInsn(IFNE, isTrue);
        }
        case F32 -> {
          mv.visitInsn(FCONST_0);
          mv.visitInsn(FCMPL);
          mv.visitJumpInsn(IFNE, isTrue);
        }
        case F64 -> {
          mv.visitInsn(DCONST_0);
          mv.visitInsn(DCMPL);
          mv.visitJumpInsn(IFNE, isTrue);
        }
        case BOOL -> throw new IllegalStateException();
      }
      booleanResult(isTrue);
      return;
    }
    if (from == DType.I64 && to == DType.F32) {
      mv.visitInsn(L2D); // through double, as the reference rounds
      mv.visitInsn(D2F);
      return;
    }
    convert(from == DType.BOOL ? DType.I32 : from, to);
  }

  /** A plain JVM primitive conversion between the types of two dtypes. */
  private void convert(DType from, DType to) {
    String jf = jvm(from);
    String jt = jvm(to);
    if (jf.equals(jt)) {
      return;
    }
    int opcode = switch (jf + jt) {
      case "IJ" -> I2L;
      case "IF" -> I2F;
      case "ID" -> I2D;
      case "JI" -> L2I;
      case "JF" -> L2F;
      case "JD" -> L2D;
      case "FI" -> F2I;
      case "FJ" -> F2L;
      case "FD" -> F2D;
      case "DI" -> D2I;
      case "DJ" -> D2L;
      case "DF" -> D2F;
      default -> throw new IllegalStateException("no conversion " + jf + " to " + jt);
    };
    mv.visitInsn(opcode);
  }

  void constant(DType t, double value) {
    switch (t) {
      case F32 -> {
        float f = (float) value;
        if (Float.floatToRawIntBits(f) == 0) {
          mv.visitInsn(FCONST_0);
        } else if (f == 1) {
          mv.visitInsn(FCONST_1);
        } else {
          mv.visitLdcInsn(f);
        }
      }
      case F64 -> {
        if (Double.doubleToRawLongBits(value) == 0) {
          mv.visitInsn(DCONST_0);
        } else if (value == 1) {
          mv.visitInsn(DCONST_1);
        } else {
          mv.visitLdcInsn(value);
        }
      }
      case I32, BOOL -> pushInt((int) value);
      case I64 -> {
        long l = (long) value;
        if (l == 0 || l == 1) {
          mv.visitInsn(l == 0 ? LCONST_0 : LCONST_1);
        } else {
          mv.visitLdcInsn(l);
        }
      }
    }
  }

  void pushInt(int value) {
    if (value >= -1 && value <= 5) {
      mv.visitInsn(ICONST_0 + value);
    } else if (value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE) {
      mv.visitIntInsn(BIPUSH, value);
    } else if (value >= Short.MIN_VALUE && value <= Short.MAX_VALUE) {
      mv.visitIntInsn(SIPUSH, value);
    } else {
      mv.visitLdcInsn(value);
    }
  }

  // ---- slots and types ----

  private int slot(Local local) {
    return localSlots.computeIfAbsent(local, l -> {
      int slot = nextSlot;
      nextSlot += l.dtype() == DType.F64 || l.dtype() == DType.I64 ? 2 : 1;
      return slot;
    });
  }

  private int varSlot(Var var) {
    Integer slot = varSlots.get(var);
    if (slot == null) {
      throw new AdjointException("internal: loop variable " + var + " is used outside its loop");
    }
    return slot;
  }

  static int arena(DType t) {
    return switch (t) {
      case F32 -> 0;
      case F64 -> 1;
      case I32 -> 2;
      case I64 -> 3;
      case BOOL -> 4;
    };
  }

  static String jvm(DType t) {
    return switch (t) {
      case F32 -> "F";
      case F64 -> "D";
      case I32, BOOL -> "I";
      case I64 -> "J";
    };
  }

  static int load(DType t) {
    return switch (t) {
      case F32 -> FLOAD;
      case F64 -> DLOAD;
      case I32, BOOL -> ILOAD;
      case I64 -> LLOAD;
    };
  }

  static int store(DType t) {
    return switch (t) {
      case F32 -> FSTORE;
      case F64 -> DSTORE;
      case I32, BOOL -> ISTORE;
      case I64 -> LSTORE;
    };
  }

  private static int arrayLoad(DType t) {
    return switch (t) {
      case F32 -> FALOAD;
      case F64 -> DALOAD;
      case I32 -> IALOAD;
      case I64 -> LALOAD;
      case BOOL -> BALOAD;
    };
  }

  private static int arrayStore(DType t) {
    return switch (t) {
      case F32 -> FASTORE;
      case F64 -> DASTORE;
      case I32 -> IASTORE;
      case I64 -> LASTORE;
      case BOOL -> BASTORE;
    };
  }

  private static int checkedInt(long value) {
    if (value > Integer.MAX_VALUE) {
      throw new AdjointException("size " + value + " does not fit in an int");
    }
    return (int) value;
  }

  private static AdjointException unsupported(String what, DType t) {
    return new AdjointException("internal: " + what + " is not defined for " + t);
  }
}
