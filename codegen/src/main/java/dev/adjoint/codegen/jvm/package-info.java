/**
 * The JVM emitter: turns a {@link dev.adjoint.kernel.KernelProgram} into classes, one static
 * method per kernel and a driver implementing {@link dev.adjoint.runtime.ops.CompiledBody}, written
 * with ASM. Nothing here runs them; {@code backends/jvm} loads and executes the classes.
 */
@NullMarked
package dev.adjoint.codegen.jvm;

import org.jspecify.annotations.NullMarked;
