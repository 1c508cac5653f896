package dev.adjoint.text;

import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.F64;
import static dev.adjoint.ir.DType.I64;
import static dev.adjoint.ir.Shape.BATCH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GraphPrinterTest {

  static List<OpCatalog.Case> catalog() {
    return OpCatalog.cases();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("catalog")
  void catalogGraphsRoundTrip(OpCatalog.Case c) {
    RoundTrip.check(c.graph(), OpCatalog.RULES);
  }

  /**
   * Fails when the catalog misses an op, an initializer, a value of an enum attribute (UnaryFn,
   * Reduction, FanMode, ...) or either value of a boolean attribute. A new op or attribute then
   * needs a round-trip case, and so a text form.
   */
  @Test
  void catalogCoversEveryOpInitializerAndAttributeValue() throws ReflectiveOperationException {
    List<Record> seen = new ArrayList<>();
    Set<DType> dtypes = EnumSet.noneOf(DType.class);
    for (OpCatalog.Case c : OpCatalog.cases()) {
      for (Node n : c.graph().nodes()) {
        seen.add((Record) n.op());
        dtypes.add(n.dtype());
        if (n.op() instanceof Op.Parameter p) {
          seen.add((Record) p.init());
        } else if (n.op() instanceof Op.State s) {
          seen.add((Record) s.init());
        }
      }
    }
    List<String> missing = new ArrayList<>();
    missing.addAll(uncovered(Op.class, seen));
    missing.addAll(uncovered(Initializer.class, seen));
    for (DType d : DType.values()) {
      if (!dtypes.contains(d)) {
        missing.add("a value of dtype " + d);
      }
    }
    assertTrue(missing.isEmpty(), "OpCatalog has no round-trip case for: " + missing);
  }

  /**
   * The permitted records of {@code family} that {@code seen} lacks, or lacks with some value of a
   * boolean or enum component. DType components are left out: not every op accepts every dtype.
   */
  private static List<String> uncovered(Class<?> family, List<Record> seen) throws ReflectiveOperationException {
    List<String> missing = new ArrayList<>();
    for (Class<?> kind : family.getPermittedSubclasses()) {
      List<Record> instances = seen.stream().filter(kind::isInstance).toList();
      if (instances.isEmpty()) {
        missing.add(kind.getSimpleName());
        continue;
      }
      for (RecordComponent c : kind.getRecordComponents()) {
        Class<?> type = c.getType();
        List<Object> required = type == boolean.class ? List.of(true, false)
            : type.isEnum() && type != DType.class ? List.of(type.getEnumConstants())
            : List.of();
        Set<Object> values = new HashSet<>();
        for (Record r : instances) {
          values.add(c.getAccessor().invoke(r));
        }
        for (Object v : required) {
          if (!values.contains(v)) {
            missing.add(kind.getSimpleName() + " with " + c.getName() + "=" + v);
          }
        }
      }
    }
    return missing;
  }

  @Test
  void printsTheDocumentedSyntax() {
    GraphBuilder b = new GraphBuilder("mlp");
    Tensor x = b.input("x", F32, BATCH, 784);
    Tensor w1 = b.parameter("w1", F32, Initializer.xavierUniform(), 784, 128);
    Tensor h = x.matmul(w1);
    Tensor c = b.constant(F64, new int[] {2, 2}, 1, 2, 3, 4);
    Tensor s = h.sum();
    h.relu().dropout(0.5);
    Graph g = b.build(h, s);

    String expected =
        """
        graph mlp {
          x = input : f32[N,784]
          w1 = parameter{init=xavier_uniform(gain=1.0), key=1} : f32[784,128]
          matmul_1 = matmul(x, w1) : f32[N,128]
          constant_1 = constant{value=[[1.0, 2.0], [3.0, 4.0]]} : f64[2,2]
          reduce_sum_1 = reduce_sum{axes=[0, 1], keep_dims=false}(matmul_1) : f32[]
          relu_1 = relu(matmul_1) : f32[N,128]
          step = input : i64[]
          dropout_1 = dropout{p=0.5, seed=0, key=2}(relu_1, step) : f32[N,128]
          return matmul_1, reduce_sum_1
        }
        """;
    assertEquals(expected, GraphPrinter.print(g));
    assertEquals("constant_1 = constant{value=[[1.0, 2.0], [3.0, 4.0]]} : f64[2,2]", GraphPrinter.printNode(c.node()));
  }

  @Test
  void printsEachAttributeKind() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F32, BATCH, 2, 3);
    Tensor labels = b.input("labels", I64, BATCH);
    assertEquals("slice_1 = slice{starts=[0, 0, 1], ends=[N, 2, 3]}(x) : f32[N,2,2]", line(x.slice(2, 1, 3)));
    assertEquals("reshape_1 = reshape{shape=[N,6]}(x) : f32[N,6]", line(x.reshape(BATCH, 6)));
    assertEquals("transpose_1 = transpose{permutation=[0, 2, 1]}(x) : f32[N,3,2]", line(x.transpose()));
    assertEquals("pad_1 = pad{before=[0, 1, 0], after=[0, 0, 2], value=-Infinity}(x) : f32[N,3,5]",
        line(x.pad(new int[] {0, 1, 0}, new int[] {0, 0, 2}, Double.NEGATIVE_INFINITY)));
    assertEquals("cast_1 = cast{to=bool}(x) : bool[N,2,3]", line(x.cast(DType.BOOL)));
    assertEquals("size_of_1 = size_of{axes=[0, 2], dtype=f32}(x) : f32[]", line(x.sizeOf(0, 2)));
    assertEquals("one_hot_1 = one_hot{depth=4, dtype=f64}(labels) : f64[N,4]", line(labels.oneHot(4, F64)));
    assertEquals("log_softmax_1 = log_softmax{axis=2}(x) : f32[N,2,3]", line(x.logSoftmax(-1)));
    assertEquals("reduce_max_1 = reduce_max{axes=[1], keep_dims=true}(x) : f32[N,1,3]", line(x.max(true, 1)));
    assertEquals("concat_1 = concat{axis=1}(x, x) : f32[N,4,3]", line(x.concat(1, x)));
    assertEquals("matmul_1 = matmul{transpose_a=true}(x, x) : f32[N,3,3]", line(x.matmul(x, true, false)));
    assertEquals("matmul_2 = matmul{transpose_a=true, transpose_b=true}(x, transpose_2) : f32[N,3,3]",
        line(x.matmul(x.transpose(), true, true)));
    Tensor logits = x.reshape(BATCH, 6);
    assertEquals("softmax_cross_entropy_1 = softmax_cross_entropy{reduction=none}(reshape_2, labels) : f32[N]",
        line(b.add(new Op.SoftmaxCrossEntropy(Op.Reduction.NONE), logits, labels)));
    assertEquals("random_uniform_1 = random_uniform{seed=3, key=-4, dtype=f64}(x, labels_sum) : f64[N,2,3]",
        line(b.add(new Op.RandomUniform(3, -4, F64), x, labels.sum().named("labels_sum"))));
    assertEquals("he = parameter{init=he_normal(gain=1.4142135623730951, mode=fan_in), key=1} : f64[3]",
        line(b.parameter("he", F64, Initializer.heNormal(), 3)));
    assertEquals("s = state{init=uniform(low=-1.0E-5, high=Infinity)} : f32[2]",
        line(b.state("s", F32, Shape.of(2), new Initializer.Uniform(-1e-5, Double.POSITIVE_INFINITY))));
  }

  @Test
  void printsF32ConstantsAtFloatPrecisionAndIntegersWithoutFraction() {
    GraphBuilder b = new GraphBuilder("g");
    assertEquals("constant_1 = constant{value=[0.1, -0.0, NaN]} : f32[3]",
        line(b.constant(F32, new int[] {3}, 0.1, -0.0, Double.NaN)));
    assertEquals("constant_2 = constant{value=[[-3], [9007199254740992]]} : i64[2,1]",
        line(b.constant(I64, new int[] {2, 1}, -3, 9007199254740992.0)));
    assertEquals("constant_3 = constant{value=true} : bool[]", line(b.scalar(DType.BOOL, 5)));
    assertEquals("constant_4 = constant{value=[[], []]} : f64[2,0]", line(b.constant(F64, new int[] {2, 0})));
  }

  @Test
  void quotesNamesThatAreNotWords() {
    GraphBuilder b = new GraphBuilder("my model");
    Tensor x = b.input("x", F32, 2);
    Tensor y = b.customVjp("clip \"hard\"", List.of(x), in -> in.get(0).relu(), OpCatalog.CLIP);
    String text = GraphPrinter.print(b.build(y));
    assertTrue(text.startsWith("graph \"my model\" {\n"), text);
    assertTrue(text.contains("custom_vjp_1 = custom_vjp{name=\"clip \\\"hard\\\"\"}(relu_1, x) : f32[2]\n"), text);
  }

  private static String line(Tensor t) {
    return GraphPrinter.printNode(t.node());
  }
}
