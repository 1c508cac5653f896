package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.codegen.jvm.GeneratedClass;
import dev.adjoint.codegen.jvm.JvmEmitter;
import dev.adjoint.jvm.CompiledProgram;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.CheckClassAdapter;

/** Checks on the classes a compiled program is made of. */
public final class GeneratedCode {
  private GeneratedCode() {}

  /** Every class passes ASM's verifier and no method is too long for the JIT. */
  public static void verify(CompiledProgram program) {
    for (GeneratedClass c : program.classes()) {
      StringWriter errors = new StringWriter();
      CheckClassAdapter.verify(new ClassReader(c.bytes()), GeneratedCode.class.getClassLoader(), false,
          new PrintWriter(errors));
      assertTrue(errors.toString().isEmpty(), () -> c.name() + " does not verify:\n" + errors);
    }
    assertTrue(program.generated().largestMethod() <= JvmEmitter.HUGE_METHOD_LIMIT,
        () -> "a method has " + program.generated().largestMethod() + " bytes of bytecode");
  }
}
