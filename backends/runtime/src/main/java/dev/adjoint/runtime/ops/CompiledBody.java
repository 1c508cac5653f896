package dev.adjoint.runtime.ops;

/**
 * The entry point of a compiled program: runs every kernel in schedule order over typed arenas.
 * Each buffer of the program lives in the arena of its dtype, at the offset {@code offsets[id]};
 * booleans are a {@code boolean[]}. Implementations are generated, stateless and thread-safe: concurrent
 * runs need distinct arenas.
 */
@FunctionalInterface
public interface CompiledBody {
  void run(float[] f32, double[] f64, int[] i32, long[] i64, boolean[] bool, int[] offsets, int batch);
}
