package dev.adjoint.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.kernel.Buffer;
import dev.adjoint.kernel.Expr;
import dev.adjoint.kernel.Golden;
import dev.adjoint.kernel.Index;
import dev.adjoint.kernel.Kernel;
import dev.adjoint.kernel.KernelProgram;
import dev.adjoint.kernel.Lowering;
import dev.adjoint.kernel.Size;
import dev.adjoint.kernel.Stmt;
import dev.adjoint.runtime.ops.CompiledBody;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/** The emitted classes verify, stay under the JIT's method size limit, and run. */
class JvmEmitterTest {

  /** Every unary function in every dtype it takes, binary ops, compares, casts, selects and a reduction. */
  static Graph everyScalarOp(DType dtype) {
    GraphBuilder b = new GraphBuilder("scalars");
    Tensor x = b.input("x", dtype, Shape.BATCH, 3);
    Tensor i = b.input("i", DType.I32, 3);
    Tensor l = b.input("l", DType.I64, 3);
    List<Tensor> outs = new ArrayList<>();
    for (Op.UnaryFn fn : Op.UnaryFn.values()) {
      outs.add(x.unary(fn));
    }
    for (Op.BinaryFn fn : Op.BinaryFn.values()) {
      outs.add(b.add(new Op.Binary(fn), x, x.times(0.5)));
      if (fn != Op.BinaryFn.POW) {
        outs.add(b.add(new Op.Binary(fn), i, i));
        outs.add(b.add(new Op.Binary(fn), l, l));
      }
    }
    for (Op.CompareFn fn : Op.CompareFn.values()) {
      outs.add(b.select(b.add(new Op.Compare(fn), x, x.times(2)), x, x.unaryMinus()));
      outs.add(b.add(new Op.Compare(fn), i, i).cast(DType.I64));
      outs.add(b.add(new Op.Compare(fn), l, l).cast(dtype));
    }
    for (DType to : DType.values()) {
      outs.add(x.cast(to));
      outs.add(i.cast(to));
      outs.add(l.cast(to));
    }
    outs.add(i.unaryMinus().abs().sign());
    outs.add(l.unaryMinus().abs().sign());
    outs.add(x.max(1).plus(x.min(1)).plus(x.sum(1)));
    outs.add(b.add(new Op.RandomUniform(3, 4, dtype), x, l.sum(0)));
    return b.build(outs);
  }

  private static void verify(GeneratedProgram generated) {
    for (GeneratedClass c : generated.classes()) {
      StringWriter errors = new StringWriter();
      CheckClassAdapter.verify(new ClassReader(c.bytes()), JvmEmitterTest.class.getClassLoader(), false,
          new PrintWriter(errors));
      assertTrue(errors.toString().isEmpty(), () -> c.name() + " does not verify:\n" + errors);
    }
    assertTrue(generated.largestMethod() <= JvmEmitter.HUGE_METHOD_LIMIT, "largest method " + generated.largestMethod());
  }

  @Test
  void everyOpVerifies() {
    for (DType dtype : List.of(DType.F32, DType.F64)) {
      for (boolean fusion : new boolean[] {false, true}) {
        verify(JvmEmitter.emit(Lowering.lower(everyScalarOp(dtype), fusion), "dev.adjoint.generated.Test_"));
      }
    }
  }

  @Test
  void bytecodeListingOfASoftmax() throws IOException {
    GraphBuilder b = new GraphBuilder("softmax");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 10);
    KernelProgram program = Lowering.lower(b.build(x.softmax(1).named("probabilities")), true);
    GeneratedProgram generated = JvmEmitter.emit(program, "dev.adjoint.generated.Golden_");
    verify(generated);
    StringBuilder listing = new StringBuilder();
    for (GeneratedClass c : generated.classes()) {
      listing.append("// class ").append(c.name()).append('\n').append(ClassFiles.listing(c.bytes()));
    }
    Golden.assertGolden("softmax.bytecode", listing.toString());
  }

  @Test
  void manyKernelsSpreadOverClassesAndDriverParts() {
    GraphBuilder b = new GraphBuilder("long_chain");
    Tensor y = b.input("x", DType.F64, 3);
    for (int i = 0; i < 700; i++) {
      y = y.times(1.0001).plus(0.5);
    }
    KernelProgram program = Lowering.lower(b.build(y), false);
    assertEquals(1400, program.kernels().size());
    GeneratedProgram generated = JvmEmitter.emit(program, "dev.adjoint.generated.Chain_");
    verify(generated);
    assertEquals(1 + 11, generated.classes().size(), "a driver and 1400 kernels at 128 per class");
    assertTrue(generated.codeSizes().containsKey("Chain_Driver.part6"), "7 driver parts of at most 200 calls");
    double[] x = {1, 2, 3};
    double[] expected = x.clone();
    for (int i = 0; i < 700; i++) {
      for (int j = 0; j < 3; j++) {
        expected[j] = expected[j] * 1.0001 + 0.5;
      }
    }
    assertArrayEquals(expected, run(program, generated, x), 0);
  }

  @Test
  void aLongKernelIsSplitIntoPartMethods() {
    Buffer in = new Buffer(0, "x", DType.F64, Size.of(600), Buffer.Role.INPUT);
    Buffer out = new Buffer(1, "y", DType.F64, Size.of(600), Buffer.Role.OUTPUT);
    List<Stmt> body = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      Expr value = new Expr.Unary(Op.UnaryFn.EXP, new Expr.Load(in, Index.constant(i)));
      body.add(new Stmt.Store(out, Index.constant(599 - i), value));
    }
    KernelProgram program = new KernelProgram("long", List.of(in, out),
        List.of(new Kernel("k0_long", List.of("y"), body, List.of())), Map.of("x", in), List.of(out), List.of(),
        Map.of());
    GeneratedProgram generated = JvmEmitter.emit(program, "dev.adjoint.generated.Split_");
    verify(generated);
    assertTrue(generated.codeSizes().containsKey("Split_Kernels0.k0_long_part1"), generated.codeSizes().toString());
    double[] x = new double[600];
    double[] expected = new double[600];
    for (int i = 0; i < 600; i++) {
      x[i] = i / 100.0;
      expected[599 - i] = Math.exp(x[i]);
    }
    assertArrayEquals(expected, run(program, generated, x), 0);
  }

  @Test
  void aConcatenationOfManyPartsCopiesEachPartAndStaysUnderTheLimit() {
    GraphBuilder b = new GraphBuilder("wide_concat");
    List<Tensor> parts = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      parts.add(b.input("x" + i, DType.F32, Shape.BATCH, 2, 3).exp());
    }
    KernelProgram program = Lowering.lower(b.build(b.concat(1, parts)), true);
    Kernel concat = program.kernels().getLast();
    assertEquals(400, concat.body().size(), "one loop nest per part");
    GeneratedProgram generated = JvmEmitter.emit(program, "dev.adjoint.generated.Concat_");
    verify(generated);
    assertTrue(generated.codeSizes().keySet().stream().anyMatch(m -> m.contains("_part")), "the kernel is split");
  }

  @Test
  void aSingleStatementTooLongForTheJitIsAnError() {
    Buffer in = new Buffer(0, "x", DType.F64, Size.of(1), Buffer.Role.INPUT);
    Buffer out = new Buffer(1, "y", DType.F64, Size.of(1), Buffer.Role.OUTPUT);
    Expr value = new Expr.Load(in, Index.ZERO);
    for (int level = 0; level < 11; level++) {
      value = new Expr.Binary(Op.BinaryFn.ADD, value, value); // a balanced sum of 2048 loads
    }
    KernelProgram program = new KernelProgram("huge", List.of(in, out),
        List.of(new Kernel("k0_huge", List.of("y"), List.of(new Stmt.Store(out, Index.ZERO, value)), List.of())),
        Map.of("x", in), List.of(out), List.of(), Map.of());
    AdjointException e = assertThrows(AdjointException.class,
        () -> JvmEmitter.emit(program, "dev.adjoint.generated.Huge_"));
    assertTrue(e.getMessage().contains("kernel k0_huge (y) needs"), e.getMessage());
    assertTrue(e.getMessage().contains("more than the JIT compiles (8000)"), e.getMessage());
  }

  /**
   * Runs a program whose one F64 input is buffer 0 and whose one F64 output is the last buffer,
   * laid out one after the other.
   */
  private static double[] run(KernelProgram program, GeneratedProgram generated, double[] x) {
    List<Buffer> buffers = program.buffers();
    int[] offsets = new int[buffers.size()];
    int length = 0;
    for (Buffer b : buffers) {
      offsets[b.id()] = length;
      length += (int) b.size().at(1);
    }
    double[] f64 = new double[length];
    System.arraycopy(x, 0, f64, 0, x.length);
    Loader loader = new Loader();
    for (GeneratedClass c : generated.classes()) {
      loader.define(c);
    }
    try {
      CompiledBody body = (CompiledBody) loader.loadClass(generated.driver()).getConstructor().newInstance();
      body.run(new float[0], f64, new int[0], new long[0], new boolean[0], offsets, 1);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
    Buffer out = buffers.getLast();
    double[] y = new double[x.length];
    System.arraycopy(f64, offsets[out.id()], y, 0, y.length);
    return y;
  }

  private static final class Loader extends ClassLoader {
    Loader() {
      super(JvmEmitterTest.class.getClassLoader());
    }

    void define(GeneratedClass c) {
      byte[] bytes = c.bytes();
      defineClass(c.name(), bytes, 0, bytes.length);
    }
  }
}
