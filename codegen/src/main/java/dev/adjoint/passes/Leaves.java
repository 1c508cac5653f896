package dev.adjoint.passes;

import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;

/** What the passes need to know about leaves. */
final class Leaves {
  private Leaves() {}

  /**
   * Whether {@code node} takes a feed by name: an input, a parameter or a state. These are the
   * program's signature, so no pass removes, merges or changes them.
   */
  static boolean isFed(Node node) {
    return node.op() instanceof Op.Input || node.op() instanceof Op.Parameter || node.op() instanceof Op.State;
  }
}
