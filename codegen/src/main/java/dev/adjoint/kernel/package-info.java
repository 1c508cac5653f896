/**
 * The kernel IR: the target-neutral program a graph lowers to, which every emitter (JVM bytecode,
 * CUDA C) reads. A {@link dev.adjoint.kernel.KernelProgram} is a list of typed {@link
 * dev.adjoint.kernel.Buffer buffers} and a schedule of {@link dev.adjoint.kernel.Kernel kernels};
 * a kernel is a list of {@link dev.adjoint.kernel.Stmt statements}: loop nests over index spaces
 * whose extents may be the symbolic batch N, stores of {@link dev.adjoint.kernel.Expr scalar
 * expressions} over buffer loads at affine {@link dev.adjoint.kernel.Index indices}, reductions
 * into scalar locals, and {@link dev.adjoint.kernel.LibraryCall library calls} (GEMM, convolution,
 * pooling) with a fused elementwise epilogue. {@link dev.adjoint.kernel.Lowering} builds programs
 * from graphs, {@link dev.adjoint.kernel.MemoryPlanner} places buffers in per-dtype arenas and
 * {@link dev.adjoint.kernel.KernelPrinter} prints them.
 */
@NullMarked
package dev.adjoint.kernel;

import org.jspecify.annotations.NullMarked;
