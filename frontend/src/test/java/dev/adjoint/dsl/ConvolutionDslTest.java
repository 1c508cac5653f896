package dev.adjoint.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.ShapeException;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ConvolutionDslTest {
  private final GraphBuilder b = new GraphBuilder("cnn");

  @Test
  void conv2dWithDefaultsIsAValidStrideOneConvolution() {
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3, 8, 8);
    Tensor w = b.parameter("w", DType.F32, Initializer.heNormal(), 16, 3, 3, 3);
    Tensor y = x.conv2d(w, Conv2dOptions.defaults());
    assertEquals(new Op.Conv2d(List.of(1, 1), List.of(0, 0, 0, 0), List.of(1, 1), 1), y.node().op());
    assertEquals(Shape.of(Shape.BATCH, 16, 6, 6), y.shape());
  }

  @Test
  void optionsReachTheOp() {
    Tensor x = b.input("x", DType.F32, 2, 4, 9, 7);
    Tensor w = b.parameter("w", DType.F32, Initializer.heNormal(), 8, 2, 3, 2);
    Conv2dOptions options =
        Conv2dOptions.defaults().withStrides(2, 1).withPadding(Padding.of(1, 0, 2, 3)).withDilations(2, 1).withGroups(2);
    Tensor y = x.conv2d(w, options);
    assertEquals(new Op.Conv2d(List.of(2, 1), List.of(1, 0, 2, 3), List.of(2, 1), 2), y.node().op());
    // OH = (9 + 1 - 2·2 - 1) / 2 + 1 = 3, OW = (7 + 5 - 1 - 1) / 1 + 1 = 11.
    assertEquals(Shape.of(2, 8, 3, 11), y.shape());
  }

  @Test
  void samePaddingPutsTheOddRowAfter() {
    Tensor x = b.input("x", DType.F32, 1, 1, 6, 5);
    Tensor w = b.parameter("w", DType.F32, Initializer.heNormal(), 1, 1, 3, 3);
    Op.Conv2d strided = (Op.Conv2d) x.conv2d(w, 2, Padding.same()).node().op();
    // Height: ceil(6/2) = 3 outputs need (3-1)·2 + 3 = 7 rows, 1 more than 6: 0 before, 1 after.
    // Width: ceil(5/2) = 3 outputs need 7 columns, 2 more than 5: 1 before, 1 after.
    assertEquals(List.of(0, 1, 1, 1), strided.padding());
    Op.Conv2d dilated = (Op.Conv2d) x.conv2d(w, Conv2dOptions.defaults().withDilation(2).withPadding(Padding.same()))
        .node().op();
    assertEquals(List.of(2, 2, 2, 2), dilated.padding());
  }

  @Property(tries = 200)
  void samePaddingKeepsCeilOfSizeOverStride(
      @ForAll @IntRange(min = 1, max = 12) int size, @ForAll @IntRange(min = 1, max = 5) int kernel,
      @ForAll @IntRange(min = 1, max = 3) int stride, @ForAll @IntRange(min = 1, max = 3) int dilation) {
    GraphBuilder g = new GraphBuilder("same");
    Tensor x = g.input("x", DType.F64, Shape.BATCH, 1, size, size + 1);
    Tensor w = g.parameter("w", DType.F64, Initializer.heNormal(), 1, 1, kernel, kernel);
    Tensor y = x.conv2d(w, Conv2dOptions.defaults().withStride(stride).withDilation(dilation).withPadding(Padding.same()));
    assertEquals(Math.ceilDiv(size, stride), y.shape().dim(2));
    assertEquals(Math.ceilDiv(size + 1, stride), y.shape().dim(3));
    List<Integer> p = ((Op.Conv2d) y.node().op()).padding();
    assertTrue(p.get(1) - p.get(0) == 0 || p.get(1) - p.get(0) == 1, () -> "padding " + p);
  }

  @Test
  void poolingHelpersBuildSquareWindows() {
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3, 7, 7);
    Tensor max = x.maxPool2d(3, 2, Padding.of(1));
    assertEquals(new Op.MaxPool2d(List.of(3, 3), List.of(2, 2), List.of(1, 1, 1, 1)), max.node().op());
    assertEquals(Shape.of(Shape.BATCH, 3, 4, 4), max.shape());
    assertEquals(Shape.of(Shape.BATCH, 3, 3, 3), x.maxPool2d(2, 2).shape());
    Tensor mean = x.avgPool2d(2, 1, Padding.same(), false);
    assertEquals(new Op.AvgPool2d(List.of(2, 2), List.of(1, 1), List.of(0, 1, 0, 1), false), mean.node().op());
    assertEquals(x.shape(), mean.shape());
    assertEquals(new Op.AvgPool2d(List.of(2, 2), List.of(2, 2), List.of(0, 0, 0, 0), true), x.avgPool2d(2, 2).node().op());
  }

  @Test
  void globalAveragePoolingIsAMeanOverHeightAndWidth() {
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 5, 4, 4);
    Tensor pooled = x.globalAvgPool();
    assertEquals(new Op.Reduce(Op.ReduceFn.MEAN, List.of(2, 3), false), pooled.node().op());
    assertEquals(Shape.of(Shape.BATCH, 5), pooled.shape());
  }

  @Test
  void normalizationHelpersBuildTheirOps() {
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 4, 3, 3);
    Tensor gamma = b.parameter("gamma", DType.F32, Initializer.ones(), 4);
    Tensor beta = b.parameter("beta", DType.F32, Initializer.zeros(), 4);
    assertEquals(new Op.BatchNormTraining(1e-5), x.batchNormTraining(gamma, beta, 1e-5).node().op());
    Tensor mean = b.state("mean", DType.F32, Shape.of(4), Initializer.zeros());
    Tensor variance = b.state("variance", DType.F32, Shape.of(4), Initializer.ones());
    Tensor inference = x.batchNormInference(gamma, beta, mean, variance, 1e-3);
    assertEquals(new Op.BatchNormInference(1e-3), inference.node().op());
    assertEquals(5, inference.node().inputs().size());
    Tensor rowGamma = b.parameter("row_gamma", DType.F32, Initializer.ones(), 3, 3);
    Tensor layer = x.layerNorm(rowGamma, rowGamma, 1e-6, -2);
    assertEquals(new Op.LayerNorm(1e-6, 2), layer.node().op());
    assertEquals(x.shape(), layer.shape());
  }

  @Test
  void badInputsAreReportedByTheShapeRuleOrNamed() {
    Tensor x = b.input("x", DType.F32, 2, 6, 5, 5);
    Tensor w = b.parameter("w", DType.F32, Initializer.heNormal(), 4, 2, 3, 3);
    ShapeException groups = assertThrows(ShapeException.class,
        () -> x.conv2d(w, Conv2dOptions.defaults().withGroups(4)));
    assertTrue(groups.getMessage().contains("input channels 6 are not divisible by groups 4"), groups::getMessage);
    ShapeException stride = assertThrows(ShapeException.class, () -> x.conv2d(w, 0, Padding.same()));
    assertTrue(stride.getMessage().contains("strides must be >= 1, got [0, 0]"), stride::getMessage);
    Tensor flat = b.input("flat", DType.F32, 2, 6);
    AdjointException same = assertThrows(AdjointException.class, () -> flat.maxPool2d(2, 2, Padding.same()));
    assertTrue(same.getMessage().contains("same padding needs an [N, C, H, W] input, got [2,6]"), same::getMessage);
    ShapeException rank = assertThrows(ShapeException.class, () -> flat.maxPool2d(2, 2));
    assertTrue(rank.getMessage().contains("input must be [N, C, H, W] (rank 4), got [2,6]"), rank::getMessage);
  }
}
