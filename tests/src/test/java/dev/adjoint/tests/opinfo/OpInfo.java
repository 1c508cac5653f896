package dev.adjoint.tests.opinfo;

import dev.adjoint.dsl.CustomVjpRule;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.TensorType;
import dev.adjoint.testing.InputDomain;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One row of the OpInfo table: how to build a node of one op from operand tensors, the operand
 * types to try it on, where each operand's values come from, an independent reference
 * implementation, how its gradient is checked, and the inputs it must reject.
 *
 * <p>Floating operand types in {@code samples} and {@code errors} are written as {@code f64} and
 * stand for the floating dtype under test: the forward test runs every sample in f64 and in f32.
 * Integer and boolean operand types are kept as written. Operands become leaves named {@code x0},
 * {@code x1}, ... in order, so a dependent {@link InputDomain} finds earlier operands by those names.
 *
 * @param name unique, shown in test names and failure messages
 * @param build makes the node under test (the "subject") from the operand leaves
 * @param operands one entry per operand of {@code build}
 * @param samples operand types, one list per sample
 * @param reference the expected value of the subject, computed from the operand values without the
 *     interpreter
 * @param gradient how the subject's gradient is checked
 * @param errors operand types or attributes that the shape rule must reject
 * @param runTimeErrors operand values that the interpreter must reject while evaluating the subject
 * @param rules the custom VJP rules the text parser needs to read the row's graphs back
 */
record OpInfo(
    String name,
    NodeBuilder build,
    List<Operand> operands,
    List<List<TensorType>> samples,
    Reference reference,
    GradientKind gradient,
    List<ErrorInput> errors,
    List<RunTimeError> runTimeErrors,
    Map<String, CustomVjpRule> rules) {

  OpInfo {
    operands = List.copyOf(operands);
    samples = samples.stream().map(List::copyOf).toList();
    errors = List.copyOf(errors);
    runTimeErrors = List.copyOf(runTimeErrors);
    rules = Map.copyOf(rules);
  }

  /** Builds the subject node; {@code real} is the floating dtype under test (for dtype attributes). */
  @FunctionalInterface
  interface NodeBuilder {
    Tensor build(GraphBuilder b, List<Tensor> operands, DType real);
  }

  /** Makes the leaf that carries one operand: an input unless the row says otherwise. */
  @FunctionalInterface
  interface LeafMaker {
    Tensor make(GraphBuilder b, String name, TensorType type);
  }

  /**
   * The expected value of the subject from the operands' values (concrete shapes), as f64. {@code
   * node} is the subject, for attributes the builder chose (a parameter's key) and its dtype.
   */
  @FunctionalInterface
  interface Reference {
    NDArray expected(List<NDArray> operands, Node node);
  }

  /**
   * How the gradient of a row is checked. FINITE_DIFFERENCES: autodiff against central differences
   * with respect to every differentiable operand; ZERO: the op is not differentiable, so autodiff
   * must give zero cotangents to its floating operands; UNCHECKED: neither applies (a constant has
   * nothing to differentiate, an f32 result is too coarse for finite differences).
   */
  enum GradientKind {
    FINITE_DIFFERENCES,
    ZERO,
    UNCHECKED
  }

  /** One operand: its role (for messages), its input domain, and whether gradients are checked for it. */
  record Operand(String role, InputDomain domain, boolean differentiable, LeafMaker leaf) {}

  /** Operand types (and attributes, through {@code build}) whose node must fail with {@code fragment}. */
  record ErrorInput(String fragment, List<TensorType> operands, NodeBuilder build) {
    ErrorInput {
      operands = List.copyOf(operands);
    }
  }

  /** Operand values (concrete, f64 for floating ones) that make the interpreter fail with {@code fragment}. */
  record RunTimeError(String fragment, List<NDArray> operands) {
    RunTimeError {
      operands = List.copyOf(operands);
    }
  }

  static Builder row(String name, NodeBuilder build) {
    return new Builder(name, build);
  }

  /** Whether every differentiable operand of {@code sample} is floating, so its gradient can be checked. */
  boolean differentiableIn(List<TensorType> sample) {
    for (int i = 0; i < operands.size(); i++) {
      if (operands.get(i).differentiable() && !sample.get(i).dtype().isFloating()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return name;
  }

  /** Collects a row; {@link #done()} checks that it is complete and consistent. */
  static final class Builder {
    private static final LeafMaker INPUT = GraphBuilder::input;

    private final String name;
    private final NodeBuilder build;
    private final List<Operand> operands = new ArrayList<>();
    private final List<List<TensorType>> samples = new ArrayList<>();
    private final List<ErrorInput> errors = new ArrayList<>();
    private final List<RunTimeError> runTimeErrors = new ArrayList<>();
    private final Map<String, CustomVjpRule> rules = new LinkedHashMap<>();
    private @Nullable Reference reference;
    private GradientKind gradient = GradientKind.FINITE_DIFFERENCES;

    private Builder(String name, NodeBuilder build) {
      this.name = name;
      this.build = build;
    }

    /** A differentiable operand fed as an input. */
    Builder operand(String role, InputDomain domain) {
      return operand(role, domain, true, INPUT);
    }

    /** An operand whose gradient is not checked (labels, conditions, steps), fed as an input. */
    Builder fixedOperand(String role, InputDomain domain) {
      return operand(role, domain, false, INPUT);
    }

    Builder operand(String role, InputDomain domain, boolean differentiable, LeafMaker leaf) {
      operands.add(new Operand(role, domain, differentiable, leaf));
      return this;
    }

    Builder sample(TensorType... types) {
      samples.add(List.of(types));
      return this;
    }

    Builder reference(Reference reference) {
      this.reference = reference;
      return this;
    }

    /** The op is not differentiable: autodiff must give its floating operands zero cotangents. */
    Builder zeroGradient() {
      this.gradient = GradientKind.ZERO;
      return this;
    }

    /** Neither a finite-difference nor a zero check applies (the row says why in a comment). */
    Builder gradientUnchecked() {
      this.gradient = GradientKind.UNCHECKED;
      return this;
    }

    /** The row's own node built on {@code types} must fail with {@code fragment}. */
    Builder error(String fragment, TensorType... types) {
      return error(fragment, build, types);
    }

    /** {@code build} (other attributes) on {@code types} must fail with {@code fragment}. */
    Builder error(String fragment, NodeBuilder build, TensorType... types) {
      errors.add(new ErrorInput(fragment, List.of(types), build));
      return this;
    }

    Builder runTimeError(String fragment, NDArray... operandValues) {
      runTimeErrors.add(new RunTimeError(fragment, Arrays.asList(operandValues)));
      return this;
    }

    Builder rule(String ruleName, CustomVjpRule rule) {
      rules.put(ruleName, rule);
      return this;
    }

    OpInfo done() {
      if (reference == null || samples.isEmpty() || errors.isEmpty()) {
        throw new IllegalStateException("row '" + name + "' needs a reference, samples and error inputs");
      }
      for (List<TensorType> sample : samples) {
        if (sample.size() != operands.size()) {
          throw new IllegalStateException("row '" + name + "': sample " + sample + " does not have "
              + operands.size() + " operands");
        }
      }
      boolean anyDifferentiable = operands.stream().anyMatch(Operand::differentiable);
      if ((gradient == GradientKind.FINITE_DIFFERENCES) != anyDifferentiable) {
        throw new IllegalStateException("row '" + name + "': a finite-difference check needs a differentiable "
            + "operand, and only it may have one");
      }
      return new OpInfo(name, build, operands, samples, reference, gradient, errors, runTimeErrors, rules);
    }
  }
}
