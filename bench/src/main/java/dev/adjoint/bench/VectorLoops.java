package dev.adjoint.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API loops that measure the machine and the streaming kernels. */
final class VectorLoops {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  /** Independent FMA chains: enough to cover the FMA latency on both FMA ports. */
  static final int CHAINS = 12;

  private VectorLoops() {}

  /** Floating-point operations done by {@link #fmaChains}. */
  static double fmaFlops(long iterations) {
    return 2.0 * iterations * CHAINS * SPECIES.length();
  }

  /**
   * {@code iterations} steps of 12 independent fused multiply-add chains held in registers: the
   * FMA throughput limit, with no memory traffic. Returns their sum so nothing is dead code.
   */
  static float fmaChains(long iterations) {
    FloatVector x = FloatVector.broadcast(SPECIES, 0.999999f);
    FloatVector y = FloatVector.broadcast(SPECIES, 1e-7f);
    FloatVector a0 = FloatVector.broadcast(SPECIES, 1f);
    FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
    for (long i = 0; i < iterations; i++) {
      a0 = a0.fma(x, y);
      a1 = a1.fma(x, y);
      a2 = a2.fma(x, y);
      a3 = a3.fma(x, y);
      a4 = a4.fma(x, y);
      a5 = a5.fma(x, y);
      a6 = a6.fma(x, y);
      a7 = a7.fma(x, y);
      a8 = a8.fma(x, y);
      a9 = a9.fma(x, y);
      a10 = a10.fma(x, y);
      a11 = a11.fma(x, y);
    }
    return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10)
        .add(a11).reduceLanes(VectorOperators.ADD);
  }

  /** STREAM triad over [from, to): a = b + scalar·c. */
  static void triad(float[] a, float[] b, float[] c, float scalar, int from, int to) {
    int i = from;
    for (int end = from + SPECIES.loopBound(to - from); i < end; i += SPECIES.length()) {
      FloatVector.fromArray(SPECIES, c, i)
          .fma(FloatVector.broadcast(SPECIES, scalar), FloatVector.fromArray(SPECIES, b, i))
          .intoArray(a, i);
    }
    for (; i < to; i++) {
      a[i] = Math.fma(c[i], scalar, b[i]);
    }
  }

  /** y = a·x + b over [from, to). */
  static void affine(float[] x, float[] y, float a, float b, int from, int to) {
    int i = from;
    for (int end = from + SPECIES.loopBound(to - from); i < end; i += SPECIES.length()) {
      FloatVector.fromArray(SPECIES, x, i).fma(a, b).intoArray(y, i);
    }
    for (; i < to; i++) {
      y[i] = Math.fma(x[i], a, b);
    }
  }

  /**
   * The batch-norm affine on NCHW data for the planes [fromPlane, toPlane) of size {@code plane}:
   * y = x·scale[channel] + shift[channel].
   */
  static void channelAffine(
      float[] x, float[] y, float[] scale, float[] shift, int channels, int plane,
      int fromPlane, int toPlane) {
    for (int p = fromPlane; p < toPlane; p++) {
      int channel = p % channels;
      affine(x, y, scale[channel], shift[channel], p * plane, (p + 1) * plane);
    }
  }
}
