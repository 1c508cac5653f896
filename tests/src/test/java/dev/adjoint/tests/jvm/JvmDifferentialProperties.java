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
 * Differential fuzzing: random well-typed graphs ({@link RandomGraphs}) compiled for the JVM with
 * the pass pipeline off and on, fused or not, must agree with the reference interpreter within the
 * dtype's tolerance, outputs and updated state alike, and every generated class must verify. A
 * failure shrinks to the fewest steps that still fail.
 */
class JvmDifferentialProperties {

  @Property(tries = 1000, afterFailure = AfterFailureMode.SAMPLE_FIRST, shrinking = ShrinkingMode.FULL,
      edgeCases = EdgeCasesMode.NONE)
  void compiledGraphsMatchTheInterpreter(@ForAll("cases") RandomGraphs.Case c, @ForAll boolean fusion) {
    RandomGraphs.Built built = c.build();
    ReferenceInterpreter.Execution expected = ReferenceInterpreter.execute(built.graph(), built.feeds());
    for (boolean passes : new boolean[] {false, true}) {
      CompiledProgram program = Compiler.jvm(o -> o.passes(passes).fusion(fusion)).compile(built.graph());
      GeneratedCode.verify(program);
      Execution actual = program.execute(built.feeds());
      Supplier<String> context = () -> c + ", passes " + passes + ", fusion " + fusion + "\n" + program.kernelDump();
      Compare.assertSameExecution(expected, actual, context);
    }
  }

  @Provide
  Arbitrary<RandomGraphs.Case> cases() {
    return RandomGraphs.cases();
  }
}
