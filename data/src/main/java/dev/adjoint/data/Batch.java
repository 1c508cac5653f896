package dev.adjoint.data;

import dev.adjoint.ir.NDArray;

/**
 * One mini-batch: which examples of a dataset it holds, and their images and labels. The last
 * batch of an epoch may be smaller than the others (see {@link DataLoader#dropLast}); compiled
 * programs take any batch size, so it needs nothing special.
 */
public final class Batch {
  private final Dataset dataset;
  private final long epoch;
  private final int index;
  private final int[] rows;

  Batch(Dataset dataset, long epoch, int index, int[] rows) {
    this.dataset = dataset;
    this.epoch = epoch;
    this.index = index;
    this.rows = rows;
  }

  public long epoch() {
    return epoch;
  }

  /** Position of this batch within its epoch, from 0. */
  public int index() {
    return index;
  }

  public int size() {
    return rows.length;
  }

  /** The dataset indices of the examples, in batch order. */
  public int[] rows() {
    return rows.clone();
  }

  /** F32 {@code [size, C, H, W]}, normalized as the dataset is. */
  public NDArray images() {
    return dataset.images(rows);
  }

  /** I64 {@code [size]}: class indices. */
  public NDArray labels() {
    return dataset.labels(rows);
  }

  /** Writes the images as floats into {@code dst} from {@code offset}, without allocating. */
  public void copyImagesTo(float[] dst, int offset) {
    dataset.copyImages(rows, dst, offset);
  }

  /** Writes the labels into {@code dst} from {@code offset}, without allocating. */
  public void copyLabelsTo(long[] dst, int offset) {
    dataset.copyLabels(rows, dst, offset);
  }

  @Override
  public String toString() {
    return "Batch(epoch " + epoch + ", index " + index + ", " + rows.length + " examples)";
  }
}
