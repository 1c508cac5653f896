package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.runtime.VectorSupport;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code x·w + b} compiles to one fused multiply-add per element, rounded once: each F32 result is
 * exactly {@code Math.fma(x, w, b)}, in vector code and in scalar code, for lengths with and
 * without a scalar tail.
 */
class MultiplyAddTest {

  @Test
  void aProductPlusAnAddendIsOneRoundedMultiplyAdd() {
    for (int length : new int[] {1, 15, 16, 37, 1000}) {
      GraphBuilder builder = new GraphBuilder("affine");
      Tensor x = builder.input("x", DType.F32, Shape.BATCH, length);
      Tensor w = builder.input("w", DType.F32, length);
      Tensor b = builder.input("b", DType.F32, Shape.BATCH, length);
      Graph graph = builder.build(b.plus(x.times(w)));
      int batch = 3;
      NDArray xs = NDArray.generate(DType.F32, Shape.of(batch, length), i -> Math.sin(1.7 * i) * 3);
      NDArray ws = NDArray.generate(DType.F32, Shape.of(length), i -> Math.cos(0.3 * i) / 7);
      NDArray bs = NDArray.generate(DType.F32, Shape.of(batch, length), i -> 1e-3 * i);
      Map<String, NDArray> feeds = Map.of("x", xs, "w", ws, "b", bs);
      for (boolean vector : VectorSupport.enabled() ? List.of(true, false) : List.of(false)) {
        CompiledProgram program = Compiler.jvm(o -> o.vectorize(vector)).compile(graph);
        String listing = program.bytecodeListing();
        assertTrue(listing.contains(vector ? "FloatVector.fma" : "java/lang/Math.fma (FFF)F"), listing);
        NDArray y = program.run(feeds).getFirst();
        for (int i = 0; i < batch * length; i++) {
          float expected = Math.fma((float) xs.get(i), (float) ws.get(i % length), (float) bs.get(i));
          assertEquals(expected, (float) y.get(i), 0f, "element " + i + " of length " + length + ", vector " + vector);
        }
      }
      if (length == 1000) {
        int roundedTwice = 0;
        for (int i = 0; i < batch * length; i++) {
          float product = (float) xs.get(i) * (float) ws.get(i % length);
          roundedTwice += product + (float) bs.get(i)
              != Math.fma((float) xs.get(i), (float) ws.get(i % length), (float) bs.get(i)) ? 1 : 0;
        }
        assertTrue(roundedTwice > 0, "the inputs tell one rounding from two");
      }
    }
  }
}
