package dev.adjoint.io;

import dev.adjoint.ir.AdjointException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old content or the complete new one, never a part:
 * the content goes to a temporary file in the target's directory, is forced to the disk, and is
 * renamed over the target in one atomic step. If anything fails, the temporary file is deleted and
 * the target is left as it was.
 */
public final class AtomicFiles {
  private static final int BUFFER_BYTES = 1 << 16;

  private AtomicFiles() {}

  /** Produces a file's content; may throw to abandon the write. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Replaces {@code target} with what {@code content} writes, creating missing parent directories.
   *
   * @throws AdjointException if the content cannot be written or renamed into place; an exception
   *     thrown by {@code content} itself propagates unchanged (an {@link IOException} wrapped)
   */
  public static void write(Path target, Content content) {
    Path absolute = target.toAbsolutePath();
    Path directory = absolute.getParent();
    Path temporary = directory.resolve(
        "." + absolute.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    try {
      Files.createDirectories(directory);
      // CREATE_NEW with the default permissions, so the file ends up as readable as any other.
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
        content.writeTo(out);
        out.flush();
        channel.force(true);
      }
      Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new AdjointException(
          "cannot write " + target + ": the file system of " + directory + " cannot rename a file atomically", e);
    } catch (IOException e) {
      throw new AdjointException("cannot write " + target + ": " + reason(e), e);
    } finally {
      deleteQuietly(temporary);
    }
  }

  /** Leaves no temporary file behind; after a successful move there is nothing to delete. */
  private static void deleteQuietly(Path temporary) {
    try {
      Files.deleteIfExists(temporary);
    } catch (IOException ignored) {
      // The write already succeeded or already failed with a better message than this one.
    }
  }

  /** What went wrong, in words: some file-system exceptions carry nothing but a path. */
  private static String reason(IOException e) {
    return switch (e) {
      case java.nio.file.FileAlreadyExistsException f -> f.getFile() + " already exists and is not a directory";
      case java.nio.file.NoSuchFileException f -> f.getFile() + " does not exist";
      case java.nio.file.NotDirectoryException f -> f.getFile() + " is not a directory";
      case java.nio.file.AccessDeniedException f -> "permission denied for " + f.getFile();
      default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    };
  }
}
