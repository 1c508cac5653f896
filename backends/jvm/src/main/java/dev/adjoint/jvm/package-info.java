/**
 * The in-process JVM backend: {@link dev.adjoint.jvm.Compiler} turns a graph into generated
 * bytecode and {@link dev.adjoint.jvm.CompiledProgram} runs it, validating feeds first.
 *
 * <pre>{@code
 * CompiledProgram program = Compiler.jvm().compile(graph);
 * List<NDArray> outputs = program.run(Map.of("x", x, "w", w));
 * }</pre>
 */
@NullMarked
package dev.adjoint.jvm;

import org.jspecify.annotations.NullMarked;
