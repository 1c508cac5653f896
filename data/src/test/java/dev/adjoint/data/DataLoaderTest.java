package dev.adjoint.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.NDArray;
import dev.adjoint.runtime.Philox;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
  static Dataset dataset(int n) {
    byte[] labels = Fixtures.labels(n, 10);
    return Dataset.of(Fixtures.images(n, 2, 2), labels, 1, 2, 2, 10);
  }

  @Test
  void inOrderBatchesKeepTheLastPartialBatch() {
    DataLoader loader = new DataLoader(dataset(10), 4);
    assertEquals(3, loader.batchesPerEpoch());
    List<Batch> batches = loader.epoch(0);
    assertEquals(List.of(4, 4, 2), batches.stream().map(Batch::size).toList());
    assertArrayEquals(new int[] {8, 9}, batches.get(2).rows());
    assertEquals(2, batches.get(2).images().shape().dim(0));
    assertEquals(2, batches.get(2).labels().size());
    assertFalse(loader.isShuffled());
  }

  @Test
  void dropLastDropsOnlyAPartialBatch() {
    assertEquals(2, new DataLoader(dataset(10), 4).dropLast(true).batchesPerEpoch());
    assertEquals(List.of(4, 4), new DataLoader(dataset(10), 4).dropLast(true).epoch(3).stream().map(Batch::size).toList());
    assertEquals(2, new DataLoader(dataset(8), 4).dropLast(true).batchesPerEpoch());
    assertEquals(2, new DataLoader(dataset(8), 4).batchesPerEpoch());
    assertEquals(0, new DataLoader(dataset(3), 4).dropLast(true).batchesPerEpoch());
    assertEquals(1, new DataLoader(dataset(3), 4).batchesPerEpoch());
    AdjointException e = assertThrows(AdjointException.class, () -> new DataLoader(dataset(3), 4).dropLast(true).batchAtStep(0));
    assertTrue(e.getMessage().contains("no full batch"), e.getMessage());
  }

  @Test
  void batchesHoldTheImagesAndLabelsOfTheirRows() {
    Dataset d = dataset(9);
    DataLoader loader = new DataLoader(d, 4).shuffled(7);
    for (Batch b : loader.epoch(2)) {
      NDArray images = b.images();
      NDArray labels = b.labels();
      int[] rows = b.rows();
      for (int k = 0; k < rows.length; k++) {
        assertEquals(d.label(rows[k]), labels.get(k));
        for (int y = 0; y < 2; y++) {
          for (int x = 0; x < 2; x++) {
            assertEquals((float) (Fixtures.pixel(rows[k], y, x) / 255.0), images.at(k, 0, y, x));
          }
        }
      }
    }
  }

  @Test
  void shufflingIsReproducibleAndDiffersBetweenEpochsAndSeeds() {
    DataLoader a = new DataLoader(dataset(50), 8).shuffled(42);
    DataLoader b = new DataLoader(dataset(50), 8).shuffled(42);
    assertArrayEquals(a.order(3), b.order(3));
    assertFalse(Arrays.equals(a.order(3), a.order(4)));
    assertFalse(Arrays.equals(a.order(3), new DataLoader(dataset(50), 8).shuffled(43).order(3)));
    int[] sorted = a.order(3).clone();
    Arrays.sort(sorted);
    int[] identity = new int[50];
    Arrays.setAll(identity, i -> i);
    assertArrayEquals(identity, sorted, "an epoch visits every example once");
  }

  /** The documented algorithm, written here from its description in the class comment. */
  @Test
  void theShuffleIsTheDocumentedFisherYates() {
    long seed = -123456789L;
    long epoch = 5;
    int n = 37;
    int[] expected = new int[n];
    Arrays.setAll(expected, i -> i);
    BigInteger twoTo32 = BigInteger.ONE.shiftLeft(32);
    for (int i = n - 1; i > 0; i--) {
      BigInteger high = BigInteger.valueOf(Integer.toUnsignedLong(Philox.bits(seed, epoch, DataLoader.SHUFFLE_KEY, 2L * i)));
      BigInteger low = BigInteger.valueOf(Integer.toUnsignedLong(Philox.bits(seed, epoch, DataLoader.SHUFFLE_KEY, 2L * i + 1)));
      BigInteger r = high.multiply(twoTo32).add(low);
      int j = r.multiply(BigInteger.valueOf(i + 1)).shiftRight(64).intValueExact();
      int t = expected[i];
      expected[i] = expected[j];
      expected[j] = t;
    }
    assertArrayEquals(expected, new DataLoader(dataset(n), 4).shuffled(seed).order(epoch));
  }

  /** Over many epochs every example lands in every position about equally often. */
  @Test
  void everyPositionIsEquallyLikely() {
    int n = 6;
    int epochs = 6000;
    DataLoader loader = new DataLoader(dataset(n), n).shuffled(2024);
    int[][] counts = new int[n][n];
    for (int e = 0; e < epochs; e++) {
      int[] order = loader.order(e);
      for (int p = 0; p < n; p++) {
        counts[order[p]][p]++;
      }
    }
    double expected = (double) epochs / n;
    double chiSquare = 0;
    for (int[] row : counts) {
      for (int c : row) {
        chiSquare += (c - expected) * (c - expected) / expected;
      }
    }
    // 25 degrees of freedom ((n-1)²); the 99.99th percentile of χ²(25) is about 59.
    assertTrue(chiSquare < 59, "χ² = " + chiSquare);
  }

  @Test
  void batchAtStepResumesTheSameSequence() {
    DataLoader loader = new DataLoader(dataset(10), 3).shuffled(1);
    int perEpoch = loader.batchesPerEpoch();
    assertEquals(4, perEpoch);
    for (long epoch = 0; epoch < 3; epoch++) {
      List<Batch> batches = loader.epoch(epoch);
      for (int i = 0; i < perEpoch; i++) {
        Batch resumed = new DataLoader(dataset(10), 3).shuffled(1).batchAtStep(epoch * perEpoch + i);
        assertArrayEquals(batches.get(i).rows(), resumed.rows());
        assertEquals(epoch, resumed.epoch());
        assertEquals(i, resumed.index());
      }
    }
    assertThrows(AdjointException.class, () -> loader.batchAtStep(-1));
    assertThrows(AdjointException.class, () -> loader.batch(0, perEpoch));
    assertThrows(AdjointException.class, () -> new DataLoader(dataset(3), 0));
  }
}
