package dev.adjoint.tests.jvm;

import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.jvm.Execution;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.function.Supplier;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Differential fuzzing of the scalar code that {@code vectorize(false)} keeps: a sample of the
 * random graphs of {@link JvmDifferentialProperties} (which runs the default, vectorized code),
 * fused and with the pass pipeline, against the reference interpreter.
 */
class VectorizedScalarFuzzTest {

  @Property(tries = 200, afterFailure = AfterFailureMode.SAMPLE_FIRST, shrinking = ShrinkingMode.FULL,
      edgeCases = EdgeCasesMode.NONE)
  void scalarCodeMatchesTheInterpreter(@ForAll("cases") RandomGraphs.Case c) {
    RandomGraphs.Built built = c.build();
    ReferenceInterpreter.Execution expected = ReferenceInterpreter.execute(built.graph(), built.feeds());
    CompiledProgram program = Compiler.jvm(o -> o.vectorize(false)).compile(built.graph());
    GeneratedCode.verify(program);
    Execution actual = program.execute(built.feeds());
    Supplier<String> context = () -> c + ", scalar code\n" + program.kernelDump();
    Compare.assertSameExecution(expected, actual, context);
  }

  @Provide
  Arbitrary<RandomGraphs.Case> cases() {
    return RandomGraphs.cases();
  }
}
