package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The conv2d rows' reference (im2col patches multiplied by Commons Math) against convolution
 * written as direct loops over the zero-padded input, on every sample of every conv2d row: two
 * independent readings of the definition must agree before either is trusted as an oracle.
 */
class ConvolutionReferenceTest {
  private static final int FEEDS_PER_SAMPLE = 3;

  @TestFactory
  Stream<DynamicTest> im2colProductsMatchDirectLoops() {
    return OpInfos.all().stream()
        .flatMap(row -> OpCase.all(row, DType.F64).stream())
        .filter(c -> c.subject().op() instanceof Op.Conv2d)
        .map(c -> dynamicTest(c.toString(), () -> {
          Op.Conv2d conv = (Op.Conv2d) c.subject().op();
          for (int k = 0; k < FEEDS_PER_SAMPLE; k++) {
            Map<String, NDArray> feeds = c.feeds(new Random(k), 1 + k);
            List<NDArray> xs = c.operandValues(feeds);
            NDArray w = xs.get(1);
            ReferenceMath.Window window = ReferenceMath.Window.of(
                List.of(w.shape().dim(2), w.shape().dim(3)), conv.strides(), conv.padding(), conv.dilations());
            NDArray direct = ReferenceMath.conv2d(xs.get(0), w, window, conv.groups());
            NDArray im2col = ReferenceMath.conv2dIm2col(xs.get(0), w, window, conv.groups());
            assertEquals(direct.shape(), im2col.shape());
            for (int i = 0; i < direct.size(); i++) {
              assertEquals(direct.get(i), im2col.get(i), 1e-12, c + ", element " + i);
            }
          }
        }));
  }
}
