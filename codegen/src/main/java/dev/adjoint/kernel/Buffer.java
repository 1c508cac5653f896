package dev.adjoint.kernel;

import dev.adjoint.ir.DType;

/**
 * A typed, contiguous array of {@code size} elements of {@code dtype}, named after the graph node
 * whose value it holds. Buffers are compared by value; {@code id} is unique within a program and
 * indexes the run-time offset table.
 */
public record Buffer(int id, String name, DType dtype, Size size, Role role) {

  /** Where a buffer's value comes from and how long it must live. */
  public enum Role {
    /** Fed by name on every run. */
    INPUT,
    /** Fed by name; a training step may update it in place. */
    PARAMETER,
    /** Fed by name; persists across runs and may be updated. */
    STATE,
    /** Filled once when the arena is made and never written again. */
    CONSTANT,
    /** Computed and dead after its last reader: its memory is reused. */
    TEMPORARY,
    /** Computed and read back after the run: a program output or a state update's new value. */
    OUTPUT;

    /** Whether the buffer takes a feed by name. */
    public boolean isFed() {
      return this == INPUT || this == PARAMETER || this == STATE;
    }
  }

  /** {@code %3}, as the kernel printer writes references. */
  public String ref() {
    return "%" + id;
  }

  @Override
  public String toString() {
    return ref() + " " + name + " " + dtype.text() + "[" + size + "] " + role.name().toLowerCase(java.util.Locale.ROOT);
  }
}
