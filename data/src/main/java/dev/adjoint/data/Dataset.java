package dev.adjoint.data;

import dev.adjoint.io.FileFormatException;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import java.util.Arrays;

/**
 * Labelled images for classification, held compactly as the 8-bit pixels they come in and turned
 * into values when asked: images as F32 {@code [N, C, H, W]} in [0, 1], or normalized to {@code
 * (x − mean) / std}, labels as I64 class indices {@code [N]}. Immutable; subsets and normalized
 * views share the pixels.
 *
 * <p>{@link DataLoader} cuts a dataset into seeded, shuffled mini-batches.
 */
public final class Dataset {

  /**
   * How a pixel p in 0..255 becomes a value: {@code (p / 255 − mean) / std}, computed in double and
   * rounded to F32.
   */
  public record Normalization(double mean, double std) {
    /** Values p / 255 in [0, 1]. */
    public static final Normalization NONE = new Normalization(0, 1);

    /** MNIST's training-set pixel mean and standard deviation, as in the PyTorch examples. */
    public static final Normalization MNIST = new Normalization(0.1307, 0.3081);

    public Normalization {
      if (!Double.isFinite(mean) || !(std > 0) || !Double.isFinite(std)) {
        throw new AdjointException("a normalization needs a finite mean and a finite std > 0, got mean " + mean + ", std " + std);
      }
    }

    /** The value of pixel {@code p}. */
    public double apply(int p) {
      return (p / 255.0 - mean) / std;
    }
  }

  private final byte[] pixels;
  private final byte[] labels;
  private final int channels;
  private final int height;
  private final int width;
  private final int classes;
  private final Normalization normalization;
  /** The F32 value of each of the 256 pixel levels under {@link #normalization}. */
  private final float[] levels;

  private Dataset(byte[] pixels, byte[] labels, int channels, int height, int width, int classes, Normalization normalization) {
    this.pixels = pixels;
    this.labels = labels;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.classes = classes;
    this.normalization = normalization;
    this.levels = new float[256];
    for (int p = 0; p < 256; p++) {
      levels[p] = (float) normalization.apply(p);
    }
  }

  /**
   * A dataset of {@code labels.length} images of {@code channels × height × width} pixels (row-major
   * per image, images one after another) with labels in {@code [0, classes)}. Copies both arrays.
   */
  public static Dataset of(byte[] pixels, byte[] labels, int channels, int height, int width, int classes) {
    if (channels < 1 || height < 1 || width < 1) {
      throw new AdjointException("an image needs at least one channel, row and column, got " + channels + "×" + height + "×" + width);
    }
    if (classes < 1 || classes > 256) {
      throw new AdjointException("a dataset has 1 to 256 classes (labels are bytes), got " + classes);
    }
    long imageSize = (long) channels * height * width;
    if (pixels.length != imageSize * labels.length) {
      throw new AdjointException(
          labels.length + " labels need " + labels.length + " images of " + channels + "×" + height + "×" + width + " = "
              + imageSize * labels.length + " pixels, got " + pixels.length);
    }
    for (int i = 0; i < labels.length; i++) {
      if ((labels[i] & 0xFF) >= classes) {
        throw new AdjointException("label " + i + " is " + (labels[i] & 0xFF) + ", outside [0, " + classes + ")");
      }
    }
    return new Dataset(pixels.clone(), labels.clone(), channels, height, width, classes, Normalization.NONE);
  }

  /**
   * A dataset from an IDX file of images ({@code [N, H, W]}, one channel, or {@code [N, C, H, W]})
   * and one of labels ({@code [N]}).
   *
   * @throws FileFormatException if the files do not fit together or a label is not below {@code classes}
   */
  public static Dataset fromIdx(Idx images, Idx labels, int classes) {
    if (images.rank() != 3 && images.rank() != 4) {
      throw new FileFormatException(images.source(), 3,
          "images must be [N, H, W] or [N, C, H, W], but the file has dimensions " + Arrays.toString(images.dims()));
    }
    if (labels.rank() != 1) {
      throw new FileFormatException(labels.source(), 3,
          "labels must be [N], but the file has dimensions " + Arrays.toString(labels.dims()));
    }
    if (images.dim(0) != labels.dim(0)) {
      throw new FileFormatException(labels.source(), 4,
          "the file holds " + labels.dim(0) + " labels but " + images.source() + " holds " + images.dim(0) + " images");
    }
    for (int i = 0; i < labels.size(); i++) {
      if (labels.get(i) >= classes) {
        throw new FileFormatException(labels.source(), labels.position(i),
            "label " + i + " is " + labels.get(i) + ", outside [0, " + classes + ")");
      }
    }
    boolean hasChannels = images.rank() == 4;
    int channels = hasChannels ? images.dim(1) : 1;
    int height = images.dim(hasChannels ? 2 : 1);
    int width = images.dim(hasChannels ? 3 : 2);
    if (channels < 1 || height < 1 || width < 1) {
      throw new FileFormatException(images.source(), 4,
          "images of " + channels + "×" + height + "×" + width + " pixels are empty");
    }
    return new Dataset(images.elements(), labels.elements(), channels, height, width, classes, Normalization.NONE);
  }

  public int size() {
    return labels.length;
  }

  public int channels() {
    return channels;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public int classes() {
    return classes;
  }

  /** {@code [C, H, W]}: the shape of one image. */
  public Shape imageShape() {
    return Shape.of(channels, height, width);
  }

  public Normalization normalization() {
    return normalization;
  }

  /** The same images and labels, with pixels turned into values by {@code n}. */
  public Dataset normalized(Normalization n) {
    return new Dataset(pixels, labels, channels, height, width, classes, n);
  }

  /** The class of example {@code i}. */
  public int label(int i) {
    checkIndex(i);
    return labels[i] & 0xFF;
  }

  /** The raw pixel (0 to 255) of example {@code i} at channel {@code c}, row {@code y}, column {@code x}. */
  public int pixel(int i, int c, int y, int x) {
    checkIndex(i);
    if (c < 0 || c >= channels || y < 0 || y >= height || x < 0 || x >= width) {
      throw new AdjointException("pixel (" + c + ", " + y + ", " + x + ") is outside an image of " + imageShape());
    }
    return pixels[((i * channels + c) * height + y) * width + x] & 0xFF;
  }

  /** How many examples each class has. */
  public int[] classCounts() {
    int[] counts = new int[classes];
    for (byte label : labels) {
      counts[label & 0xFF]++;
    }
    return counts;
  }

  /**
   * Every image at once, F32 {@code [N, C, H, W]}. An NDArray holds 8 bytes per element, so the
   * 60,000 MNIST training images take 376 MB this way: train from {@link DataLoader} batches.
   */
  public NDArray images() {
    return images(allRows());
  }

  /** Every label, I64 {@code [N]}. */
  public NDArray labels() {
    return labels(allRows());
  }

  /** The first {@code n} examples: a small fixed subset for fast tests. */
  public Dataset head(int n) {
    if (n < 0 || n > size()) {
      throw new AdjointException("head(" + n + ") of a dataset of " + size() + " examples");
    }
    return select(Arrays.copyOf(allRows(), n));
  }

  /**
   * The first {@code perClass} examples of every class, in dataset order: a small fixed subset with
   * every class equally present.
   */
  public Dataset balanced(int perClass) {
    int[] counts = classCounts();
    for (int c = 0; c < classes; c++) {
      if (counts[c] < perClass) {
        throw new AdjointException("balanced(" + perClass + "): class " + c + " has only " + counts[c] + " examples");
      }
    }
    int[] taken = new int[classes];
    int[] rows = new int[perClass * classes];
    int n = 0;
    for (int i = 0; i < size() && n < rows.length; i++) {
      int label = labels[i] & 0xFF;
      if (taken[label] < perClass) {
        taken[label]++;
        rows[n++] = i;
      }
    }
    return select(rows);
  }

  /** The examples at {@code rows}, in that order (repeats allowed). */
  public Dataset select(int... rows) {
    int imageSize = channels * height * width;
    byte[] p = new byte[rows.length * imageSize];
    byte[] l = new byte[rows.length];
    for (int k = 0; k < rows.length; k++) {
      checkIndex(rows[k]);
      System.arraycopy(pixels, rows[k] * imageSize, p, k * imageSize, imageSize);
      l[k] = labels[rows[k]];
    }
    return new Dataset(p, l, channels, height, width, classes, normalization);
  }

  /** F32 {@code [rows.length, C, H, W]}. */
  NDArray images(int[] rows) {
    int imageSize = channels * height * width;
    for (int r : rows) {
      checkIndex(r);
    }
    return NDArray.generate(DType.F32, Shape.of(rows.length, channels, height, width),
        i -> levels[pixels[rows[i / imageSize] * imageSize + i % imageSize] & 0xFF]);
  }

  /** I64 {@code [rows.length]}. */
  NDArray labels(int[] rows) {
    for (int r : rows) {
      checkIndex(r);
    }
    return NDArray.generate(DType.I64, Shape.of(rows.length), i -> labels[rows[i]] & 0xFF);
  }

  /** Writes the images at {@code rows} as floats into {@code dst} from {@code offset}, row-major. */
  void copyImages(int[] rows, float[] dst, int offset) {
    int imageSize = channels * height * width;
    if (offset < 0 || (long) offset + (long) rows.length * imageSize > dst.length) {
      throw new AdjointException(
          rows.length + " images of " + imageSize + " pixels do not fit in a float[" + dst.length + "] from offset " + offset);
    }
    for (int k = 0; k < rows.length; k++) {
      checkIndex(rows[k]);
      int from = rows[k] * imageSize;
      int to = offset + k * imageSize;
      for (int j = 0; j < imageSize; j++) {
        dst[to + j] = levels[pixels[from + j] & 0xFF];
      }
    }
  }

  /** Writes the labels at {@code rows} into {@code dst} from {@code offset}. */
  void copyLabels(int[] rows, long[] dst, int offset) {
    if (offset < 0 || (long) offset + rows.length > dst.length) {
      throw new AdjointException(rows.length + " labels do not fit in a long[" + dst.length + "] from offset " + offset);
    }
    for (int k = 0; k < rows.length; k++) {
      checkIndex(rows[k]);
      dst[offset + k] = labels[rows[k]] & 0xFF;
    }
  }

  private int[] allRows() {
    int[] rows = new int[size()];
    Arrays.setAll(rows, i -> i);
    return rows;
  }

  private void checkIndex(int i) {
    if (i < 0 || i >= size()) {
      throw new AdjointException("example " + i + " is outside a dataset of " + size() + " examples");
    }
  }

  @Override
  public String toString() {
    return "Dataset(" + size() + " images of " + imageShape() + ", " + classes + " classes, " + normalization + ")";
  }
}
