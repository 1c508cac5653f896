package dev.adjoint.runtime.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StridedCopyTest {
  private static final StridedCopy SCALAR = new StridedCopy() {};

  @Test
  void transposeMatchesThePlainLoopForEveryBlockShape() {
    SplittableRandom random = new SplittableRandom(7);
    for (int rows = 1; rows <= 40; rows++) {
      for (int cols : new int[] {1, 5, 15, 16, 17, 31, 32, 48, 64, 70}) {
        int srcStride = cols + random.nextInt(3);
        int dstStride = rows + random.nextInt(3);
        int from = random.nextInt(4);
        int at = random.nextInt(4);
        float[] src = new float[from + rows * srcStride + 16];
        for (int i = 0; i < src.length; i++) {
          src[i] = (float) random.nextDouble(-1, 1);
        }
        // Values outside the block must survive: both start from the same non-zero fill.
        float[] expected = new float[at + cols * dstStride + 16];
        java.util.Arrays.fill(expected, 42f);
        float[] actual = expected.clone();
        SCALAR.transpose(src, from, srcStride, rows, cols, expected, at, dstStride);
        StridedCopy.INSTANCE.transpose(src, from, srcStride, rows, cols, actual, at, dstStride);
        assertArrayEquals(expected, actual, rows + "×" + cols + " block");
      }
    }
  }

  @Test
  void copyMatchesThePlainLoopUpToTheEndOfTheSource() {
    SplittableRandom random = new SplittableRandom(11);
    for (int step = 2; step <= 4; step++) {
      for (int count = 1; count <= 70; count++) {
        // The copy's last value is the source's last one, or a few before it.
        for (int slack = 0; slack <= 2; slack++) {
          int from = random.nextInt(3);
          float[] src = new float[from + (count - 1) * step + 1 + slack];
          for (int i = 0; i < src.length; i++) {
            src[i] = (float) random.nextDouble(-1, 1);
          }
          float[] expected = new float[count + 4];
          float[] actual = new float[count + 4];
          SCALAR.copy(src, from, step, count, expected, 2);
          StridedCopy.INSTANCE.copy(src, from, step, count, actual, 2);
          assertArrayEquals(expected, actual, "step " + step + ", count " + count);
        }
      }
    }
  }
}
