package dev.adjoint.passes;

import dev.adjoint.ir.Graph;

/**
 * One graph-to-graph transformation with a stable name. A pass is pure: it never changes its input
 * (graphs and nodes are immutable anyway), and when it has nothing to change it returns the very
 * graph it was given, so a {@link Pipeline} can tell whether it did anything.
 */
public interface Pass {

  /** The stable kebab-case name used in logs and to select the pass for IR printing. */
  String name();

  /** The transformed graph, or {@code graph} itself if nothing changed. */
  Graph run(Graph graph);

  /**
   * Whether the pass keeps the program's signature (its inputs, parameters and state), which a
   * {@link Pipeline} then verifies. Only a pass that exists to change it, such as {@link
   * FreezeParameters}, says no.
   */
  default boolean keepsSignature() {
    return true;
  }
}
