package dev.adjoint.text;

import static dev.adjoint.ir.DType.BOOL;
import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.F64;
import static dev.adjoint.ir.DType.I32;
import static dev.adjoint.ir.DType.I64;
import static dev.adjoint.ir.Shape.BATCH;

import dev.adjoint.dsl.CustomVjpRule;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Initializer.FanMode;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hand-built graphs that together use every op, every initializer, every value of their enum and
 * boolean attributes, every dtype and odd values (NaN, -0.0, subnormals, empty shapes). {@link
 * GraphPrinterTest} checks that the catalog is complete, so a new op without a case fails the build.
 */
final class OpCatalog {
  private OpCatalog() {}

  /** Custom-VJP rules by the names the catalog's graphs use; the rules are never called here. */
  static final CustomVjpRule CLIP = (inputs, output, cotangent) -> List.of(cotangent);
  static final CustomVjpRule SCALED = (inputs, output, cotangent) -> List.of(cotangent, cotangent);
  static final Map<String, CustomVjpRule> RULES = Map.of("clip", CLIP, "scaled sum (v2)", SCALED);

  record Case(String label, Graph graph) {
    @Override
    public String toString() {
      return label;
    }
  }

  static List<Case> cases() {
    return List.of(
        new Case("leaves", leaves()),
        new Case("constants", constants()),
        new Case("elementwise", elementwise()),
        new Case("integer elementwise", integerElementwise()),
        new Case("reductions", reductions()),
        new Case("shape ops", shapeOps()),
        new Case("classification", classification()),
        new Case("convolution, pooling and normalization", convolutionPoolingAndNormalization()),
        new Case("randomness", randomness()),
        new Case("custom vjp", customVjp()),
        new Case("no outputs", new GraphBuilder("empty").build()));
  }

  private static Graph leaves() {
    GraphBuilder b = new GraphBuilder("leaves");
    List<Tensor> out = new ArrayList<>();
    out.add(b.input("x", F32, BATCH, 3));
    out.add(b.input("scalar", I64));
    out.add(b.input("mask", BOOL, 2, 0));
    out.add(b.parameter("const", F32, new Initializer.Constant(-0.0), 2));
    out.add(b.parameter("uniform", F64, new Initializer.Uniform(-0.1, 1e-300), 3, 2));
    out.add(b.parameter("normal", F32, new Initializer.Normal(0, 0.02), 4));
    out.add(b.parameter("xu", F32, new Initializer.XavierUniform(1), 3, 4));
    out.add(b.parameter("xn", F32, new Initializer.XavierNormal(Math.sqrt(2)), 3, 4));
    out.add(b.parameter("hu", F32, new Initializer.HeUniform(Math.sqrt(5), FanMode.FAN_IN), 8, 3, 3, 3));
    out.add(b.parameter("hn", F64, new Initializer.HeNormal(Math.sqrt(2), FanMode.FAN_OUT), 8, 3));
    out.add(b.parameter("hu_out", F64, new Initializer.HeUniform(1, FanMode.FAN_OUT), 3));
    out.add(b.parameter("hn_in", F32, Initializer.heNormal(), 2, 2));
    out.add(b.parameter("trunc", F32, new Initializer.TruncatedNormal(0, 0.02, Double.NEGATIVE_INFINITY, 0.04), 5));
    out.add(b.parameter("orth", F64, new Initializer.Orthogonal(Math.sqrt(2)), 4, 3, 2));
    out.add(b.scope("bn", () -> b.state("running_mean", F32, Shape.of(8), Initializer.zeros())));
    out.add(b.state("count", I64, Shape.scalar(), new Initializer.Constant(Double.MIN_VALUE)));
    return b.build(out);
  }

  private static Graph constants() {
    GraphBuilder b = new GraphBuilder("constants: \"odd\" values\n");
    List<Tensor> out = new ArrayList<>();
    out.add(b.constant(F64, new int[] {9}, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        -0.0, Double.MIN_VALUE, Double.MAX_VALUE, 0.1 + 0.2, 1e-310, -123456789.125));
    out.add(b.constant(F32, new int[] {2, 2}, 0.1, -1.5e-45, 3.4028234663852886E38, 16777217));
    out.add(b.constant(I32, new int[] {3}, Integer.MIN_VALUE, 0, Integer.MAX_VALUE));
    out.add(b.constant(I64, new int[] {2, 1}, -(1L << 53), 1L << 62));
    out.add(b.constant(BOOL, new int[] {2, 1, 2}, 1, 0, 0, 1));
    out.add(b.constant(F32, new int[] {2, 0, 3}));
    out.add(b.constant(F64, new int[] {0}));
    out.add(b.scalar(F64, Math.PI));
    out.add(b.scalar(BOOL, 1));
    out.add(b.scalar(I32, -7));
    return b.build(out);
  }

  private static Graph elementwise() {
    GraphBuilder b = new GraphBuilder("elementwise");
    Tensor x = b.input("x", F64, BATCH, 3);
    Tensor y = b.input("y", F64, 3);
    List<Tensor> out = new ArrayList<>();
    for (Op.UnaryFn fn : Op.UnaryFn.values()) {
      out.add(x.unary(fn));
    }
    for (Op.BinaryFn fn : Op.BinaryFn.values()) {
      out.add(b.add(new Op.Binary(fn), x, y));
    }
    for (Op.CompareFn fn : Op.CompareFn.values()) {
      out.add(x.compare(fn, y));
    }
    out.add(x.gt(y).select(x, y));
    for (DType to : DType.values()) {
      out.add(x.cast(to));
    }
    out.add(x.stopGradient());
    return b.build(out);
  }

  private static Graph integerElementwise() {
    GraphBuilder b = new GraphBuilder("integer_elementwise");
    Tensor i = b.input("i", I32, 4);
    return b.build(i.unaryMinus(), i.abs(), i.sign(), i.plus(i), i.maximum(i), i.cast(BOOL).eq(i.cast(BOOL)));
  }

  private static Graph reductions() {
    GraphBuilder b = new GraphBuilder("reductions");
    Tensor x = b.input("x", F32, BATCH, 3, 4);
    List<Tensor> out = new ArrayList<>();
    for (Op.ReduceFn fn : Op.ReduceFn.values()) {
      out.add(x.reduce(fn, false, 1));
      out.add(x.reduce(fn, true, 0, 2));
    }
    out.add(x.sum());
    out.add(x.sizeOf(0));
    out.add(b.add(new Op.SizeOf(List.of(), I64), x));
    return b.build(out);
  }

  private static Graph shapeOps() {
    GraphBuilder b = new GraphBuilder("shape_ops");
    Tensor img = b.input("img", F32, BATCH, 2, 3, 4);
    Tensor m = b.input("m", F32, 3, 4);
    List<Tensor> out = new ArrayList<>();
    out.add(img.flatten());
    out.add(img.reshape(BATCH, 6, 4));
    out.add(m.reshape(12));
    out.add(img.transpose(0, 3, 1, 2));
    out.add(m.transpose());
    out.add(m.reshape(1, 3, 4).broadcastTo(BATCH, 3, 4));
    out.add(img.slice(2, 1, 3));
    out.add(m.slice(new int[] {1, 0}, new int[] {3, 2}));
    out.add(m.pad(new int[] {0, 1}, new int[] {2, 0}, Double.NaN));
    out.add(img.pad(new int[] {0, 0, 1, 1}, new int[] {0, 0, 1, 1}, -0.0));
    out.add(m.concat(0, m, m));
    out.add(img.concat(-1));
    out.add(m.get(1));
    return b.build(out);
  }

  private static Graph classification() {
    GraphBuilder b = new GraphBuilder("classification");
    Tensor x = b.input("x", F64, BATCH, 5);
    Tensor w = b.parameter("w", F64, Initializer.xavierUniform(), 5, 3);
    Tensor labels = b.input("labels", I64, BATCH);
    Tensor logits = x.matmul(w).named("logits");
    List<Tensor> out = new ArrayList<>();
    out.add(logits.softmax(1));
    out.add(logits.logSoftmax(-1));
    Tensor targets = labels.oneHot(3, F64);
    out.add(labels.oneHot(7, F32));
    for (Op.Reduction r : Op.Reduction.values()) {
      out.add(b.add(new Op.SoftmaxCrossEntropy(r), logits, labels));
      out.add(b.add(new Op.SoftmaxCrossEntropy(r), logits, targets));
    }
    Tensor batched = b.input("a", F32, 2, 3, 4);
    out.add(batched.matmul(b.input("c", F32, 4, 5)));
    out.add(x.matmul(logits, true, false)); // contracts over the batch: [5, 3]
    out.add(w.matmul(w, false, true));
    out.add(w.matmul(w.transpose(), true, true));
    return b.build(out);
  }

  private static Graph convolutionPoolingAndNormalization() {
    GraphBuilder b = new GraphBuilder("cnn");
    Tensor x = b.input("x", F32, BATCH, 4, 5, 5);
    Tensor w = b.parameter("w", F32, Initializer.heNormal(), 6, 2, 3, 3);
    List<Tensor> out = new ArrayList<>();
    List<Integer> strides = List.of(2, 1);
    List<Integer> padding = List.of(1, 0, 2, 1);
    List<Integer> dilations = List.of(1, 2);
    Tensor y = b.add(new Op.Conv2d(strides, padding, dilations, 2), x, w); // [N,6,2,4]
    out.add(y);
    out.add(b.add(new Op.Conv2dBackwardInput(strides, padding, dilations, 2, List.of(5, 5)), y, w));
    out.add(b.add(new Op.Conv2dBackwardFilter(strides, padding, dilations, 2, List.of(3, 3)), x, y));
    List<Integer> kernel = List.of(3, 2);
    List<Integer> poolPadding = List.of(1, 1, 0, 1);
    Tensor pooled = b.add(new Op.MaxPool2d(kernel, strides, poolPadding), x); // [N,4,3,5]
    out.add(pooled);
    out.add(b.add(new Op.MaxPool2dBackward(kernel, strides, poolPadding), x, pooled));
    out.add(b.add(new Op.MaxPool2dSelect(kernel, strides, poolPadding), x, x));
    for (boolean countIncludePad : new boolean[] {true, false}) {
      Tensor mean = b.add(new Op.AvgPool2d(kernel, strides, poolPadding, countIncludePad), x);
      out.add(b.add(new Op.AvgPool2dBackward(kernel, strides, poolPadding, countIncludePad, List.of(5, 5)), mean));
    }
    Tensor gamma = b.parameter("gamma", F32, Initializer.ones(), 4);
    Tensor beta = b.parameter("beta", F32, Initializer.zeros(), 4);
    Tensor runningMean = b.state("running_mean", F32, Shape.of(4), Initializer.zeros());
    Tensor runningVar = b.state("running_var", F32, Shape.of(4), Initializer.ones());
    out.add(b.add(new Op.BatchNormTraining(1e-5), x, gamma, beta));
    out.add(b.add(new Op.BatchNormTraining(0.001), b.input("features", F32, BATCH, 4), gamma, beta));
    out.add(b.add(new Op.BatchNormInference(1e-5), x, gamma, beta, runningMean, runningVar));
    Tensor rowGamma = b.parameter("row_gamma", F32, Initializer.ones(), 5);
    out.add(b.add(new Op.LayerNorm(1e-6, 3), x, rowGamma, rowGamma));
    Tensor table = b.input("table", F64, 2, 3);
    Tensor tableGamma = b.input("table_gamma", F64, 2, 3);
    out.add(b.add(new Op.LayerNorm(0.0, 0), table, tableGamma, tableGamma));
    return b.build(out);
  }

  private static Graph randomness() {
    GraphBuilder b = new GraphBuilder("randomness").seed(-42);
    Tensor x = b.input("x", F32, BATCH, 8);
    List<Tensor> out = new ArrayList<>();
    out.add(x.dropout(0.5));
    out.add(x.dropout(1.0));
    out.add(x.dropout(0.0));
    out.add(b.add(new Op.Dropout(1.0 / 3, Long.MIN_VALUE, Long.MAX_VALUE), x, b.step()));
    out.add(b.add(new Op.RandomUniform(7, 9, F64), x, b.step()));
    out.add(b.add(new Op.RandomUniform(0, 1, F32), b.input("shape_only", I32, 2, 2), b.input("step32", I32)));
    return b.build(out);
  }

  private static Graph customVjp() {
    GraphBuilder b = new GraphBuilder("custom_vjp");
    Tensor x = b.input("x", F32, BATCH, 4);
    Tensor y = b.input("y", F32, 4);
    Tensor clipped = b.customVjp("clip", List.of(x), in -> in.get(0).maximum(-1.0).minimum(1.0), CLIP);
    Tensor scaled = b.customVjp("scaled sum (v2)", List.of(x, y), in -> in.get(0).plus(in.get(1)).times(2.0), SCALED);
    return b.build(clipped, scaled);
  }
}
