package dev.adjoint.runtime.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.runtime.linalg.TileEpilogue;
import dev.adjoint.runtime.parallel.Parallel;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.jspecify.annotations.Nullable;

/**
 * The three convolution kernels against their definitions on random geometry: strides, leading
 * and trailing padding, dilation, groups (depthwise included), 1×1 kernels, kernels larger than
 * the input, batches of several slices of the filter gradient's batch sum, offsets into larger
 * arrays; and the forward pass with an epilogue on 1 and 2 threads.
 */
class Conv2dKernelsProperties {

  @Provide
  Arbitrary<ConvReference> geometries() {
    Arbitrary<int[]> channels =
        Combinators.combine(
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4),
                Arbitraries.of(false, false, true))
            .as((groups, cg, og, depthwise) ->
                depthwise ? new int[] {groups + 2, 1, og} : new int[] {groups, cg, og});
    Arbitrary<int[]> kernel =
        Combinators.combine(
                Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 2))
            .as((kh, kw, sh, sw, dh, dw) -> new int[] {kh, kw, sh, sw, dh, dw});
    Arbitrary<int[]> image =
        Combinators.combine(
                Arbitraries.of(1, 2, 3, 6, 9), Arbitraries.integers().between(1, 10),
                Arbitraries.integers().between(1, 10), Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 2))
            .as((n, h, w, pt, pl, pb, pr) -> new int[] {n, h, w, pt, pl, pb, pr});
    return Combinators.combine(channels, kernel, image)
        .as((ch, k, im) -> {
          int groups = ch[0];
          int oh = (im[1] + im[3] + im[5] - k[4] * (k[0] - 1) - 1) / k[2] + 1;
          int ow = (im[2] + im[4] + im[6] - k[5] * (k[1] - 1) - 1) / k[3] + 1;
          return new ConvReference(im[0], groups * ch[1], im[1], im[2], groups * ch[2], k[0],
              k[1], k[2], k[3], im[3], im[4], k[4], k[5], groups, oh, ow);
        })
        .filter(r -> r.oh() >= 1 && r.ow() >= 1);
  }

  @Property(tries = 120, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void f64KernelsMatchTheDefinitions(
      @ForAll("geometries") ConvReference r, @ForAll long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int xOff = random.nextInt(4);
    int wOff = random.nextInt(4);
    int yOff = random.nextInt(4);
    double[] x = randomDoubles(xOff + r.inputSize() + 2, random);
    double[] wt = randomDoubles(wOff + r.weightSize() + 2, random);
    double[] g = randomDoubles(yOff + r.outputSize() + 2, random);
    double[] xs = slice(x, xOff, r.inputSize());
    double[] ws = slice(wt, wOff, r.weightSize());
    double[] gs = slice(g, yOff, r.outputSize());

    double[] y = randomDoubles(yOff + r.outputSize() + 2, random);
    double[] yBefore = y.clone();
    Conv2dKernels.forward(x, xOff, r.n(), r.c(), r.h(), r.w(), wt, wOff, r.o(), r.kh(), r.kw(),
        r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), y, yOff, r.oh(),
        r.ow());
    assertClose(r.forward(xs, ws), yBefore, y, yOff, forwardTerms(r), 0x1.0p-53, r + " forward");

    double[] dx = randomDoubles(xOff + r.inputSize() + 2, random);
    double[] dxBefore = dx.clone();
    Conv2dKernels.backwardInput(g, yOff, r.n(), r.o(), r.oh(), r.ow(), wt, wOff, r.kh(), r.kw(),
        r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), dx, xOff, r.c(),
        r.h(), r.w());
    assertClose(r.backwardInput(gs, ws), dxBefore, dx, xOff, inputTerms(r), 0x1.0p-53,
        r + " backwardInput");

    double[] dwt = randomDoubles(wOff + r.weightSize() + 2, random);
    double[] dwtBefore = dwt.clone();
    Conv2dKernels.backwardFilter(x, xOff, r.n(), r.c(), r.h(), r.w(), g, yOff, r.o(), r.oh(),
        r.ow(), r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), dwt, wOff,
        r.kh(), r.kw());
    assertClose(r.backwardFilter(xs, gs), dwtBefore, dwt, wOff, filterTerms(r), 0x1.0p-53,
        r + " backwardFilter");

    // The gradients are the adjoints of the forward map: <conv(x, w), g> = <x, dx> = <w, dw>.
    double forwardPairing = dot(slice(y, yOff, r.outputSize()), gs);
    double scale = 1e-12 * (1 + r.outputSize()) * r.weightSize();
    assertEquals(forwardPairing, dot(xs, slice(dx, xOff, r.inputSize())), scale);
    assertEquals(forwardPairing, dot(ws, slice(dwt, wOff, r.weightSize())), scale);
  }

  @Property(tries = 120, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void f32KernelsMatchTheDefinitions(
      @ForAll("geometries") ConvReference r, @ForAll long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int off = random.nextInt(3);
    float[] x = randomFloats(off + r.inputSize(), random);
    float[] wt = randomFloats(off + r.weightSize(), random);
    float[] g = randomFloats(off + r.outputSize(), random);
    double[] xs = slice(toDouble(x), off, r.inputSize());
    double[] ws = slice(toDouble(wt), off, r.weightSize());
    double[] gs = slice(toDouble(g), off, r.outputSize());

    float[] y = randomFloats(off + r.outputSize(), random);
    double[] yBefore = toDouble(y);
    Conv2dKernels.forward(x, off, r.n(), r.c(), r.h(), r.w(), wt, off, r.o(), r.kh(), r.kw(),
        r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), y, off, r.oh(),
        r.ow());
    assertClose(r.forward(xs, ws), yBefore, toDouble(y), off, forwardTerms(r), 0x1.0p-24,
        r + " forward");

    float[] dx = randomFloats(off + r.inputSize(), random);
    double[] dxBefore = toDouble(dx);
    Conv2dKernels.backwardInput(g, off, r.n(), r.o(), r.oh(), r.ow(), wt, off, r.kh(), r.kw(),
        r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), dx, off, r.c(),
        r.h(), r.w());
    assertClose(r.backwardInput(gs, ws), dxBefore, toDouble(dx), off, inputTerms(r), 0x1.0p-24,
        r + " backwardInput");

    float[] dwt = randomFloats(off + r.weightSize(), random);
    double[] dwtBefore = toDouble(dwt);
    Conv2dKernels.backwardFilter(x, off, r.n(), r.c(), r.h(), r.w(), g, off, r.o(), r.oh(),
        r.ow(), r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), dwt, off,
        r.kh(), r.kw());
    assertClose(r.backwardFilter(xs, gs), dwtBefore, toDouble(dwt), off, filterTerms(r),
        0x1.0p-24, r + " backwardFilter");
  }

  @Property(tries = 80, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void forwardEpilogueSeesEveryFinishedOutputOnce(
      @ForAll("geometries") ConvReference r, @ForAll long seed, @ForAll boolean twoThreads) {
    SplittableRandom random = new SplittableRandom(seed);
    int off = random.nextInt(3);
    float[] x = randomFloats(off + r.inputSize(), random);
    float[] wt = randomFloats(off + r.weightSize(), random);
    int threads = Parallel.threads();
    Parallel.setThreads(twoThreads ? 2 : 1);
    try {
      checkForwardEpilogue(r, x, wt, off, random);
      checkForwardEpilogue(r, toDouble(x), toDouble(wt), off, random);
    } finally {
      Parallel.setThreads(threads);
    }
  }

  /**
   * The F32 forward pass with a recording epilogue passes each output once, inside the output,
   * with the value of the plain call; an epilogue y = max(0, y·scale[channel] + shift[pixel])
   * gives the bits of the plain call followed by that pass. Inputs, weights and output at off.
   */
  static void checkForwardEpilogue(
      ConvReference r, float[] x, float[] wt, int off, SplittableRandom random) {
    int p = r.oh() * r.ow();
    float[] scale = randomFloats(r.o(), random);
    float[] shift = randomFloats(p, random);
    float[] initial = randomFloats(off + r.outputSize() + 1, random);
    float[] plain = initial.clone();
    forward(r, x, wt, plain, off, null);
    float[] expected = plain.clone();
    for (int i = 0; i < r.outputSize(); i++) {
      int channel = i / p % r.o();
      expected[off + i] = Math.max(0f, expected[off + i] * scale[channel] + shift[i % p]);
    }

    float[] recorded = initial.clone();
    float[] seen = new float[r.outputSize()];
    AtomicIntegerArray visits = new AtomicIntegerArray(r.outputSize());
    forward(r, x, wt, recorded, off, (image, row, rows, col, cols) -> {
      checkBlock(r, image, row, rows, col, cols);
      for (int channel = row; channel < row + rows; channel++) {
        for (int pixel = col; pixel < col + cols; pixel++) {
          int i = (image * r.o() + channel) * p + pixel;
          visits.incrementAndGet(i);
          seen[i] = recorded[off + i];
        }
      }
    });
    assertArrayEquals(plain, recorded, r.toString());
    for (int i = 0; i < r.outputSize(); i++) {
      assertEquals(1, visits.get(i), r + ": visits of output " + i);
      assertEquals(plain[off + i], seen[i], r + ": value of output " + i);
    }

    float[] fused = initial.clone();
    forward(r, x, wt, fused, off, (image, row, rows, col, cols) -> {
      for (int channel = row; channel < row + rows; channel++) {
        for (int pixel = col; pixel < col + cols; pixel++) {
          int at = off + (image * r.o() + channel) * p + pixel;
          fused[at] = Math.max(0f, fused[at] * scale[channel] + shift[pixel]);
        }
      }
    });
    assertArrayEquals(expected, fused, r.toString());
  }

  /** The F64 twin of the check above, with the epilogue y = tanh(y·scale[channel]). */
  static void checkForwardEpilogue(
      ConvReference r, double[] x, double[] wt, int off, SplittableRandom random) {
    int p = r.oh() * r.ow();
    double[] scale = randomDoubles(r.o(), random);
    double[] initial = randomDoubles(off + r.outputSize() + 1, random);
    double[] expected = initial.clone();
    forward(r, x, wt, expected, off, null);
    for (int i = 0; i < r.outputSize(); i++) {
      expected[off + i] = Math.tanh(expected[off + i] * scale[i / p % r.o()]);
    }
    double[] fused = initial.clone();
    AtomicIntegerArray visits = new AtomicIntegerArray(r.outputSize());
    forward(r, x, wt, fused, off, (image, row, rows, col, cols) -> {
      checkBlock(r, image, row, rows, col, cols);
      for (int channel = row; channel < row + rows; channel++) {
        for (int pixel = col; pixel < col + cols; pixel++) {
          int i = (image * r.o() + channel) * p + pixel;
          visits.incrementAndGet(i);
          fused[off + i] = Math.tanh(fused[off + i] * scale[channel]);
        }
      }
    });
    assertArrayEquals(expected, fused, r.toString());
    for (int i = 0; i < r.outputSize(); i++) {
      assertEquals(1, visits.get(i), r + ": visits of output " + i);
    }
  }

  private static void checkBlock(ConvReference r, int image, int row, int rows, int col, int cols) {
    String block = "block " + image + ", channels " + row + "+" + rows + ", pixels " + col + "+"
        + cols + " of " + r;
    assertTrue(image >= 0 && image < r.n(), block);
    assertTrue(row >= 0 && rows >= 1 && row + rows <= r.o(), block);
    assertTrue(col >= 0 && cols >= 1 && col + cols <= r.oh() * r.ow(), block);
  }

  private static void forward(
      ConvReference r, float[] x, float[] wt, float[] y, int off,
      @Nullable TileEpilogue epilogue) {
    Conv2dKernels.forward(x, off, r.n(), r.c(), r.h(), r.w(), wt, off, r.o(), r.kh(), r.kw(),
        r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), y, off, r.oh(),
        r.ow(), epilogue);
  }

  private static void forward(
      ConvReference r, double[] x, double[] wt, double[] y, int off,
      @Nullable TileEpilogue epilogue) {
    Conv2dKernels.forward(x, off, r.n(), r.c(), r.h(), r.w(), wt, off, r.o(), r.kh(), r.kw(),
        r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), y, off, r.oh(),
        r.ow(), epilogue);
  }

  /**
   * Each value of the window at {@code offset} within (terms + 2)·unit·Σ|terms| of the
   * definition (exactly zero where no term reaches it), and every value outside the window equal
   * to the original.
   */
  static void assertClose(
      double[][] expected, double[] original, double[] actual, int offset, int terms, double unit,
      String what) {
    double[] value = expected[0];
    double[] magnitude = expected[1];
    for (int i = 0; i < actual.length; i++) {
      if (i < offset || i >= offset + value.length) {
        assertEquals(original[i], actual[i], what + ": element " + i + " outside the output");
        continue;
      }
      double error = Math.abs(actual[i] - value[i - offset]);
      double bound = unit * (terms + 2) * magnitude[i - offset];
      assertTrue(error <= bound,
          what + ": element " + i + " is " + actual[i] + ", expected " + value[i - offset]);
    }
  }

  static int forwardTerms(ConvReference r) {
    return r.cg() * r.kh() * r.kw();
  }

  static int inputTerms(ConvReference r) {
    return r.o() / r.groups() * r.kh() * r.kw();
  }

  static int filterTerms(ConvReference r) {
    return r.n() * r.oh() * r.ow();
  }

  static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  static double[] slice(double[] values, int offset, int length) {
    return java.util.Arrays.copyOfRange(values, offset, offset + length);
  }

  static double[] toDouble(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  static double[] randomDoubles(int length, SplittableRandom random) {
    double[] values = new double[length];
    for (int i = 0; i < length; i++) {
      values[i] = random.nextDouble(-1, 1);
    }
    return values;
  }

  static float[] randomFloats(int length, SplittableRandom random) {
    float[] values = new float[length];
    for (int i = 0; i < length; i++) {
      values[i] = (float) random.nextDouble(-1, 1);
    }
    return values;
  }
}
