package dev.adjoint.runtime;

/**
 * Philox4x32-10, the counter-based generator of Salmon et al. (SC'11), as used by JAX, PyTorch
 * and cuRAND. A draw is a pure function of (key, counter), so the reference interpreter, the JVM
 * code and CUDA kernels produce identical bits and any element can be recomputed independently.
 *
 * <p>Adjoint keys every random tensor by (seed, step, node key): the key words hold the seed, the
 * counter words hold the element index, the node key and the step.
 */
public final class Philox {
  private static final int M0 = 0xD2511F53;
  private static final int M1 = 0xCD9E8D57;
  private static final int W0 = 0x9E3779B9;
  private static final int W1 = 0xBB67AE85;
  private static final int ROUNDS = 10;
  private static final double TWO_POW_MINUS_24 = 0x1.0p-24;

  private Philox() {}

  /** The four output words for one counter block. */
  public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
    for (int round = 0; round < ROUNDS; round++) {
      long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
      long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
      int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
      int n1 = (int) p1;
      int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
      int n3 = (int) p0;
      c0 = n0;
      c1 = n1;
      c2 = n2;
      c3 = n3;
      k0 += W0;
      k1 += W1;
    }
    return new int[] {c0, c1, c2, c3};
  }

  /** The first output word for element {@code index} of the tensor keyed by (seed, step, nodeKey). */
  public static int bits(long seed, long step, long nodeKey, long index) {
    int[] out =
        block(
            (int) index,
            (int) (index >>> 32) ^ (int) nodeKey,
            (int) step,
            (int) (step >>> 32) ^ (int) (nodeKey >>> 32),
            (int) seed,
            (int) (seed >>> 32));
    return out[0];
  }

  /**
   * A uniform draw in [0, 1) with 24 random bits, so it is exactly representable in float and
   * double alike: F32 and F64 programs draw the same dropout masks.
   */
  public static double uniform(long seed, long step, long nodeKey, long index) {
    return (bits(seed, step, nodeKey, index) >>> 8) * TWO_POW_MINUS_24;
  }
}
