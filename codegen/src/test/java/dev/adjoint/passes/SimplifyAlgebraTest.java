package dev.adjoint.passes;

import static dev.adjoint.ir.DType.BOOL;
import static dev.adjoint.ir.DType.F64;
import static dev.adjoint.ir.DType.I64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.text.GraphPrinter;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SimplifyAlgebraTest {
  private final Pass pass = new SimplifyAlgebra();

  /** Simplify, then drop what it left unused. */
  private Graph simplified(Graph g) {
    return new EliminateDeadNodes().run(pass.run(g));
  }

  /** An identity applied to x, and whether it disappears. */
  static Stream<Arguments> identities() {
    return Stream.of(
        Arguments.of("x*1", (Function<Tensor, Tensor>) x -> x.times(1)),
        Arguments.of("1*x", (Function<Tensor, Tensor>) x -> x.scalarLike(1).times(x)),
        Arguments.of("x+0", (Function<Tensor, Tensor>) x -> x.plus(0)),
        Arguments.of("0+x", (Function<Tensor, Tensor>) x -> x.scalarLike(0).plus(x)),
        Arguments.of("x+(-0)", (Function<Tensor, Tensor>) x -> x.plus(-0.0)),
        Arguments.of("x-0", (Function<Tensor, Tensor>) x -> x.minus(0)),
        Arguments.of("x/1", (Function<Tensor, Tensor>) x -> x.div(1)),
        Arguments.of("x^1", (Function<Tensor, Tensor>) x -> x.pow(1)),
        Arguments.of("-(-x)", (Function<Tensor, Tensor>) x -> x.unaryMinus().unaryMinus()),
        Arguments.of("x*[1,1,1]", (Function<Tensor, Tensor>) x ->
            x.times(x.builder().constant(F64, new int[] {3}, 1, 1, 1))),
        Arguments.of("transpose twice", (Function<Tensor, Tensor>) x -> x.transpose(0, 2, 1).transpose(0, 2, 1)),
        Arguments.of("identity transpose", (Function<Tensor, Tensor>) x -> x.transpose(0, 1, 2)),
        Arguments.of("reshape to itself", (Function<Tensor, Tensor>) x -> x.reshape(x.shape())),
        Arguments.of("reshape and back", (Function<Tensor, Tensor>) x -> x.reshape(Shape.BATCH, 6).reshape(x.shape())),
        Arguments.of("broadcast to itself", (Function<Tensor, Tensor>) x ->
            x.builder().add(new Op.Broadcast(x.shape()), x)),
        Arguments.of("cast to itself", (Function<Tensor, Tensor>) x -> x.cast(F64)),
        Arguments.of("select(true)", (Function<Tensor, Tensor>) x ->
            x.builder().constant(BOOL, new int[] {2, 1}, 1, 1).select(x, x.exp())),
        Arguments.of("select(false)", (Function<Tensor, Tensor>) x ->
            x.builder().scalar(BOOL, 0).select(x.exp(), x)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("identities")
  void identitiesLeaveTheirOperand(String name, Function<Tensor, Tensor> identity) {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, Shape.BATCH, 2, 3);
    Graph g = b.build(identity.apply(x).tanh());
    Graph h = simplified(g);
    assertEquals(List.of("input", "tanh"), Semantics.ops(h), GraphPrinter.print(h));
    assertSame(h.node("x"), h.output(0).input(0));
    Semantics.assertSameOutputs(g, h, Semantics.randomFeeds(g, 1, 2, Map.of()));
  }

  /** Operations on x : f64[2,3] that look like identities but change the type or the values. */
  static Stream<Arguments> lookalikes() {
    return Stream.of(
        Arguments.of("x+0 broadcasting x", (Function<Tensor, Tensor>) x ->
            x.plus(x.builder().constant(NDArray.zeros(F64, Shape.of(2, 1, 1))))),
        Arguments.of("x*[1,1] broadcasting x", (Function<Tensor, Tensor>) x ->
            x.reshape(2, 3, 1).times(x.builder().constant(F64, new int[] {2}, 1, 1))),
        Arguments.of("x^1 broadcasting x", (Function<Tensor, Tensor>) x ->
            x.pow(x.builder().constant(NDArray.filled(F64, Shape.of(2, 1, 1), 1)))),
        Arguments.of("select(true) broadcasting", (Function<Tensor, Tensor>) x ->
            x.builder().constant(BOOL, new int[] {2, 1, 1}, 1, 1).select(x, x.exp())),
        Arguments.of("0-x", (Function<Tensor, Tensor>) x -> x.scalarLike(0).minus(x)),
        Arguments.of("x-(-0)", (Function<Tensor, Tensor>) x -> x.minus(-0.0)),
        Arguments.of("1/x", (Function<Tensor, Tensor>) x -> x.scalarLike(1).div(x)),
        Arguments.of("x*[1,2,1]", (Function<Tensor, Tensor>) x ->
            x.times(x.builder().constant(F64, new int[] {3}, 1, 2, 1))),
        Arguments.of("-(abs x)", (Function<Tensor, Tensor>) x -> x.abs().unaryMinus()),
        Arguments.of("a real transpose", (Function<Tensor, Tensor>) x -> x.transpose(1, 0)),
        Arguments.of("a real reshape", (Function<Tensor, Tensor>) x -> x.reshape(6)),
        Arguments.of("a real broadcast", (Function<Tensor, Tensor>) x -> x.broadcastTo(4, 2, 3)),
        Arguments.of("select(mixed)", (Function<Tensor, Tensor>) x ->
            x.builder().constant(BOOL, new int[] {3}, 1, 0, 1).select(x, x.exp())),
        Arguments.of("cast to i64 and back", (Function<Tensor, Tensor>) x -> x.cast(I64).cast(F64)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lookalikes")
  void lookalikesStay(String name, Function<Tensor, Tensor> lookalike) {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 3);
    Graph g = b.build(lookalike.apply(x));
    assertSame(g, pass.run(g), GraphPrinter.print(g));
  }

  /** The one inexact rewrite: −0 + 0 is +0, but simplified it stays −0; the two compare equal. */
  @Test
  void addingZeroKeepsTheSignOfAZero() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Graph g = b.build(x.plus(0));
    Map<String, NDArray> feeds = Map.of("x", NDArray.of(F64, new int[] {2}, -0.0, 0.0));
    NDArray before = ReferenceInterpreter.run(g, feeds).getFirst();
    NDArray after = ReferenceInterpreter.run(simplified(g), feeds).getFirst();
    assertEquals(0.0, before.get(0));
    assertEquals(-0.0, after.get(0));
    assertTrue(before.get(0) == after.get(0));
  }

  @Test
  void transposesComposeIntoOne() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 3, 4);
    Graph g = b.build(x.transpose(1, 2, 0).transpose(0, 2, 1).transpose(2, 0, 1));
    Graph h = simplified(g);
    assertEquals(
        """
        graph g {
          x = input : f64[2,3,4]
          transpose_3 = transpose{permutation=[2, 1, 0]}(x) : f64[4,3,2]
          return transpose_3
        }
        """,
        GraphPrinter.print(h));
    Semantics.assertSameOutputs(g, h, Semantics.randomFeeds(g, 2));
  }

  @Test
  void reshapesComposeIntoOne() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, Shape.BATCH, 2, 3);
    Graph g = b.build(x.reshape(Shape.BATCH, 6).reshape(Shape.BATCH, 3, 2, 1).reshape(Shape.BATCH, 3, 2));
    Graph h = simplified(g);
    assertEquals(
        """
        graph g {
          x = input : f64[N,2,3]
          reshape_3 = reshape{shape=[N,3,2]}(x) : f64[N,3,2]
          return reshape_3
        }
        """,
        GraphPrinter.print(h));
    Semantics.assertSameOutputs(g, h, Semantics.randomFeeds(g, 3));
  }

  @Test
  void aSimplifiedOutputIsReplacedByItsOperand() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2);
    Graph g = b.build(x.times(1), x.exp().plus(0));
    Graph h = simplified(g);
    assertEquals(List.of(h.node("x"), h.node("exp_1")), h.outputs());
  }

  @Test
  void aGraphWithoutIdentitiesIsReturnedAsItIs() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("x", F64, 2, 3);
    Graph g = b.build(x.times(2).plus(1).transpose().reshape(6).sum());
    assertSame(g, pass.run(g));
  }
}
