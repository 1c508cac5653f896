/**
 * The benchmark harness: {@link dev.adjoint.bench.Benchmarks} measures this machine's Vector API
 * FMA peak and memory bandwidth, then GEMM, streaming and convolution kernels against them, and
 * prints tables. Run it with {@code --add-modules jdk.incubator.vector}.
 */
@NullMarked
package dev.adjoint.bench;

import org.jspecify.annotations.NullMarked;
