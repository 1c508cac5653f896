package dev.adjoint.text;

import static dev.adjoint.ir.DType.F32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Initializer.FanMode;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.ShapeException;
import dev.adjoint.ir.ShapeRules;
import dev.adjoint.ir.TensorType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GraphParserTest {

  // ---- what the parser accepts ----

  @Test
  void ignoresCommentsBlankLinesAndSpacing() {
    String text =
        """
        # a two-layer model
        graph   tiny{
          x=input:f32[N,3]   # the features

          w = parameter { init = he_uniform( mode = fan_out , gain = 2.0 ) , key = 7 } : f32 [ 3 , 2 ]
          y = matmul ( x , w ) : f32[N,2]
          return y
        }
        # trailing comment""";
    GraphBuilder b = new GraphBuilder("tiny");
    Tensor x = b.input("x", F32, -1, 3);
    Tensor w = b.add(new Op.Parameter(TensorType.of(F32, 3, 2), new Initializer.HeUniform(2.0, FanMode.FAN_OUT), 7))
        .named("w");
    Graph expected = b.build(x.matmul(w).named("y"));
    RoundTrip.assertSameGraph(expected, GraphParser.parse(text));
  }

  @Test
  void acceptsWindowsLineEndingsAndTabs() {
    String text = "graph g {\r\n\tx = input : f64[2]\r\n\treturn x\r\n}\r\n";
    Graph g = GraphParser.parse(text);
    assertEquals(TensorType.of(DType.F64, 2), g.node("x").type());
  }

  @Test
  void aNodeMayBeNamedLikeAKeyword() {
    Graph g = GraphParser.parse("graph graph {\n  return = input : f32[]\n  N = neg(return) : f32[]\n  return N, return\n}\n");
    assertEquals(List.of("N", "return"), g.outputs().stream().map(Node::name).toList());
    assertEquals("graph", g.name());
  }

  @Test
  void nodeNamesMayUseEveryCharacterNodesAllow() {
    GraphBuilder b = new GraphBuilder("g");
    Tensor x = b.input("_block.1/conv-a/w", F32, 2);
    RoundTrip.check(b.build(x.relu().named("Relu.out/2-b")));
  }

  @Test
  void resolvesCustomVjpRulesByName() {
    String text = "graph g {\n  x = input : f32[2]\n  y = custom_vjp{name=clip}(x, x) : f32[2]\n  return y\n}\n";
    Graph g = GraphParser.parse(text, Map.of("clip", OpCatalog.CLIP));
    assertSame(OpCatalog.CLIP, ((Op.CustomVjp) g.node("y").op()).rule());
  }

  // ---- errors: each names line, column and reason, shows the line and a caret ----

  @Test
  void unknownOp() {
    assertError("""
        graph g {
          x = input : f32[2]
          y = relux(x) : f32[2]
          return y
        }
        """, 3, 7, "unknown op 'relux' (did you mean 'relu'?)");
    assertError("""
        graph g {
          y = frobnicate : f32[2]
          return y
        }
        """, 2, 7, "unknown op 'frobnicate'");
  }

  @Test
  void operandUsedBeforeItIsDefined() {
    assertError("""
        graph g {
          x = input : f32[2]
          y = add(x, z) : f32[2]
          z = neg(x) : f32[2]
          return y
        }
        """, 3, 14, "unknown node 'z': a node must be defined on a line before it is used");
    assertError("""
        graph g {
          x = input : f32[2]
          return x, out
        }
        """, 3, 13, "unknown node 'out': a node must be defined on a line before it is used");
  }

  @Test
  void duplicateNodeName() {
    assertError("""
        graph g {
          x = input : f32[2]
          y = neg(x) : f32[2]
          x = input : f32[3]
          return y
        }
        """, 4, 3, "duplicate node name 'x' (first defined on line 2)");
  }

  @Test
  void badNumbers() {
    assertError("""
        graph g {
          c = constant{value=[1.2.3]} : f64[1]
          return c
        }
        """, 2, 23, "bad number '1.2.3'");
    assertError("""
        graph g {
          x = input : f32[2, 3x]
          return x
        }
        """, 2, 22, "bad number '3x'");
    assertError("""
        graph g {
          x = input : f32[2,3]
          y = softmax{axis=1.5}(x) : f32[2,3]
          return y
        }
        """, 3, 20, "attribute 'axis' of op 'softmax' must be an integer, found '1.5'");
    assertError("""
        graph g {
          x = input : f32[2,3]
          y = concat{axis=99999999999}(x) : f32[2,3]
          return y
        }
        """, 3, 19, "attribute 'axis' of op 'concat' is out of range: 99999999999");
    assertError("""
        graph g {
          w = parameter{init=normal(mean=0.0, std=x), key=99999999999999999999} : f32[2]
          return w
        }
        """, 2, 43, "attribute 'std' of initializer 'normal' must be a number, found 'x'");
    assertError("""
        graph g {
          w = parameter{init=normal(mean=0.0, std=1.0), key=99999999999999999999} : f32[2]
          return w
        }
        """, 2, 53, "attribute 'key' of op 'parameter' is out of range: 99999999999999999999");
    assertError("""
        graph g {
          c = constant{value=[1, 2.5]} : i32[2]
          return c
        }
        """, 2, 26, "constant element (i32) must be an integer, found '2.5'");
  }

  @Test
  void badDType() {
    assertError("""
        graph g {
          x = input : f16[2]
          return x
        }
        """, 2, 15, "the dtype of node 'x' must be f32, f64, i32, i64 or bool, found 'f16'");
    assertError("""
        graph g {
          x = input : f32[2]
          y = cast{to=float}(x) : f32[2]
          return y
        }
        """, 3, 15, "attribute 'to' of op 'cast' must be f32, f64, i32, i64 or bool, found 'float'");
  }

  @Test
  void wrongOrMissingAttribute() {
    assertError("""
        graph g {
          x = input : f32[2,3]
          y = reduce_sum{axes=[1], keepdims=false}(x) : f32[2]
          return y
        }
        """, 3, 28, "op 'reduce_sum' has no attribute 'keepdims' (did you mean 'keep_dims'?)");
    assertError("""
        graph g {
          x = input : f32[2,3]
          y = softmax{axis=1, temperature=2.0}(x) : f32[2,3]
          return y
        }
        """, 3, 23, "op 'softmax' has no attribute 'temperature' (expected axis)");
    assertError("""
        graph g {
          x = input : f32[2,3]
          y = relu{axis=1}(x) : f32[2,3]
          return y
        }
        """, 3, 12, "op 'relu' has no attribute 'axis' (it takes none)");
    assertError("""
        graph g {
          x = input : f32[2,3]
          y = softmax(x) : f32[2,3]
          return y
        }
        """, 3, 7, "op 'softmax' is missing attribute 'axis'");
    assertError("""
        graph g {
          x = input : f32[2,3]
          y = softmax{axis=0, axis=1}(x) : f32[2,3]
          return y
        }
        """, 3, 23, "attribute 'axis' is given twice");
    assertError("""
        graph g {
          w = parameter{init=glorot(gain=1.0), key=1} : f32[2]
          return w
        }
        """, 2, 22, "unknown initializer 'glorot' (known: constant, he_normal, he_uniform, normal, orthogonal, "
            + "truncated_normal, uniform, xavier_normal, xavier_uniform)");
    assertError("""
        graph g {
          w = parameter{init=he_normal(gain=1.0), key=1} : f32[2]
          return w
        }
        """, 2, 22, "initializer 'he_normal' is missing attribute 'mode'");
    assertError("""
        graph g {
          x = input : f32[2,3]
          y = softmax_cross_entropy{reduction=avg}(x, x) : f32[]
          return y
        }
        """, 3, 39, "attribute 'reduction' of op 'softmax_cross_entropy' must be one of mean, sum, none, found 'avg'");
  }

  @Test
  void typeAnnotationDisagreesWithInferredType() {
    assertError("""
        graph g {
          x = input : f32[N,784]
          w = parameter{init=xavier_uniform(gain=1.0), key=1} : f32[784,128]
          h = matmul(x, w) : f32[N,10]
          return h
        }
        """, 4, 22, "node 'h' (matmul) is written as f32[N,10] but its inferred type is f32[N,128]");
  }

  @Test
  void shapeRuleErrorKeepsTheRuleMessage() {
    String text = """
        graph g {
          x = input : f32[N,784]
          w = input : f32[100,128]
          h = matmul(x, w) : f32[N,128]
          return h
        }
        """;
    ShapeException direct = assertThrows(ShapeException.class, () -> ShapeRules.infer(
        "h", new Op.MatMul(), List.of(TensorType.of(F32, -1, 784), TensorType.of(F32, 100, 128))));
    IrSyntaxException e = assertError(text, 4, 7, direct.getMessage());
    assertInstanceOf(ShapeException.class, e.getCause());
  }

  @Test
  void anyErrorOfTheShapeRulesGetsAPosition() {
    // The concatenated length overflows an int; whatever the rule throws, the parser positions it.
    IrSyntaxException e = assertThrows(IrSyntaxException.class, () -> GraphParser.parse("""
        graph g {
          x = input : f32[2147483647]
          y = concat{axis=0}(x, x) : f32[1]
          return y
        }
        """));
    assertEquals(3, e.line());
    assertEquals(7, e.column());
    assertEquals(e.getCause().getMessage(), e.reason());
  }

  @Test
  void missingReturn() {
    assertError("""
        graph g {
          x = input : f32[2]
        }
        """, 3, 1, "expected 'return' and the graph's outputs before '}'");
  }

  @Test
  void truncatedInput() {
    assertError("graph g {\n  x = input : f32[2", 2, 20, "expected ',' or ']' to close the list, found end of input");
    assertError("graph g {\n  x = input : f32[2]\n  y = add(x,\n", 3, 13, "expected a node name, found end of input");
    assertError("graph g {\n  x = input : f32[2]\n  return x\n", 3, 11,
        "expected ',' or '}' after output 'x', found end of input");
    assertError("graph g {\n  x = input : f32[2]\n", 2, 21, "expected a node or 'return', found end of input");
    assertError("", 1, 1, "expected 'graph' at the start of the text, found end of input");
    assertError("graph g {\n  c = constant{value=\"abc\n  return c\n}\n", 2, 22, "unterminated string");
  }

  @Test
  void otherSyntaxErrors() {
    assertError("""
        graph g {
          x = input : f32[2]
          y = add(x x) : f32[2]
          return y
        }
        """, 3, 13, "expected ',' or ')' after operand 'x', found 'x'");
    assertError("""
        graph g {
          x = input : f32[2]
          y = relu x : f32[2]
          return y
        }
        """, 3, 12, "expected '{', '(' or ':' after op 'relu', found 'x'");
    assertError("""
        graph g {
          x = input : f32[2] @
          return x
        }
        """, 2, 22, "unexpected character '@'");
    assertError("""
        graph g {
          x = input : f32[3,N]
          return x
        }
        """, 2, 21, "in the shape of node 'x', only dimension 0 may be the symbolic batch N");
    assertError("""
        graph g {
          c = constant{value=[1.0, 2.0]} : f64[3]
          return c
        }
        """, 2, 22, "constant of type f64[3] needs 3 entries on axis 0, found 2");
    assertError("""
        graph g {
          x = input : f32[2]
          return x
        }
        x
        """, 5, 1, "expected end of input after the graph's closing '}', found 'x'");
    assertError("""
        graph g {
          x = input : f32[2]
          y = custom_vjp{name=clip}(x, x) : f32[2]
          return y
        }
        """, 3, 23, "unknown custom_vjp rule clip (the parser was given no rules)");
  }

  @Test
  void everyCutOfAGraphBeforeItsClosingBraceIsASyntaxError() {
    for (OpCatalog.Case c : OpCatalog.cases()) {
      String text = GraphPrinter.print(c.graph());
      for (int end = 0; end < text.lastIndexOf('}'); end++) {
        String cut = text.substring(0, end);
        assertThrows(IrSyntaxException.class, () -> GraphParser.parse(cut, OpCatalog.RULES), () -> c + ": " + cut);
      }
    }
  }

  @Test
  void deeplyNestedValuesAreASyntaxErrorNotAStackOverflow() {
    String text = "graph g {\n  c = constant{value=" + "[".repeat(100_000) + "1.0" + "]".repeat(100_000) + "} : f64[1]\n  return c\n}\n";
    IrSyntaxException e = assertThrows(IrSyntaxException.class, () -> GraphParser.parse(text));
    assertEquals("values nest more than 256 levels deep", e.reason());
    assertEquals(2, e.line());
    assertEquals(21 + 257, e.column()); // at the 257th '['
  }

  @Test
  void caretFollowsTabs() {
    IrSyntaxException e = assertThrows(IrSyntaxException.class,
        () -> GraphParser.parse("graph g {\n\tx =\tinput : f32[2]\n\ty = frobnicate : f32[2]\n}\n"));
    assertEquals("line 3, column 6: unknown op 'frobnicate'\n\ty = frobnicate : f32[2]\n\t    ^", e.getMessage());
  }

  /** Parses {@code text}, expecting an error at {@code line}:{@code column} for {@code reason}. */
  private static IrSyntaxException assertError(String text, int line, int column, String reason) {
    IrSyntaxException e = assertThrows(IrSyntaxException.class, () -> GraphParser.parse(text));
    assertEquals(reason, e.reason());
    assertEquals(line, e.line(), "line");
    assertEquals(column, e.column(), "column");
    String sourceLine = (text + "\n").split("\n", -1)[line - 1];
    assertEquals("line " + line + ", column " + column + ": " + reason + "\n" + sourceLine + "\n"
        + " ".repeat(column - 1) + "^", e.getMessage());
    return e;
  }
}
