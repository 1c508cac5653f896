package dev.adjoint.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Padding;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What lowering emits: kernel counts with and without fusion, aliases, checks, schedules. */
class LoweringTest {

  @Test
  void fusionTurnsDenseLayersIntoGemmsWithEpilogues() {
    KernelProgram program = Lowering.lower(Graphs.mlp(DType.F32), true);
    assertEquals(4, program.kernels().size(), KernelPrinter.print(program));
    Stmt.Call call = assertInstanceOf(Stmt.Call.class, program.kernels().getFirst().body().getFirst());
    assertInstanceOf(LibraryCall.Gemm.class, call.call());
    assertTrue(call.epilogue().isEmpty(), "no pass after the GEMM");
    ElementEpilogue perElement = java.util.Objects.requireNonNull(call.perElement(), "bias and relu run per element");
    Stmt.Store store = assertInstanceOf(Stmt.Store.class, perElement.body().getFirst());
    Index index = store.index();
    assertEquals(call.call().output().buffer(), store.buffer(), "the epilogue writes the GEMM's output in place");
    assertEquals(1, index.stride(perElement.col()));
    assertEquals(((LibraryCall.Gemm) call.call()).ldc(), index.stride(perElement.row()));
    assertEquals(Set.of(call.call().output().buffer()), program.kernels().getFirst().writes());
  }

  @Test
  void aConvolutionAppliesBiasAndReluPerElementWithPixelsAsColumns() {
    GraphBuilder b = new GraphBuilder("conv");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3, 8, 8);
    Tensor w = b.input("w", DType.F32, 4, 3, 3, 3);
    Tensor bias = b.input("bias", DType.F32, 1, 4, 1, 1);
    KernelProgram program = Lowering.lower(b.build(x.conv2d(w, 1, Padding.valid()).plus(bias).relu()), true);
    Stmt.Call call = assertInstanceOf(Stmt.Call.class, program.kernels().getFirst().body().getFirst());
    ElementEpilogue perElement = java.util.Objects.requireNonNull(call.perElement(), KernelPrinter.print(program));
    List<Index> loads = new ArrayList<>();
    Walk.expressions(perElement.body(), e -> {
      if (e instanceof Expr.Load l && l.buffer().name().equals("bias")) {
        loads.add(l.index());
      }
    });
    assertEquals(List.of(Index.of(perElement.row())), loads, "the bias is indexed by the channel alone");
    Stmt.Store store = (Stmt.Store) perElement.body().getFirst();
    assertEquals(4 * 36, store.index().stride(perElement.outer()), "one image is 4 channels of 6x6 pixels");
    assertEquals(36, store.index().stride(perElement.row()));
    assertEquals(1, store.index().stride(perElement.col()));
  }

  @Test
  void anEpilogueBroadcastOverPartOfThePixelsRunsAfterTheCall() {
    GraphBuilder b = new GraphBuilder("conv");
    Tensor x = b.input("x", DType.F64, 2, 3, 8, 8);
    Tensor w = b.input("w", DType.F64, 4, 3, 3, 3);
    Tensor rowScale = b.input("rowScale", DType.F64, 1, 1, 6, 1);
    KernelProgram program = Lowering.lower(b.build(x.conv2d(w, 1, Padding.valid()).times(rowScale)), true);
    Stmt.Call call = assertInstanceOf(Stmt.Call.class, program.kernels().getFirst().body().getFirst());
    assertEquals(null, call.perElement(), "a pixel index cannot be split into (row, column) affinely");
    assertFalse(call.epilogue().isEmpty(), KernelPrinter.print(program));
  }

  @Test
  void withoutFusionEveryComputingNodeIsAKernel() {
    Graph graph = Graphs.mlp(DType.F64);
    Graph primitive = new dev.adjoint.passes.DecomposeComposites().run(graph);
    long computing = primitive.nodes().stream().filter(LoweringTest::computes).count();
    assertEquals(computing, Lowering.lower(graph, false).kernels().size());
  }

  /** A node that needs a kernel of its own without fusion: not a leaf, a scalar or a view. */
  private static boolean computes(Node n) {
    return switch (NodeKind.of(n.op())) {
      case LEAF, CONSTANT, COMPOSITE -> false;
      case POINTWISE -> !(n.op() instanceof Op.StopGradient || n.op() instanceof Op.CustomVjp);
      case RESHAPE -> false;
      case INDEX, GENERATOR, REDUCE, LIBRARY -> true;
    };
  }

  @Test
  void rowWiseCompositesAreOneKernel() {
    assertEquals(1, Lowering.lower(Graphs.softmax(), true).kernels().size());
    KernelProgram bn = Lowering.lower(Graphs.batchNorm(), true);
    assertEquals(1, bn.kernels().size(), KernelPrinter.print(bn));
    assertEquals(2, bn.stateWrites().size(), "running mean and variance are written back");
    GraphBuilder b = new GraphBuilder("layer_norm");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 5, 6);
    Tensor y = b.add(new Op.LayerNorm(1e-5, 2), x, b.parameter("g", DType.F64, Initializer.ones(), 6),
        b.parameter("b", DType.F64, Initializer.zeros(), 6));
    assertEquals(1, Lowering.lower(b.build(y), true).kernels().size());
    GraphBuilder c = new GraphBuilder("log_softmax");
    Tensor logits = c.input("logits", DType.F32, Shape.BATCH, 7);
    assertEquals(1, Lowering.lower(c.build(logits.logSoftmax(1)), true).kernels().size());
  }

  @Test
  void reshapesAndIdentitiesShareTheirOperandsBuffer() {
    GraphBuilder b = new GraphBuilder("views");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 2, 3);
    Tensor flat = x.reshape(Shape.BATCH, 6).stopGradient();
    KernelProgram program = Lowering.lower(b.build(flat), true);
    assertTrue(program.kernels().isEmpty(), KernelPrinter.print(program));
    assertEquals(program.feeds().get("x"), program.outputs().getFirst());
  }

  @Test
  void integerDivisionAndLabelsAreChecked() {
    GraphBuilder b = new GraphBuilder("checks");
    Tensor a = b.input("a", DType.I32, 3);
    Tensor d = b.input("d", DType.I32, 3);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor oneHot = b.add(new Op.OneHot(4, DType.F32), labels);
    KernelProgram program = Lowering.lower(b.build(a.div(d), oneHot), true);
    assertEquals(Set.of(Failure.DivisionByZero.class, Failure.LabelOutOfRange.class),
        Set.copyOf(program.failures().stream().map(Object::getClass).toList()));
    assertEquals("node 'one_hot_1' (one_hot): position [1, 0] has label 7, expected 0..3; operands: (i64[2,2])",
        new Failure.LabelOutOfRange("'one_hot_1' (one_hot)", Shape.of(Shape.BATCH, 2), 4, List.of("i64[N,2]"))
            .message(2, 7, 2));
  }

  @Test
  void softmaxComputesEachExponentialOnce() {
    KernelProgram program = Lowering.lower(Graphs.softmax(), true);
    int[] exps = {0};
    Walk.expressions(program.kernels().getFirst().body(), e -> {
      if (e instanceof Expr.Unary u && u.fn() == Op.UnaryFn.EXP) {
        exps[0]++;
      }
    });
    assertEquals(1, exps[0], "exp(x - max) is stored in the output row, summed from there, then divided in place:\n"
        + KernelPrinter.print(program));
  }

  @Test
  void batchedMatmulLoopsOverGemmsAndBroadcastsOperands() {
    GraphBuilder b = new GraphBuilder("batched");
    Tensor a = b.input("a", DType.F64, 2, 1, 3, 4);
    Tensor c = b.input("c", DType.F64, 5, 4, 2);
    KernelProgram program = Lowering.lower(b.build(a.matmul(c)), true);
    List<LibraryCall.Gemm> gemms = new ArrayList<>();
    List<Integer> loops = new ArrayList<>();
    Walk.statements(program.kernels().getFirst().body(), s -> {
      if (s instanceof Stmt.Call call) {
        gemms.add((LibraryCall.Gemm) call.call());
      } else if (s instanceof Stmt.Loop l) {
        loops.add((int) l.extent().constant());
      }
    });
    assertEquals(List.of(2, 5), loops, "one loop per result batch dim");
    LibraryCall.Gemm gemm = gemms.getFirst();
    Var outer = ((Stmt.Loop) program.kernels().getFirst().body().getFirst()).var();
    Var inner = ((Stmt.Loop) ((Stmt.Loop) program.kernels().getFirst().body().getFirst()).body().getFirst()).var();
    assertEquals(12, gemm.a().offset().stride(outer), "a steps one 3x4 matrix per outer batch");
    assertEquals(0, gemm.a().offset().stride(inner), "a's batch dim of size 1 broadcasts");
    assertEquals(0, gemm.b().offset().stride(outer), "c has no outer batch dim");
    assertEquals(8, gemm.b().offset().stride(inner));
    assertEquals(30, gemm.c().offset().stride(outer));
  }

  @Test
  void anEmptyResultNeedsNoKernel() {
    GraphBuilder b = new GraphBuilder("empty");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 0);
    KernelProgram program = Lowering.lower(b.build(x.exp().softmax(1)), true);
    assertTrue(program.kernels().isEmpty(), KernelPrinter.print(program));
  }

  @Test
  void aMaximumOverNoElementsIsAnErrorNamingTheNode() {
    GraphBuilder b = new GraphBuilder("empty_max");
    Tensor x = b.input("x", DType.F32, 3, 0);
    AdjointException e = assertThrows(AdjointException.class, () -> Lowering.lower(b.build(x.max(1)), true));
    assertTrue(e.getMessage().contains("'reduce_max_1' (reduce_max): reduce_max over axes [1] of [3,0] has no elements"),
        e.getMessage());
  }

  @Test
  void fusedExpressionsStaySmall() {
    GraphBuilder b = new GraphBuilder("long_chain");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 3);
    Tensor y = x;
    for (int i = 0; i < 1000; i++) {
      y = y.times(1.0001).plus(0.5).tanh();
    }
    KernelProgram program = Lowering.lower(b.build(y), true);
    assertTrue(program.kernels().size() > 1, "the chain is cut into several kernels");
    for (Kernel k : program.kernels()) {
      Walk.statements(k.body(), s -> {
        if (s instanceof Stmt.Store st) {
          assertTrue(Walk.size(st.value()) <= FusionPlan.MAX_EXPRESSION_SIZE + 1, k.name());
        }
      });
    }
  }

  @Test
  void kernelsRunAfterTheKernelsWritingWhatTheyRead() {
    for (Graph g : List.of(Graphs.mlp(DType.F32), Graphs.batchNorm(), Graphs.convBlock())) {
      for (boolean fusion : new boolean[] {false, true}) {
        KernelProgram program = Lowering.lower(g, fusion);
        Set<Buffer> ready = new HashSet<>(program.feeds().values());
        ready.addAll(program.constants().keySet());
        for (Kernel k : program.kernels()) {
          for (Buffer read : k.reads()) {
            assertTrue(ready.contains(read) || k.writes().contains(read), k.name() + " reads " + read + " too early");
          }
          ready.addAll(k.writes());
        }
        for (Buffer out : program.outputs()) {
          assertTrue(ready.contains(out), "output " + out + " is written");
        }
      }
    }
  }
}
