package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.tests.jvm.GeneratedCode;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The scalar code that {@code vectorize(false)} keeps (and that runs where the Vector API is
 * absent) still matches the reference interpreter: every third OpInfo row, every sample, F64 and
 * F32, fused, with the tolerances. {@link OpInfoJvmTest} covers all rows with the default,
 * vectorized code.
 */
class VectorizedScalarFallbackTest {

  @TestFactory
  Stream<DynamicTest> scalarCodeMatchesTheInterpreter() {
    List<OpInfo> rows = OpInfos.all();
    return java.util.stream.IntStream.range(0, rows.size()).filter(i -> i % 3 == 0).mapToObj(rows::get)
        .flatMap(row -> Stream.of(DType.F64, DType.F32).flatMap(real -> OpCase.all(row, real).stream()))
        .map(c -> dynamicTest(c + " in " + c.real(), () -> check(c)));
  }

  private static void check(OpCase c) {
    double tolerance = c.real() == DType.F64 ? 1e-10 : 2e-3;
    CompiledProgram program = Compiler.jvm(o -> o.vectorize(false)).compile(c.graph());
    GeneratedCode.verify(program);
    assertFalse(program.bytecodeListing().contains("jdk/incubator/vector"), "vectorize(false) emits no vector code");
    for (int batch = 1; batch <= 2; batch++) {
      long seed = c.toString().hashCode() * 17L + batch;
      Map<String, NDArray> feeds = c.feeds(new Random(seed), batch);
      NDArray expected = ReferenceInterpreter.run(c.graph(), feeds).getFirst();
      NDArray actual = program.run(feeds).getFirst();
      for (int i = 0; i < actual.size(); i++) {
        if (!OpInfoForwardTest.close(actual.get(i), expected.get(i), tolerance)) {
          fail(c + " in " + c.real() + " (seed " + seed + ", N = " + batch + "): element " + i + " is " + actual.get(i)
              + ", the interpreter gives " + expected.get(i) + "\n" + program.kernelDump());
        }
      }
    }
  }
}
