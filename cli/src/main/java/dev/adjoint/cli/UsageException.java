package dev.adjoint.cli;

/** Arguments a command cannot use; {@link Main} prints the message and the usage, not a trace. */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }

  /** Rejects arguments given to a command that takes none. */
  static void requireNone(String command, String[] args) {
    if (args.length > 0) {
      throw new UsageException(command + " takes no arguments, got " + String.join(" ", args));
    }
  }
}
