package dev.adjoint.ir;

/**
 * A program's write to persistent values: after a run, {@code state} (a {@link Op.State} or
 * {@link Op.Parameter} node) holds the value of {@code value}. Batch-norm running statistics,
 * step counters and, in a training step, the parameters and optimizer state update this way;
 * every read of {@code state} during the run sees the old value.
 */
public record StateUpdate(Node state, Node value) {
  public StateUpdate {
    if (!(state.op() instanceof Op.State) && !(state.op() instanceof Op.Parameter)) {
      throw new AdjointException("only state and parameter nodes can be updated; " + state.describe() + " is neither");
    }
    if (!state.type().equals(value.type())) {
      throw new AdjointException("state " + state.describe() + " of type " + state.type() + " cannot take "
          + value.describe() + " of type " + value.type());
    }
  }
}
