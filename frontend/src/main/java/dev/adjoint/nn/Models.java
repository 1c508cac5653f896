package dev.adjoint.nn;

import dev.adjoint.dsl.Tensor;

/** Small reference architectures, a few lines each on top of {@link Blocks}. */
public final class Models {
  private Models() {}

  /**
   * A CIFAR-style ResNet: a 3×3 stem of {@code width} channels, three stages of {@code
   * blocksPerStage} basic blocks at width, 2·width (stride 2) and 4·width (stride 2), and a
   * global-pool classifier. {@code smallResNet(x, 10, 16, 3)} is ResNet-20.
   */
  public static Tensor smallResNet(Tensor images, int classes, int width, int blocksPerStage) {
    Tensor h = Blocks.convBn("stem", images, width, 3, 1).relu();
    for (int stage = 0; stage < 3; stage++) {
      for (int block = 0; block < blocksPerStage; block++) {
        int stride = stage > 0 && block == 0 ? 2 : 1;
        h = Blocks.residual("stage" + (stage + 1) + "/block" + (block + 1), h, width << stage, stride);
      }
    }
    return Blocks.classifierHead("head", h, classes);
  }

  /**
   * A small DenseNet: a 3×3 stem of 2·growth channels, then dense blocks of {@code layersPerBlock}
   * layers separated by transitions that halve the channels, and a global-pool classifier.
   */
  public static Tensor smallDenseNet(Tensor images, int classes, int growthRate, int blocks, int layersPerBlock) {
    Tensor h = Blocks.convBn("stem", images, 2 * growthRate, 3, 1).relu();
    for (int i = 1; i <= blocks; i++) {
      h = Blocks.denseBlock("block" + i, h, layersPerBlock, growthRate);
      if (i < blocks) {
        h = Blocks.transition("transition" + i, h, Blocks.channels(h) / 2);
      }
    }
    return Blocks.classifierHead("head", h, classes);
  }

  /**
   * ResNet-18 (He et al. 2015) for ImageNet-sized inputs: a 7×7 stride-2 stem, a 3×3 stride-2 max
   * pool, four stages of two basic blocks at 64, 128, 256 and 512 channels, and a global-pool
   * classifier.
   */
  public static Tensor resnet18(Tensor images, int classes) {
    Tensor h = Blocks.convBn("stem", images, 64, 7, 2).relu()
        .maxPool2d(3, 2, dev.adjoint.dsl.Padding.of(1));
    int[] widths = {64, 128, 256, 512};
    for (int stage = 0; stage < widths.length; stage++) {
      for (int block = 0; block < 2; block++) {
        int stride = stage > 0 && block == 0 ? 2 : 1;
        h = Blocks.residual("stage" + (stage + 1) + "/block" + (block + 1), h, widths[stage], stride);
      }
    }
    return Blocks.classifierHead("head", h, classes);
  }
}
