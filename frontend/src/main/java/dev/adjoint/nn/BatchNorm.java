package dev.adjoint.nn;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Shape;

/**
 * Batch normalization over the channel axis 1 of {@code [N, C]} or {@code [N, C, H, W]} inputs,
 * with PyTorch's conventions: training mode normalizes with the biased batch variance and updates
 * the running statistics as {@code running = (1 − momentum)·running + momentum·batch} using the
 * unbiased variance for {@code running_var}; inference mode uses the running statistics. Which mode
 * a graph gets follows {@link GraphBuilder#isTraining()} when the layer is applied.
 *
 * <p>Parameters {@code <name>/gamma} (ones) and {@code <name>/beta} (zeros) when affine, else
 * constant 1 and 0; state {@code <name>/running_mean} (zeros) and {@code <name>/running_var} (ones).
 */
public final class BatchNorm {
  public static final double DEFAULT_EPS = 1e-5;
  public static final double DEFAULT_MOMENTUM = 0.1;

  private final String name;
  private final int channels;
  private final double eps;
  private final double momentum;
  private final Tensor gamma;
  private final Tensor beta;
  private final Tensor runningMean;
  private final Tensor runningVar;

  private BatchNorm(String name, int channels, double eps, double momentum, Tensor gamma, Tensor beta,
      Tensor runningMean, Tensor runningVar) {
    this.name = name;
    this.channels = channels;
    this.eps = eps;
    this.momentum = momentum;
    this.gamma = gamma;
    this.beta = beta;
    this.runningMean = runningMean;
    this.runningVar = runningVar;
  }

  /** Affine, eps 1e-5, momentum 0.1. */
  public static BatchNorm create(GraphBuilder b, String name, DType dtype, int channels) {
    return create(b, name, dtype, channels, DEFAULT_EPS, DEFAULT_MOMENTUM, true);
  }

  public static BatchNorm create(
      GraphBuilder b, String name, DType dtype, int channels, double eps, double momentum, boolean affine) {
    if (channels < 1 || !(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
      throw new AdjointException("batch norm '" + name + "' needs channels >= 1, eps > 0 and momentum in [0, 1]; got "
          + channels + ", " + eps + ", " + momentum);
    }
    return b.scope(name, () -> {
      Shape c = Shape.of(channels);
      Tensor gamma = affine
          ? b.parameter("gamma", dtype, c, Initializer.ones())
          : b.constant(dev.adjoint.ir.NDArray.filled(dtype, c, 1));
      Tensor beta = affine
          ? b.parameter("beta", dtype, c, Initializer.zeros())
          : b.constant(dev.adjoint.ir.NDArray.filled(dtype, c, 0));
      Tensor mean = b.state("running_mean", dtype, c, Initializer.zeros());
      Tensor var = b.state("running_var", dtype, c, Initializer.ones());
      return new BatchNorm(name, channels, eps, momentum, gamma, beta, mean, var);
    });
  }

  public Tensor invoke(Tensor x) {
    if ((x.rank() != 2 && x.rank() != 4) || x.shape().dim(1) != channels) {
      throw new AdjointException("batch norm '" + name + "' expects [N, " + channels + "] or [N, " + channels
          + ", H, W], got " + x.type() + " from " + x.node().describe());
    }
    GraphBuilder b = x.builder();
    if (!b.isTraining()) {
      return x.batchNormInference(gamma, beta, runningMean, runningVar, eps);
    }
    int[] axes = x.rank() == 2 ? new int[] {0} : new int[] {0, 2, 3};
    Tensor batchMean = x.mean(axes);
    Tensor centered = x.minus(batchMean.reshape(statShape(x)));
    Tensor biasedVar = centered.square().mean(axes);
    Tensor count = x.sizeOf(axes);
    Tensor unbiasedVar = biasedVar.times(count).div(count.minus(1));
    // Running statistics are bookkeeping: no gradient flows through them.
    b.assign(runningMean, runningMean.times(1 - momentum).plus(batchMean.stopGradient().times(momentum)));
    b.assign(runningVar, runningVar.times(1 - momentum).plus(unbiasedVar.stopGradient().times(momentum)));
    return x.batchNormTraining(gamma, beta, eps);
  }

  private int[] statShape(Tensor x) {
    return x.rank() == 2 ? new int[] {1, channels} : new int[] {1, channels, 1, 1};
  }

  public Tensor gamma() {
    return gamma;
  }

  public Tensor beta() {
    return beta;
  }

  public Tensor runningMean() {
    return runningMean;
  }

  public Tensor runningVar() {
    return runningVar;
  }

  public double eps() {
    return eps;
  }
}
