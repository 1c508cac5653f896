package dev.adjoint.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.adjoint.data.Dataset.Normalization;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import org.junit.jupiter.api.Test;

/**
 * The real MNIST, only where it is in the cache already (run {@code Mnist.train()} once, or put the
 * files there): unit tests never use the network, so elsewhere this test is skipped.
 */
class MnistTest {
  @Test
  void theCachedDatasetIsMnist() {
    assumeTrue(Mnist.isCached(Mnist.directory()), "MNIST is not in " + Mnist.directory() + "; skipped (no network in unit tests)");
    Dataset train = Mnist.train();
    Dataset test = Mnist.test();
    assertEquals(60_000, train.size());
    assertEquals(10_000, test.size());
    assertEquals(Shape.of(1, 28, 28), train.imageShape());
    // Well-known facts of MNIST: the first training digit is a 5, the first test digit a 7, and the
    // training set has 5923 zeros ... 5949 nines.
    assertEquals(5, train.label(0));
    assertEquals(7, test.label(0));
    assertArrayEquals(new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, train.classCounts());
    assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, test.classCounts());

    // The mean pixel of the training set is the 0.1307 of the usual normalization.
    NDArray head = train.head(60_000 / 10).images();
    double sum = 0;
    for (int i = 0; i < head.size(); i++) {
      sum += head.get(i);
    }
    assertEquals(0.1307, sum / head.size(), 0.005);

    NDArray normalized = train.normalized(Normalization.MNIST).balanced(10).images();
    assertEquals(Shape.of(100, 1, 28, 28), normalized.shape());
    assertTrue(normalized.get(0) < 0, "a background pixel normalizes below zero");
  }
}
