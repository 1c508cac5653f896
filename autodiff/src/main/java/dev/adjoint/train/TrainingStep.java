package dev.adjoint.train;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One whole training step as one graph: the model's forward pass and loss, the backward pass,
 * optional gradient clipping, the optimizer's update of every parameter and of its own state, the
 * model's own state updates (batch-norm running statistics), and the step counter. Parameters and
 * state are updated in place ({@link Graph#updates()}), so a backend runs the step per batch with
 * nothing to copy back.
 *
 * <p>The step graph has the model's inputs plus a scalar {@value #LEARNING_RATE} input (so a
 * {@link Schedule} never recompiles), returns the model's outputs (the loss among them), and keeps
 * the number of completed steps in the i64 state {@value #STEP}. A model with dropout also reads
 * the i64 input {@code step} that keys its masks; feed it the same step number.
 */
public final class TrainingStep {
  public static final String LEARNING_RATE = "learning_rate";
  public static final String STEP = "optimizer/step";

  private TrainingStep() {}

  /**
   * Builds the step for {@code model}, minimizing its node {@code loss} (a scalar) over all its
   * parameters.
   */
  public static Graph build(Graph model, String loss, Optimizer optimizer, @Nullable Clipping clipping) {
    GraphBuilder b = GraphBuilder.extending(model);
    Tensor lossTensor = b.tensor(model.node(loss));
    if (lossTensor.rank() != 0 || !lossTensor.dtype().isFloating()) {
      throw new AdjointException("the loss " + lossTensor.node().describe() + " must be an f32 or f64 scalar, got "
          + lossTensor.type());
    }
    List<Tensor> params = model.parameters().stream().map(b::tensor).toList();
    if (params.isEmpty()) {
      throw new AdjointException("graph '" + model.name() + "' has no parameters to train");
    }
    DType dtype = lossTensor.dtype();
    for (Tensor p : params) {
      if (p.dtype() != dtype) {
        throw new AdjointException("parameter " + p.node().describe() + " is " + p.dtype() + " but the loss is " + dtype
            + "; a training step needs one floating type");
      }
    }
    List<Tensor> gradients = Autodiff.gradients(lossTensor, params);
    if (clipping != null) {
      gradients = clipping.apply(gradients);
    }
    Tensor learningRate = b.input(LEARNING_RATE, dtype);
    Tensor completed = b.state(STEP, DType.I64, Shape.scalar(), Initializer.zeros());
    Tensor step = completed.plus(1);
    b.assign(completed, step);
    Tensor t = step.cast(dtype);
    for (int i = 0; i < params.size(); i++) {
      b.assign(params.get(i), optimizer.update(params.get(i), gradients.get(i), learningRate, t));
    }
    List<Tensor> outputs = new ArrayList<>();
    for (Node out : model.outputs()) {
      outputs.add(b.tensor(out));
    }
    return b.build(outputs);
  }
}
