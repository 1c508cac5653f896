package dev.adjoint.runtime.conv;

import dev.adjoint.runtime.linalg.TileEpilogue;
import org.jspecify.annotations.Nullable;

/**
 * A direct F32 convolution for the shapes where it beats implicit GEMM; {@link #NONE} where the
 * Vector API is absent.
 */
interface FloatDirectConv {
  /** Suits no shape: every convolution takes the implicit-GEMM path. */
  FloatDirectConv NONE =
      new FloatDirectConv() {
        @Override
        public boolean suits(ConvGeometry s) {
          return false;
        }

        @Override
        public void forward(
            ConvGeometry s, float[] x, int xOff, float[] wt, int wOff, float[] y, int yOff,
            @Nullable TileEpilogue epilogue) {
          throw new IllegalStateException(
              "suits() is false for every shape, so forward() is never called");
        }
      };

  boolean suits(ConvGeometry s);

  /** As {@link FloatConv#forward}: the epilogue per finished block of output channels × pixels. */
  void forward(
      ConvGeometry s, float[] x, int xOff, float[] wt, int wOff, float[] y, int yOff,
      @Nullable TileEpilogue epilogue);
}
