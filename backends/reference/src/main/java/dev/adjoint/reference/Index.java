package dev.adjoint.reference;

/** Row-major index arithmetic over concrete dimensions; plain loops, nothing clever. */
final class Index {
  private Index() {}

  static int size(int[] dims) {
    int n = 1;
    for (int d : dims) {
      n *= d;
    }
    return n;
  }

  /** The multi-index of row-major position {@code flat}. */
  static int[] unravel(int flat, int[] dims) {
    int[] index = new int[dims.length];
    for (int a = dims.length - 1; a >= 0; a--) {
      index[a] = flat % dims[a];
      flat /= dims[a];
    }
    return index;
  }

  /** The row-major position of a multi-index. */
  static int ravel(int[] index, int[] dims) {
    int flat = 0;
    for (int a = 0; a < dims.length; a++) {
      flat = flat * dims[a] + index[a];
    }
    return flat;
  }

  /**
   * The position in an operand of dimensions {@code from} that NumPy broadcasting reads for the
   * result multi-index {@code out}: dimensions align on the right, and a size-1 dimension is read
   * at index 0.
   */
  static int broadcastSource(int[] out, int[] from) {
    int offset = out.length - from.length;
    int[] index = new int[from.length];
    for (int a = 0; a < from.length; a++) {
      index[a] = from[a] == 1 ? 0 : out[a + offset];
    }
    return ravel(index, from);
  }
}
