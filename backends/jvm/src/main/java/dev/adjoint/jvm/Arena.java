package dev.adjoint.jvm;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.kernel.Buffer;
import dev.adjoint.kernel.KernelProgram;
import dev.adjoint.kernel.MemoryPlanner;
import java.util.Map;

/**
 * The typed arrays one run works in, laid out by a memory plan: one array per dtype, booleans as
 * {@code boolean[]} (what the Vector API loads and stores masks from). Constants are written once, when the arena is made. Not thread-safe: one run at a time.
 */
final class Arena {
  final float[] f32;
  final double[] f64;
  final int[] i32;
  final long[] i64;
  final boolean[] bool;
  final MemoryPlanner.Plan plan;

  Arena(KernelProgram program, MemoryPlanner.Plan plan) {
    this.plan = plan;
    f32 = new float[plan.regionElements(DType.F32)];
    f64 = new double[plan.regionElements(DType.F64)];
    i32 = new int[plan.regionElements(DType.I32)];
    i64 = new long[plan.regionElements(DType.I64)];
    bool = new boolean[plan.regionElements(DType.BOOL)];
    for (Map.Entry<Buffer, NDArray> c : program.constants().entrySet()) {
      write(c.getKey(), c.getValue());
    }
  }

  /** Copies {@code value}'s elements into {@code buffer}. */
  void write(Buffer buffer, NDArray value) {
    int at = plan.offset(buffer);
    int n = value.size();
    switch (buffer.dtype()) {
      case F32 -> {
        for (int i = 0; i < n; i++) {
          f32[at + i] = (float) value.get(i);
        }
      }
      case F64 -> {
        for (int i = 0; i < n; i++) {
          f64[at + i] = value.get(i);
        }
      }
      case I32 -> {
        for (int i = 0; i < n; i++) {
          i32[at + i] = (int) value.get(i);
        }
      }
      case I64 -> {
        for (int i = 0; i < n; i++) {
          i64[at + i] = (long) value.get(i);
        }
      }
      case BOOL -> {
        for (int i = 0; i < n; i++) {
          bool[at + i] = value.get(i) != 0;
        }
      }
    }
  }

  /** The value of {@code buffer}, shaped {@code shape} (concrete). */
  NDArray read(Buffer buffer, DType dtype, Shape shape) {
    int at = plan.offset(buffer);
    return NDArray.generate(dtype, shape, switch (dtype) {
      case F32 -> i -> f32[at + i];
      case F64 -> i -> f64[at + i];
      case I32 -> i -> i32[at + i];
      case I64 -> i -> i64[at + i];
      case BOOL -> i -> bool[at + i] ? 1 : 0;
    });
  }

  /** Copies {@code count} elements from {@code from} to {@code to} (state write-back). */
  void copy(Buffer from, Buffer to, int count) {
    int src = plan.offset(from);
    int dst = plan.offset(to);
    switch (from.dtype()) {
      case F32 -> System.arraycopy(f32, src, f32, dst, count);
      case F64 -> System.arraycopy(f64, src, f64, dst, count);
      case I32 -> System.arraycopy(i32, src, i32, dst, count);
      case I64 -> System.arraycopy(i64, src, i64, dst, count);
      case BOOL -> System.arraycopy(bool, src, bool, dst, count);
    }
  }
}
