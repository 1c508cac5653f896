package dev.adjoint.ir;

/** Base of every error Adjoint raises on purpose. Unchecked, so Kotlin and lambdas stay clean. */
public class AdjointException extends RuntimeException {
  public AdjointException(String message) {
    super(message);
  }

  public AdjointException(String message, Throwable cause) {
    super(message, cause);
  }
}
