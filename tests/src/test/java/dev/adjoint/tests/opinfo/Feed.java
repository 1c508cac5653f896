package dev.adjoint.tests.opinfo;

import dev.adjoint.ir.NDArray;
import java.util.Map;
import java.util.Random;

/** The feeds of one try: reproducible from the row, the try number and the seed in the message. */
record Feed(OpCase opCase, int attempt, long seed, int batch, Map<String, NDArray> values) {
  static Feed draw(OpCase c, int attempt) {
    long seed = c.row().name().hashCode() * 1_000_003L + attempt;
    Random rng = new Random(seed);
    int batch = 1 + rng.nextInt(3);
    return new Feed(c, attempt, seed, batch, c.feeds(rng, batch));
  }

  @Override
  public String toString() {
    return opCase + ", try " + attempt + " (seed " + seed + ", N = " + batch + ", feeds " + values + ")";
  }
}
