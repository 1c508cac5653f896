package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.nn.BatchNorm;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.testing.InputDomain;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Gradients computed by compiled F64 code: the compiled {@code grad} graph against central finite
 * differences of the compiled loss (eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|, PyTorch
 * gradcheck's defaults), every element of small tensors and random directions through large ones,
 * and against the reference interpreter's gradients within 1e-10. Fused and unfused.
 */
class CompiledGradientTest {
  private static final double EPS = 1e-6;
  private static final double ATOL = 1e-5;
  private static final double RTOL = 1e-3;
  private static final int DIRECTIONS = 4;
  private static final int FULL_LIMIT = 24;

  /** A model: its graph (output 0 is a scalar F64 loss), the names to differentiate, its feeds. */
  private record Model(String name, Graph graph, List<String> wrt, Map<String, NDArray> feeds) {}

  @TestFactory
  Stream<DynamicTest> compiledGradientsMatchFiniteDifferences() {
    List<Supplier<Model>> models = List.of(CompiledGradientTest::mlp, CompiledGradientTest::cnn,
        CompiledGradientTest::normalizations, CompiledGradientTest::layout);
    return models.stream().flatMap(m -> Stream.of(true, false).map(fusion -> {
      Model model = m.get();
      return dynamicTest(model.name() + (fusion ? ", fused" : ", unfused"), () -> check(model, fusion));
    }));
  }

  private static void check(Model model, boolean fusion) {
    Compiler compiler = Compiler.jvm(o -> o.fusion(fusion));
    Graph grad = Autodiff.grad(model.graph(), model.graph().output(0).name(), model.wrt());
    List<NDArray> analytic = compiler.compile(grad).run(model.feeds());
    List<NDArray> reference = ReferenceInterpreter.run(grad, model.feeds());
    Compare.assertClose(reference, analytic, () -> model.name() + ": compiled gradients vs the interpreter's");
    CompiledProgram loss = compiler.compile(new Graph("loss", model.graph().nodes(), List.of(model.graph().output(0))));
    Random rng = new Random(model.name().hashCode());
    for (int w = 0; w < model.wrt().size(); w++) {
      String name = model.wrt().get(w);
      NDArray value = model.feeds().get(name);
      NDArray gradient = analytic.get(w + 1);
      List<double[]> directions = new ArrayList<>();
      if (value.size() <= FULL_LIMIT) {
        for (int i = 0; i < value.size(); i++) {
          double[] unit = new double[value.size()];
          unit[i] = 1;
          directions.add(unit);
        }
      } else {
        for (int d = 0; d < DIRECTIONS; d++) {
          directions.add(rng.doubles(value.size(), -1, 1).toArray());
        }
      }
      for (double[] v : directions) {
        double numeric = (evaluate(loss, model, name, value, v, EPS) - evaluate(loss, model, name, value, v, -EPS))
            / (2 * EPS);
        double expected = 0;
        for (int i = 0; i < v.length; i++) {
          expected += gradient.get(i) * v[i];
        }
        double error = Math.abs(expected - numeric);
        double bound = ATOL + RTOL * Math.abs(numeric);
        assertTrue(error <= bound, model.name() + ": d loss / d " + name + " along " + java.util.Arrays.toString(v)
            + " is " + expected + " compiled, " + numeric + " by finite differences (error " + error + " > " + bound
            + ")");
      }
    }
  }

  /** The compiled loss with {@code name} moved by {@code step·direction}. */
  private static double evaluate(CompiledProgram loss, Model model, String name, NDArray value, double[] direction,
      double step) {
    Map<String, NDArray> feeds = new HashMap<>(model.feeds());
    feeds.put(name, NDArray.generate(DType.F64, value.shape(), i -> value.get(i) + step * direction[i]));
    return loss.run(feeds).getFirst().item();
  }

  private static Map<String, NDArray> feeds(Graph graph, int batch, long seed) {
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(graph, seed));
    Random rng = new Random(seed);
    for (Node input : graph.inputs()) {
      Shape shape = input.shape().resolve(batch);
      NDArray value = input.dtype() == DType.I64
          ? NDArray.generate(DType.I64, shape, i -> rng.nextInt(3))
          : InputDomain.DISTINCT.sample(input.type().withShape(shape), rng);
      feeds.put(input.name(), value);
    }
    return feeds;
  }

  private static Tensor loss(GraphBuilder b, Tensor logits) {
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    return b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.MEAN), logits, labels).named("loss");
  }

  private static Model mlp() {
    GraphBuilder b = new GraphBuilder("mlp").seed(1);
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 4);
    Tensor h = x.matmul(b.parameter("w1", DType.F64, Initializer.heNormal(), 4, 5))
        .plus(b.parameter("b1", DType.F64, new Initializer.Uniform(-0.1, 0.1), 5)).tanh();
    Tensor logits = h.matmul(b.parameter("w2", DType.F64, Initializer.heNormal(), 5, 3));
    Graph g = b.build(loss(b, logits));
    return new Model("mlp", g, List.of("x", "w1", "b1", "w2"), feeds(g, 3, 11));
  }

  /** Conv, training batch norm, relu, max and average pooling, a residual add, flatten, dense. */
  private static Model cnn() {
    GraphBuilder b = new GraphBuilder("cnn").seed(2);
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 2, 6, 6);
    Tensor w = b.parameter("k", DType.F64, Initializer.heNormal(), 3, 2, 3, 3);
    Tensor c = b.add(new Op.Conv2d(List.of(1, 1), List.of(1, 1, 1, 1), List.of(1, 1), 1), x, w);
    Tensor h = BatchNorm.create(b, "bn", DType.F64, 3).invoke(c).relu();
    Tensor skip = b.add(new Op.Conv2d(List.of(1, 1), List.of(0, 0, 0, 0), List.of(1, 1), 1), x,
        b.parameter("k1", DType.F64, Initializer.heNormal(), 3, 2, 1, 1));
    Tensor pooled = b.add(new Op.MaxPool2d(List.of(2, 2), List.of(2, 2), List.of(0, 0, 0, 0)), h.plus(skip));
    Tensor averaged = b.add(new Op.AvgPool2d(List.of(2, 2), List.of(1, 1), List.of(0, 0, 0, 0), true), pooled);
    Tensor logits = averaged.flatten().matmul(b.parameter("w", DType.F64, Initializer.heNormal(), 12, 3));
    Graph g = b.build(loss(b, logits));
    return new Model("cnn", g, List.of("x", "k", "k1", "w", "bn/gamma"), feeds(g, 2, 12));
  }

  private static Model normalizations() {
    GraphBuilder b = new GraphBuilder("norms").seed(3);
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 3, 4);
    Tensor g = b.parameter("g", DType.F64, new Initializer.Uniform(0.5, 1.5), 4);
    Tensor beta = b.parameter("beta", DType.F64, new Initializer.Uniform(-0.5, 0.5), 4);
    Tensor y = b.add(new Op.LayerNorm(1e-5, 2), x, g, beta).logSoftmax(2).times(x.sigmoid()).sum();
    Graph graph = b.build(y.named("loss"));
    return new Model("layer norm and log-softmax", graph, List.of("x", "g", "beta"), feeds(graph, 2, 13));
  }

  private static Model layout() {
    GraphBuilder b = new GraphBuilder("layout").seed(4);
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 2, 3);
    Tensor t = x.transpose(0, 2, 1).slice(1, 0, 2);
    Tensor p = b.add(new Op.Pad(List.of(0, 1, 0), List.of(0, 0, 1), 0.25), t);
    Tensor y = b.concat(2, p, p.exp()).square().mean().named("loss");
    Graph graph = b.build(y);
    return new Model("layout", graph, List.of("x"), feeds(graph, 2, 14));
  }
}
