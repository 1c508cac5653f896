package dev.adjoint.runtime.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.runtime.parallel.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class Conv2dKernelsTest {
  private final int initialThreads = Parallel.threads();

  @AfterEach
  void restoreThreads() {
    Parallel.setThreads(initialThreads);
  }

  /**
   * ResNet-like layers, large enough for several GEMM depth blocks (K = 32·9 = 288) and edge
   * tiles: a 3×3 same convolution, a strided 3×3, a 1×1 projection, a strided 1×1 shortcut, a
   * depthwise 3×3 and a grouped one; batches of 1 (parallel GEMM) and 5 (parallel images); a
   * 7×7/2 stem and a 3×3/3 whose output rows are long enough for the gathered strided copies. The
   * last two have 32 input and 64 or 32 output channels per group, shapes the direct
   * (blocked-channel) F32 path takes on 512-bit vectors: two depth blocks and a partial pixel
   * tile, then groups with stride, dilation and trailing padding. The unit-stride ones the
   * direct path does not take run on the padded plane on 512-bit vectors; the last three are
   * for it: ResNet-20's 16 channels, a dilated 3×2 with rows wider than the plane's pitch and
   * trailing padding, and a left padding past every input column. The last two have output rows
   * of whole vectors, whose filter gradient also takes the plane: 16² with 16 channels, and
   * groups of 5 output channels and 18 reduction steps (edge tiles both ways) with dilation and
   * trailing padding.
   */
  private static final ConvReference[] LAYERS = {
    new ConvReference(1, 32, 13, 11, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 13, 11),
    new ConvReference(5, 32, 13, 11, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 7, 6),
    new ConvReference(5, 48, 9, 9, 36, 1, 1, 1, 1, 0, 0, 1, 1, 1, 9, 9),
    new ConvReference(2, 16, 10, 10, 30, 1, 1, 2, 2, 0, 0, 1, 1, 1, 5, 5),
    new ConvReference(2, 24, 10, 10, 24, 3, 3, 1, 1, 1, 1, 1, 1, 24, 10, 10),
    new ConvReference(3, 12, 8, 8, 18, 3, 3, 1, 1, 2, 2, 2, 2, 3, 8, 8),
    new ConvReference(1, 3, 40, 40, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1, 20, 20),
    new ConvReference(1, 2, 60, 61, 4, 3, 3, 3, 3, 1, 1, 1, 1, 1, 20, 21),
    new ConvReference(2, 32, 9, 10, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 9, 10),
    new ConvReference(1, 64, 11, 9, 64, 3, 3, 2, 1, 1, 2, 2, 1, 2, 5, 11),
    new ConvReference(3, 16, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 12, 12),
    new ConvReference(2, 16, 7, 9, 20, 3, 2, 1, 1, 2, 0, 1, 3, 1, 9, 5),
    new ConvReference(1, 4, 5, 5, 8, 3, 3, 1, 1, 1, 6, 1, 1, 1, 5, 3),
    new ConvReference(2, 16, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 16, 16),
    new ConvReference(3, 6, 9, 20, 10, 3, 2, 1, 1, 1, 1, 2, 1, 2, 7, 32),
  };

  @Test
  void layerSizedConvolutionsMatchTheDefinitionsInBothPrecisions() {
    for (ConvReference r : LAYERS) {
      SplittableRandom random = new SplittableRandom(r.hashCode());
      double[] x = Conv2dKernelsProperties.randomDoubles(r.inputSize(), random);
      double[] wt = Conv2dKernelsProperties.randomDoubles(r.weightSize(), random);
      double[] g = Conv2dKernelsProperties.randomDoubles(r.outputSize(), random);
      Results d = runF64(r, x, wt, g);
      Conv2dKernelsProperties.assertClose(r.forward(x, wt), new double[0], d.y, 0,
          Conv2dKernelsProperties.forwardTerms(r), 0x1.0p-53, r + " forward");
      Conv2dKernelsProperties.assertClose(r.backwardInput(g, wt), new double[0], d.dx, 0,
          Conv2dKernelsProperties.inputTerms(r), 0x1.0p-53, r + " backwardInput");
      Conv2dKernelsProperties.assertClose(r.backwardFilter(x, g), new double[0], d.dw, 0,
          Conv2dKernelsProperties.filterTerms(r), 0x1.0p-53, r + " backwardFilter");

      float[] xf = toFloat(x);
      float[] wf = toFloat(wt);
      float[] gf = toFloat(g);
      FloatResults f = runF32(r, xf, wf, gf);
      double[] xd = Conv2dKernelsProperties.toDouble(xf);
      double[] wd = Conv2dKernelsProperties.toDouble(wf);
      double[] gd = Conv2dKernelsProperties.toDouble(gf);
      Conv2dKernelsProperties.assertClose(r.forward(xd, wd), new double[0],
          Conv2dKernelsProperties.toDouble(f.y), 0, Conv2dKernelsProperties.forwardTerms(r),
          0x1.0p-24, r + " forward F32");
      Conv2dKernelsProperties.assertClose(r.backwardInput(gd, wd), new double[0],
          Conv2dKernelsProperties.toDouble(f.dx), 0, Conv2dKernelsProperties.inputTerms(r),
          0x1.0p-24, r + " backwardInput F32");
      Conv2dKernelsProperties.assertClose(r.backwardFilter(xd, gd), new double[0],
          Conv2dKernelsProperties.toDouble(f.dw), 0, Conv2dKernelsProperties.filterTerms(r),
          0x1.0p-24, r + " backwardFilter F32");
    }
  }

  @Test
  void resultsAreBitwiseIdenticalForAnyThreadCountAndRun() {
    for (ConvReference r : LAYERS) {
      SplittableRandom random = new SplittableRandom(r.hashCode() + 1);
      float[] x = toFloat(Conv2dKernelsProperties.randomDoubles(r.inputSize(), random));
      float[] wt = toFloat(Conv2dKernelsProperties.randomDoubles(r.weightSize(), random));
      float[] g = toFloat(Conv2dKernelsProperties.randomDoubles(r.outputSize(), random));
      Parallel.setThreads(1);
      FloatResults expected = runF32(r, x, wt, g);
      for (int threads : new int[] {2, 3, 8}) {
        Parallel.setThreads(threads);
        for (int run = 0; run < 2; run++) {
          FloatResults actual = runF32(r, x, wt, g);
          assertArrayEquals(expected.y, actual.y, r + " forward on " + threads);
          assertArrayEquals(expected.dx, actual.dx, r + " backwardInput on " + threads);
          assertArrayEquals(expected.dw, actual.dw, r + " backwardFilter on " + threads);
        }
      }
    }
  }

  /**
   * The layer shapes through the forward pass with epilogues, on 1 and 2 threads: the direct
   * path (where 512-bit vectors make it available), implicit GEMM, 1×1, groups and strides.
   */
  @Test
  void forwardEpiloguesOnLayerShapesSeeEveryFinishedOutputOnce() {
    boolean anyDirect = false;
    boolean anyPlane = false;
    boolean anyPlaneFilter = false;
    for (ConvReference r : LAYERS) {
      ConvGeometry geometry = new ConvGeometry(r.n(), r.c(), r.h(), r.w(), r.o(), r.kh(), r.kw(),
          r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), r.oh(), r.ow());
      anyDirect |= FloatConv.DIRECT.suits(geometry);
      anyPlane |= !FloatConv.DIRECT.suits(geometry) && FloatConv.PLANE.suits(geometry);
      anyPlaneFilter |=
          FloatConv.PLANE_FILTER != null && FloatConv.PLANE_FILTER.suitsFilterGradient(geometry);
      for (int threads : new int[] {1, 2}) {
        Parallel.setThreads(threads);
        SplittableRandom random = new SplittableRandom(r.hashCode() + threads);
        double[] x = Conv2dKernelsProperties.randomDoubles(r.inputSize() + 1, random);
        double[] wt = Conv2dKernelsProperties.randomDoubles(r.weightSize() + 1, random);
        Conv2dKernelsProperties.checkForwardEpilogue(r, x, wt, 1, random);
        Conv2dKernelsProperties.checkForwardEpilogue(r, toFloat(x), toFloat(wt), 1, random);
      }
    }
    assertEquals(FloatConv.DIRECT != FloatDirectConv.NONE, anyDirect,
        "the direct path is covered wherever it exists");
    assertEquals(FloatConv.PLANE != FloatDirectConv.NONE, anyPlane,
        "the padded-plane path is covered wherever it exists");
    assertEquals(FloatConv.PLANE_FILTER != null, anyPlaneFilter,
        "the padded-plane filter gradient is covered wherever it exists");
  }

  /**
   * A padded 1×1 over images large enough that the padded planes are made in two batches (9
   * images, then 1). The values are positive, so a sum that missed images would be far outside
   * the rounding bound: with signed values the bound over 576,000 terms is loose enough to hide
   * one.
   */
  @Test
  void paddedPlanesMadeInBatchesCoverEveryImage() {
    ConvReference r = new ConvReference(10, 8, 238, 238, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 240, 240);
    SplittableRandom random = new SplittableRandom(5);
    float[] x = positive(r.inputSize(), random);
    float[] wt = positive(r.weightSize(), random);
    float[] g = positive(r.outputSize(), random);
    FloatResults f = runF32(r, x, wt, g);
    double[] forward = r.forward(Conv2dKernelsProperties.toDouble(x),
        Conv2dKernelsProperties.toDouble(wt))[0];
    double[] filter = r.backwardFilter(Conv2dKernelsProperties.toDouble(x),
        Conv2dKernelsProperties.toDouble(g))[0];
    for (int i = 0; i < forward.length; i++) {
      assertEquals(forward[i], f.y[i], 1e-5 * forward[i], "forward, element " + i);
    }
    for (int i = 0; i < filter.length; i++) {
      assertEquals(filter[i], f.dw[i], 1e-3 * filter[i], "backwardFilter, element " + i);
    }
  }

  private static float[] positive(int length, SplittableRandom random) {
    float[] values = new float[length];
    for (int i = 0; i < length; i++) {
      values[i] = (float) random.nextDouble(0.5, 1);
    }
    return values;
  }

  @Test
  void anEmptyBatchGivesAZeroFilterGradient() {
    float[] dw = {5, 5, 5, 5};
    Conv2dKernels.backwardFilter(new float[0], 0, 0, 1, 3, 3, new float[0], 0, 1, 2, 2,
        1, 1, 0, 0, 1, 1, 1, dw, 0, 2, 2);
    assertArrayEquals(new float[4], dw);
  }

  @Test
  void badGeometryAndShortArraysAreReportedWithTheShapes() {
    IllegalArgumentException groups =
        assertThrows(IllegalArgumentException.class,
            () -> Conv2dKernels.forward(new float[48], 0, 1, 3, 4, 4, new float[36], 0, 4, 3, 3,
                1, 1, 1, 1, 1, 1, 2, new float[64], 0, 4, 4));
    assertTrue(groups.getMessage().contains("groups must divide"), groups.getMessage());
    IllegalArgumentException shortOutput =
        assertThrows(IllegalArgumentException.class,
            () -> Conv2dKernels.forward(new double[48], 0, 1, 3, 4, 4, new double[108], 0, 4, 3,
                3, 1, 1, 1, 1, 1, 1, 1, new double[63], 0, 4, 4));
    assertTrue(shortOutput.getMessage().startsWith(
        "conv2d forward: y needs 64 values from offset 0 but its array has length 63"),
        shortOutput.getMessage());
    IllegalArgumentException stride =
        assertThrows(IllegalArgumentException.class,
            () -> Conv2dKernels.backwardInput(new float[16], 0, 1, 1, 4, 4, new float[9], 0, 3, 3,
                0, 1, 1, 1, 1, 1, 1, new float[16], 0, 1, 4, 4));
    assertTrue(stride.getMessage().contains("strides and dilations must be positive"),
        stride.getMessage());
  }

  private record Results(double[] y, double[] dx, double[] dw) {}

  private record FloatResults(float[] y, float[] dx, float[] dw) {}

  private static Results runF64(ConvReference r, double[] x, double[] wt, double[] g) {
    double[] y = new double[r.outputSize()];
    double[] dx = new double[r.inputSize()];
    double[] dw = new double[r.weightSize()];
    Conv2dKernels.forward(x, 0, r.n(), r.c(), r.h(), r.w(), wt, 0, r.o(), r.kh(), r.kw(), r.sh(),
        r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), y, 0, r.oh(), r.ow());
    Conv2dKernels.backwardInput(g, 0, r.n(), r.o(), r.oh(), r.ow(), wt, 0, r.kh(), r.kw(), r.sh(),
        r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), dx, 0, r.c(), r.h(), r.w());
    Conv2dKernels.backwardFilter(x, 0, r.n(), r.c(), r.h(), r.w(), g, 0, r.o(), r.oh(), r.ow(),
        r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), dw, 0, r.kh(),
        r.kw());
    return new Results(y, dx, dw);
  }

  private static FloatResults runF32(ConvReference r, float[] x, float[] wt, float[] g) {
    float[] y = new float[r.outputSize()];
    float[] dx = new float[r.inputSize()];
    float[] dw = new float[r.weightSize()];
    Conv2dKernels.forward(x, 0, r.n(), r.c(), r.h(), r.w(), wt, 0, r.o(), r.kh(), r.kw(), r.sh(),
        r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), y, 0, r.oh(), r.ow());
    Conv2dKernels.backwardInput(g, 0, r.n(), r.o(), r.oh(), r.ow(), wt, 0, r.kh(), r.kw(), r.sh(),
        r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), dx, 0, r.c(), r.h(), r.w());
    Conv2dKernels.backwardFilter(x, 0, r.n(), r.c(), r.h(), r.w(), g, 0, r.o(), r.oh(), r.ow(),
        r.sh(), r.sw(), r.padTop(), r.padLeft(), r.dh(), r.dw(), r.groups(), dw, 0, r.kh(),
        r.kw());
    return new FloatResults(y, dx, dw);
  }

  private static float[] toFloat(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }
}
