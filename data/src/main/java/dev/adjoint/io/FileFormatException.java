package dev.adjoint.io;

import dev.adjoint.ir.AdjointException;

/**
 * A file is truncated, corrupt or not in the format it was read as. The message names the file,
 * what is wrong and the byte position where the reader found it.
 */
public final class FileFormatException extends AdjointException {
  private final String source;
  private final long position;
  private final String problem;

  public FileFormatException(String source, long position, String problem) {
    super(source + ": " + problem + " (at byte " + position + ")");
    this.source = source;
    this.position = position;
    this.problem = problem;
  }

  /** The file, usually its path. */
  public String source() {
    return source;
  }

  /** Offset from the start of the file (of the uncompressed stream, for a compressed one). */
  public long position() {
    return position;
  }

  /** What is wrong, without the file and the position. */
  public String problem() {
    return problem;
  }
}
