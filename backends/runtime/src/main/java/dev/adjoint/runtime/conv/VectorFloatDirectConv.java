package dev.adjoint.runtime.conv;

import dev.adjoint.runtime.linalg.TileEpilogue;
import dev.adjoint.runtime.parallel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/**
 * Direct F32 convolution in a blocked-channel layout (NCHW16c), on the Vector API: the input is
 * copied once into zero-padded blocks of 16 channels, [C/16][H'][W'][16], so that no window needs
 * a bounds test and the 16 channels of a block are adjacent; the weights are packed as
 * [O/32][C/16][KH][KW][16][32]. The micro-kernel holds a tile of 12 output pixels × 32 output
 * channels in 24 vector accumulators and, per reduction step, broadcasts one input value per
 * pixel against two weight vectors: the GEMM micro-kernel, with the im2col operand read in place
 * instead of packed.
 *
 * <p>The reduction runs over (channel block, kernel row, kernel column, channel) in that order,
 * split like GEMM's depth into ceil(K / 256) equal blocks: each output is the sum, over the
 * blocks in order, of each block's fused-multiply-add chain from zero. The tiling and the threads
 * do not change it. Loaded only when {@link dev.adjoint.runtime.VectorSupport} says the module is
 * present.
 */
final class VectorFloatDirectConv implements FloatDirectConv {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_512;
  private static final int LANES = 16;
  /** Input channels per block: one 512-bit vector of floats. */
  private static final int CHANNEL_BLOCK = 16;
  /** Output channels per tile: two vectors. */
  private static final int OUT_BLOCK = 32;
  /** Output pixels per tile. */
  private static final int PIXELS = 12;
  /** The most reduction steps per depth block, as in GEMM: 256 × 32 weights fill 32 KiB of L1. */
  private static final int MAX_DEPTH_BLOCK = 256;
  /** The range of output channels per group and of reduction lengths that take this path. */
  private static final int MAX_DIRECT_CHANNELS = 64;
  private static final int MIN_DIRECT_KERNEL = 32 * 9;
  private static final int MAX_DIRECT_KERNEL = 64 * 9;
  /** Pixel tiles per parallel task. */
  private static final int TILES_PER_TASK = 16;

  /**
   * Layers of 32 or 64 output channels per group and reductions of 288 to 576 (32 to 64 input
   * channels, 3×3), where implicit GEMM spends much of its time packing im2col panels and its tiles
   * of 12 output channels fit 32 or 64 poorly. With more channels the weights outgrow the caches
   * and GEMM, which blocks them, is as fast; with fewer, copying the input into blocks costs more
   * than it saves. Measured on AVX-512.
   */
  @Override
  public boolean suits(ConvGeometry s) {
    return FloatVector.SPECIES_PREFERRED.length() == LANES
        && s.cg() % CHANNEL_BLOCK == 0
        && s.og() % OUT_BLOCK == 0
        && s.og() <= MAX_DIRECT_CHANNELS
        && s.kernelSize() >= MIN_DIRECT_KERNEL
        && s.kernelSize() <= MAX_DIRECT_KERNEL
        && !s.isPointwise()
        && s.outputPlane() >= PIXELS;
  }

  @Override
  public void forward(
      ConvGeometry s, float[] x, int xOff, float[] wt, int wOff, float[] y, int yOff,
      @Nullable TileEpilogue epilogue) {
    int channelBlocks = s.cg() / CHANNEL_BLOCK;
    int outBlocks = s.og() / OUT_BLOCK;
    int paddedH = (s.oh() - 1) * s.sh() + (s.kh() - 1) * s.dh() + 1;
    int paddedW = (s.ow() - 1) * s.sw() + (s.kw() - 1) * s.dw() + 1;
    int blockSize = paddedH * paddedW * CHANNEL_BLOCK;
    int imageSize = channelBlocks * blockSize;
    int kernel = s.kernelSize();
    int images = s.n() * s.groups();
    float[] input = new float[images * imageSize];
    float[] weights = new float[s.o() * kernel];
    Parallel.forEach(images * channelBlocks + s.groups() * outBlocks, chunk -> {
      if (chunk < images * channelBlocks) {
        int image = chunk / channelBlocks;
        int block = chunk % channelBlocks;
        packInput(s, x, xOff, image / s.groups(), image % s.groups(), block, paddedH, paddedW,
            input, image * imageSize + block * blockSize);
      } else {
        int index = chunk - images * channelBlocks;
        packWeights(s, wt, wOff, (index / outBlocks) * s.og() + (index % outBlocks) * OUT_BLOCK,
            OUT_BLOCK, weights);
      }
    });
    // The input offset of each reduction step (channel block, tap, channel) from a pixel's base.
    int[] offsets = new int[kernel];
    for (int block = 0, k = 0; block < channelBlocks; block++) {
      for (int u = 0; u < s.kh(); u++) {
        for (int v = 0; v < s.kw(); v++) {
          for (int c = 0; c < CHANNEL_BLOCK; c++) {
            offsets[k++] =
                block * blockSize + (u * s.dh() * paddedW + v * s.dw()) * CHANNEL_BLOCK + c;
          }
        }
      }
    }
    int p = s.outputPlane();
    int depthBlocks = (kernel + MAX_DEPTH_BLOCK - 1) / MAX_DEPTH_BLOCK;
    int depthBlock = (kernel + depthBlocks - 1) / depthBlocks;
    int tiles = (p + PIXELS - 1) / PIXELS;
    int tasksPerBlock = (tiles + TILES_PER_TASK - 1) / TILES_PER_TASK;
    Parallel.forEach(images * outBlocks * tasksPerBlock, task -> {
      int image = task / (outBlocks * tasksPerBlock);
      int firstOut =
          (image % s.groups()) * s.og() + (task / tasksPerBlock) % outBlocks * OUT_BLOCK;
      int firstTile = (task % tasksPerBlock) * TILES_PER_TASK;
      int endTile = Math.min(tiles, firstTile + TILES_PER_TASK);
      int[] base = new int[PIXELS * (endTile - firstTile)];
      for (int i = 0; i < base.length; i++) {
        // Pixels past the end repeat the last one: valid reads, discarded results.
        int pixel = Math.min(firstTile * PIXELS + i, p - 1);
        base[i] = image * imageSize
            + ((pixel / s.ow()) * s.sh() * paddedW + (pixel % s.ow()) * s.sw()) * CHANNEL_BLOCK;
      }
      float[] sums = new float[base.length * OUT_BLOCK];
      // Depth blocks outermost: a block's weights (at most 256 steps × 32 channels) stay in L1
      // while every tile of the task uses them.
      for (int k0 = 0; k0 < kernel; k0 += depthBlock) {
        int k1 = Math.min(kernel, k0 + depthBlock);
        for (int t = 0; t < endTile - firstTile; t++) {
          int at = t * PIXELS;
          tile(input, base, at, offsets, k0, k1, weights, firstOut * kernel, sums,
              at * OUT_BLOCK, k0 == 0);
        }
      }
      int outBase = yOff + ((image / s.groups()) * s.o() + firstOut) * p;
      int pixel0 = firstTile * PIXELS;
      int pixels = Math.min(base.length, p - pixel0);
      for (int i = 0; i < pixels; i++) {
        for (int j = 0; j < OUT_BLOCK; j++) {
          y[outBase + j * p + pixel0 + i] = sums[i * OUT_BLOCK + j];
        }
      }
      if (epilogue != null) {
        epilogue.apply(image / s.groups(), firstOut, OUT_BLOCK, pixel0, pixels);
      }
    });
  }

  /**
   * Copies channels [block·16, block·16 + 16) of one image and group as [H'][W'][16]; positions
   * in the padding keep the zeros of the fresh array.
   */
  private static void packInput(
      ConvGeometry s, float[] x, int xOff, int b, int g, int block, int paddedH, int paddedW,
      float[] input, int at) {
    int channel0 = xOff + (b * s.c() + g * s.cg() + block * CHANNEL_BLOCK) * s.inputPlane();
    for (int row = 0; row < paddedH; row++) {
      int iy = row - s.padTop();
      if (iy < 0 || iy >= s.h()) {
        continue;
      }
      for (int col = 0; col < paddedW; col++) {
        int ix = col - s.padLeft();
        if (ix < 0 || ix >= s.w()) {
          continue;
        }
        int from = channel0 + iy * s.w() + ix;
        int to = at + (row * paddedW + col) * CHANNEL_BLOCK;
        for (int c = 0; c < CHANNEL_BLOCK; c++) {
          input[to + c] = x[from + c * s.inputPlane()];
        }
      }
    }
  }

  /**
   * Packs the weights of output channels [firstOut, firstOut + outBlock) (within one group) as
   * [C/16][KH][KW][16][outBlock] at firstOut·K. One channel block at a time: its destination stays
   * in L1 while each source row is read in order.
   */
  private static void packWeights(
      ConvGeometry s, float[] wt, int wOff, int firstOut, int outBlock, float[] weights) {
    int taps = s.kh() * s.kw();
    int at = firstOut * s.kernelSize();
    for (int block = 0; block < s.cg() / CHANNEL_BLOCK; block++) {
      int blockAt = at + block * taps * CHANNEL_BLOCK * outBlock;
      for (int j = 0; j < outBlock; j++) {
        int from = wOff + ((firstOut + j) * s.cg() + block * CHANNEL_BLOCK) * taps;
        for (int c = 0; c < CHANNEL_BLOCK; c++) {
          for (int tap = 0; tap < taps; tap++) {
            weights[blockAt + (tap * CHANNEL_BLOCK + c) * outBlock + j] = wt[from++];
          }
        }
      }
    }
  }

  /**
   * One depth block [kFrom, kTo) of a tile of 12 output pixels × 32 output channels, whose pixels'
   * input offsets start at {@code base[baseAt]}: per step one broadcast input value per pixel
   * times the two weight vectors. The block's sums are stored into {@code tiles} (pixel-major) or
   * added to what is there. Stored here, not in a helper: a vector passed to a call that is not
   * inlined is boxed, and then so are the accumulators in the loop.
   */
  private static void tile(
      float[] input, int[] base, int baseAt, int[] offsets, int kFrom, int kTo, float[] weights,
      int weightBase, float[] tiles, int tileAt, boolean overwrite) {
    FloatVector zero = FloatVector.zero(SPECIES);
    FloatVector acc0x0 = zero, acc0x1 = zero;
    FloatVector acc1x0 = zero, acc1x1 = zero;
    FloatVector acc2x0 = zero, acc2x1 = zero;
    FloatVector acc3x0 = zero, acc3x1 = zero;
    FloatVector acc4x0 = zero, acc4x1 = zero;
    FloatVector acc5x0 = zero, acc5x1 = zero;
    FloatVector acc6x0 = zero, acc6x1 = zero;
    FloatVector acc7x0 = zero, acc7x1 = zero;
    FloatVector acc8x0 = zero, acc8x1 = zero;
    FloatVector acc9x0 = zero, acc9x1 = zero;
    FloatVector acc10x0 = zero, acc10x1 = zero;
    FloatVector acc11x0 = zero, acc11x1 = zero;
    int base0 = base[baseAt];
    int base1 = base[baseAt + 1];
    int base2 = base[baseAt + 2];
    int base3 = base[baseAt + 3];
    int base4 = base[baseAt + 4];
    int base5 = base[baseAt + 5];
    int base6 = base[baseAt + 6];
    int base7 = base[baseAt + 7];
    int base8 = base[baseAt + 8];
    int base9 = base[baseAt + 9];
    int base10 = base[baseAt + 10];
    int base11 = base[baseAt + 11];
    int w = weightBase + kFrom * 32;
    for (int k = kFrom; k < kTo; k++, w += 32) {
      int shift = offsets[k];
      FloatVector w0 = FloatVector.fromArray(SPECIES, weights, w);
      FloatVector w1 = FloatVector.fromArray(SPECIES, weights, w + 16);
      FloatVector a0 = FloatVector.broadcast(SPECIES, input[base0 + shift]);
      acc0x0 = w0.fma(a0, acc0x0);
      acc0x1 = w1.fma(a0, acc0x1);
      FloatVector a1 = FloatVector.broadcast(SPECIES, input[base1 + shift]);
      acc1x0 = w0.fma(a1, acc1x0);
      acc1x1 = w1.fma(a1, acc1x1);
      FloatVector a2 = FloatVector.broadcast(SPECIES, input[base2 + shift]);
      acc2x0 = w0.fma(a2, acc2x0);
      acc2x1 = w1.fma(a2, acc2x1);
      FloatVector a3 = FloatVector.broadcast(SPECIES, input[base3 + shift]);
      acc3x0 = w0.fma(a3, acc3x0);
      acc3x1 = w1.fma(a3, acc3x1);
      FloatVector a4 = FloatVector.broadcast(SPECIES, input[base4 + shift]);
      acc4x0 = w0.fma(a4, acc4x0);
      acc4x1 = w1.fma(a4, acc4x1);
      FloatVector a5 = FloatVector.broadcast(SPECIES, input[base5 + shift]);
      acc5x0 = w0.fma(a5, acc5x0);
      acc5x1 = w1.fma(a5, acc5x1);
      FloatVector a6 = FloatVector.broadcast(SPECIES, input[base6 + shift]);
      acc6x0 = w0.fma(a6, acc6x0);
      acc6x1 = w1.fma(a6, acc6x1);
      FloatVector a7 = FloatVector.broadcast(SPECIES, input[base7 + shift]);
      acc7x0 = w0.fma(a7, acc7x0);
      acc7x1 = w1.fma(a7, acc7x1);
      FloatVector a8 = FloatVector.broadcast(SPECIES, input[base8 + shift]);
      acc8x0 = w0.fma(a8, acc8x0);
      acc8x1 = w1.fma(a8, acc8x1);
      FloatVector a9 = FloatVector.broadcast(SPECIES, input[base9 + shift]);
      acc9x0 = w0.fma(a9, acc9x0);
      acc9x1 = w1.fma(a9, acc9x1);
      FloatVector a10 = FloatVector.broadcast(SPECIES, input[base10 + shift]);
      acc10x0 = w0.fma(a10, acc10x0);
      acc10x1 = w1.fma(a10, acc10x1);
      FloatVector a11 = FloatVector.broadcast(SPECIES, input[base11 + shift]);
      acc11x0 = w0.fma(a11, acc11x0);
      acc11x1 = w1.fma(a11, acc11x1);
    }
    if (overwrite) {
      acc0x0.intoArray(tiles, tileAt + 0);
      acc0x1.intoArray(tiles, tileAt + 16);
      acc1x0.intoArray(tiles, tileAt + 32);
      acc1x1.intoArray(tiles, tileAt + 48);
      acc2x0.intoArray(tiles, tileAt + 64);
      acc2x1.intoArray(tiles, tileAt + 80);
      acc3x0.intoArray(tiles, tileAt + 96);
      acc3x1.intoArray(tiles, tileAt + 112);
      acc4x0.intoArray(tiles, tileAt + 128);
      acc4x1.intoArray(tiles, tileAt + 144);
      acc5x0.intoArray(tiles, tileAt + 160);
      acc5x1.intoArray(tiles, tileAt + 176);
      acc6x0.intoArray(tiles, tileAt + 192);
      acc6x1.intoArray(tiles, tileAt + 208);
      acc7x0.intoArray(tiles, tileAt + 224);
      acc7x1.intoArray(tiles, tileAt + 240);
      acc8x0.intoArray(tiles, tileAt + 256);
      acc8x1.intoArray(tiles, tileAt + 272);
      acc9x0.intoArray(tiles, tileAt + 288);
      acc9x1.intoArray(tiles, tileAt + 304);
      acc10x0.intoArray(tiles, tileAt + 320);
      acc10x1.intoArray(tiles, tileAt + 336);
      acc11x0.intoArray(tiles, tileAt + 352);
      acc11x1.intoArray(tiles, tileAt + 368);
    } else {
      acc0x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 0))
          .intoArray(tiles, tileAt + 0);
      acc0x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 16))
          .intoArray(tiles, tileAt + 16);
      acc1x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 32))
          .intoArray(tiles, tileAt + 32);
      acc1x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 48))
          .intoArray(tiles, tileAt + 48);
      acc2x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 64))
          .intoArray(tiles, tileAt + 64);
      acc2x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 80))
          .intoArray(tiles, tileAt + 80);
      acc3x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 96))
          .intoArray(tiles, tileAt + 96);
      acc3x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 112))
          .intoArray(tiles, tileAt + 112);
      acc4x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 128))
          .intoArray(tiles, tileAt + 128);
      acc4x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 144))
          .intoArray(tiles, tileAt + 144);
      acc5x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 160))
          .intoArray(tiles, tileAt + 160);
      acc5x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 176))
          .intoArray(tiles, tileAt + 176);
      acc6x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 192))
          .intoArray(tiles, tileAt + 192);
      acc6x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 208))
          .intoArray(tiles, tileAt + 208);
      acc7x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 224))
          .intoArray(tiles, tileAt + 224);
      acc7x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 240))
          .intoArray(tiles, tileAt + 240);
      acc8x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 256))
          .intoArray(tiles, tileAt + 256);
      acc8x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 272))
          .intoArray(tiles, tileAt + 272);
      acc9x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 288))
          .intoArray(tiles, tileAt + 288);
      acc9x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 304))
          .intoArray(tiles, tileAt + 304);
      acc10x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 320))
          .intoArray(tiles, tileAt + 320);
      acc10x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 336))
          .intoArray(tiles, tileAt + 336);
      acc11x0.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 352))
          .intoArray(tiles, tileAt + 352);
      acc11x1.add(FloatVector.fromArray(SPECIES, tiles, tileAt + 368))
          .intoArray(tiles, tileAt + 368);
    }
  }
}
