package dev.adjoint.data;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.runtime.Philox;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Cuts a dataset into mini-batches, epoch after epoch. Immutable: {@code new DataLoader(data, 64)}
 * gives the examples in order with the last, partial batch kept; {@link #shuffled} and {@link
 * #dropLast} give variants.
 *
 * <p>A shuffled epoch's order is a pure function of (seed, epoch), so any batch of any epoch can be
 * recomputed on its own: {@link #batchAtStep} is how a run resumed from a checkpoint gets exactly
 * the batches it would have seen. The order is a Fisher–Yates shuffle: for i from n−1 down to 1,
 * swap i with j = ⌊r·(i+1) / 2^64⌋, where r is the unsigned 64-bit number whose high and low words
 * are the Philox draws {@code bits(seed, epoch, SHUFFLE_KEY, 2i)} and {@code bits(seed, epoch,
 * SHUFFLE_KEY, 2i+1)}.
 */
public final class DataLoader {
  /** The Philox node key of shuffles, apart from every node key a graph draws with. */
  public static final long SHUFFLE_KEY = 0x5348_5546_464C_4521L;

  private final Dataset dataset;
  private final int batchSize;
  private final @Nullable Long seed;
  private final boolean dropLast;
  /** The last epoch's order, so that reading an epoch batch by batch shuffles once. */
  private volatile @Nullable EpochOrder cached;

  private record EpochOrder(long epoch, int[] rows) {}

  /** Batches of {@code batchSize} in dataset order; the last batch keeps what is left. */
  public DataLoader(Dataset dataset, int batchSize) {
    this(dataset, batchSize, null, false);
  }

  private DataLoader(Dataset dataset, int batchSize, @Nullable Long seed, boolean dropLast) {
    if (batchSize < 1) {
      throw new AdjointException("the batch size must be at least 1, got " + batchSize);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.seed = seed;
    this.dropLast = dropLast;
  }

  /** This loader with each epoch in its own order, drawn from {@code seed}. */
  public DataLoader shuffled(long seed) {
    return new DataLoader(dataset, batchSize, seed, dropLast);
  }

  /** This loader dropping (true) or keeping (false) an epoch's last batch when it is partial. */
  public DataLoader dropLast(boolean drop) {
    return new DataLoader(dataset, batchSize, seed, drop);
  }

  public Dataset dataset() {
    return dataset;
  }

  public int batchSize() {
    return batchSize;
  }

  public boolean isShuffled() {
    return seed != null;
  }

  /** Batches in every epoch: ⌈N / batch⌉, or ⌊N / batch⌋ when the partial one is dropped. */
  public int batchesPerEpoch() {
    int full = dataset.size() / batchSize;
    return dropLast || dataset.size() % batchSize == 0 ? full : full + 1;
  }

  /** The dataset indices in the order epoch {@code epoch} visits them (all of them, even with dropLast). */
  public int[] order(long epoch) {
    return epochOrder(epoch).clone();
  }

  /** Batch {@code index} of epoch {@code epoch}. */
  public Batch batch(long epoch, int index) {
    int count = batchesPerEpoch();
    if (index < 0 || index >= count) {
      throw new AdjointException("batch " + index + " does not exist: an epoch has " + count + " batches of " + batchSize
          + " from " + dataset.size() + " examples" + (dropLast ? " (the partial one dropped)" : ""));
    }
    int[] order = epochOrder(epoch);
    int from = index * batchSize;
    return new Batch(dataset, epoch, index, Arrays.copyOfRange(order, from, Math.min(from + batchSize, order.length)));
  }

  /** The batch of global step {@code step} (from 0): batch {@code step mod B} of epoch {@code step / B}. */
  public Batch batchAtStep(long step) {
    int count = batchesPerEpoch();
    if (count == 0) {
      throw new AdjointException("no batches: " + dataset.size() + " examples make no full batch of " + batchSize);
    }
    if (step < 0) {
      throw new AdjointException("step " + step + " is negative");
    }
    return batch(step / count, (int) (step % count));
  }

  /** Every batch of epoch {@code epoch}, in order. */
  public List<Batch> epoch(long epoch) {
    List<Batch> batches = new ArrayList<>();
    for (int i = 0; i < batchesPerEpoch(); i++) {
      batches.add(batch(epoch, i));
    }
    return batches;
  }

  private int[] epochOrder(long epoch) {
    EpochOrder c = cached;
    if (c != null && c.epoch() == epoch) {
      return c.rows();
    }
    int n = dataset.size();
    int[] rows = new int[n];
    Arrays.setAll(rows, i -> i);
    if (seed != null) {
      for (int i = n - 1; i > 0; i--) {
        long r = ((long) Philox.bits(seed, epoch, SHUFFLE_KEY, 2L * i) << 32)
            | Integer.toUnsignedLong(Philox.bits(seed, epoch, SHUFFLE_KEY, 2L * i + 1));
        int j = (int) Math.unsignedMultiplyHigh(r, i + 1);
        int t = rows[i];
        rows[i] = rows[j];
        rows[j] = t;
      }
    }
    cached = new EpochOrder(epoch, rows);
    return rows;
  }

  @Override
  public String toString() {
    return "DataLoader(" + dataset.size() + " examples, batch " + batchSize + (seed != null ? ", shuffled with seed " + seed : "")
        + (dropLast ? ", last partial batch dropped" : "") + ")";
  }
}
