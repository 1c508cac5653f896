package dev.adjoint.kernel;

import dev.adjoint.ir.DType;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The kernel programs of a few graphs against golden files (see {@link Golden}), fused and
 * unfused: a change in what lowering or fusion emits is a diff to review.
 */
class KernelGoldenTest {

  @Test
  void mlpFused() throws IOException {
    Golden.assertGolden("mlp.fused.kernels", KernelPrinter.print(Lowering.lower(Graphs.mlp(DType.F32), true)));
  }

  @Test
  void mlpUnfused() throws IOException {
    Golden.assertGolden("mlp.unfused.kernels", KernelPrinter.print(Lowering.lower(Graphs.mlp(DType.F32), false)));
  }

  @Test
  void softmaxIsOneRowKernel() throws IOException {
    Golden.assertGolden("softmax.fused.kernels", KernelPrinter.print(Lowering.lower(Graphs.softmax(), true)));
  }

  @Test
  void batchNormTrainingIsOneRowKernel() throws IOException {
    Golden.assertGolden("batch_norm.fused.kernels", KernelPrinter.print(Lowering.lower(Graphs.batchNorm(), true)));
  }

  @Test
  void convBlockEpilogue() throws IOException {
    Golden.assertGolden("conv_block.fused.kernels", KernelPrinter.print(Lowering.lower(Graphs.convBlock(), true)));
  }
}
