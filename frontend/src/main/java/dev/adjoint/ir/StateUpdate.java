package dev.adjoint.ir;

/**
 * A program's write to persistent state: after a run, {@code state} (a {@link Op.State} node)
 * holds the value of {@code value}. Batch-norm running statistics and step counters update this
 * way; every read of {@code state} during the run sees the old value.
 */
public record StateUpdate(Node state, Node value) {
  public StateUpdate {
    if (!(state.op() instanceof Op.State)) {
      throw new AdjointException("only state nodes can be updated; " + state.describe() + " is not one");
    }
    if (!state.type().equals(value.type())) {
      throw new AdjointException("state " + state.describe() + " of type " + state.type() + " cannot take "
          + value.describe() + " of type " + value.type());
    }
  }
}
