package dev.adjoint.runtime.ops;

/**
 * A run-time error inside a generated kernel (a label out of range, an integer division by zero):
 * the number of the failure in the program's failure table and the two values it reports. The
 * executor turns it into a message naming the node.
 */
public final class KernelFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int failure;
  private final long first;
  private final long second;

  private KernelFailure(int failure, long first, long second) {
    super("kernel failure " + failure + " (" + first + ", " + second + ")", null, false, false);
    this.failure = failure;
    this.first = first;
    this.second = second;
  }

  /** The exception for generated code to throw. */
  public static KernelFailure of(int failure, long first, long second) {
    return new KernelFailure(failure, first, second);
  }

  public int failure() {
    return failure;
  }

  public long first() {
    return first;
  }

  public long second() {
    return second;
  }
}
