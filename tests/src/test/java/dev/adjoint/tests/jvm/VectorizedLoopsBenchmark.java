package dev.adjoint.tests.jvm;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Shape;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.jvm.Session;
import dev.adjoint.runtime.parallel.Parallel;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * Times generated elementwise and row kernels with vector code against the scalar code, side by
 * side in one run: {@code relu(x·a + b)}, {@code exp(x)} and a row softmax over rows of 1000, in
 * F32, on 1 and 2 threads, with arrays that fit in L2 and arrays far larger. Prints GB/s (bytes
 * read and written once) per variant; a program, not a timed test:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... dev.adjoint.tests.jvm.VectorizedLoopsBenchmark
 * </pre>
 */
public final class VectorizedLoopsBenchmark {
  private static final int ROW = 1000;

  private VectorizedLoopsBenchmark() {}

  private record Kernel(String name, Function<Integer, Graph> graph, int arrays) {}

  public static void main(String[] args) {
    Kernel[] kernels = {
      new Kernel("relu(x*a+b)", VectorizedLoopsBenchmark::affineRelu, 4),
      new Kernel("exp(x)", rows -> unary(rows, Tensor::exp), 2),
      new Kernel("softmax rows", rows -> unary(rows, x -> x.softmax(1)), 2),
    };
    System.out.println("| kernel | elements | threads | scalar GB/s | vector GB/s | speed-up |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (int elements : new int[] {64_000, 16_000_000}) { // 256 KB per F32 array (in L2), 64 MB (beyond)
      int rows = elements / ROW;
      for (Kernel k : kernels) {
        Graph graph = k.graph().apply(rows);
        Session scalar = session(graph, false, rows);
        Session vector = session(graph, true, rows);
        for (int threads : new int[] {1, 2}) {
          Parallel.setThreads(threads);
          double bytes = (double) k.arrays() * elements * Float.BYTES;
          double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
          for (int round = 0; round < 5; round++) { // alternate the variants, keep each one's best
            best[0] = Math.min(best[0], secondsPerRun(scalar, elements));
            best[1] = Math.min(best[1], secondsPerRun(vector, elements));
          }
          System.out.printf(Locale.ROOT, "| %s | %,d | %d | %.1f | %.1f | %.2f× |%n", k.name(), elements, threads,
              bytes / best[0] / 1e9, bytes / best[1] / 1e9, best[0] / best[1]);
        }
      }
    }
  }

  private static Graph affineRelu(int rows) {
    GraphBuilder b = new GraphBuilder("affine_relu");
    Tensor x = b.input("x", DType.F32, Shape.BATCH, ROW);
    Tensor a = b.input("a", DType.F32, Shape.BATCH, ROW);
    Tensor c = b.input("c", DType.F32, Shape.BATCH, ROW);
    return b.build(x.times(a).plus(c).relu());
  }

  private static Graph unary(int rows, Function<Tensor, Tensor> f) {
    GraphBuilder b = new GraphBuilder("unary");
    return b.build(f.apply(b.input("x", DType.F32, Shape.BATCH, ROW)));
  }

  private static Session session(Graph graph, boolean vectorize, int rows) {
    Session session = Compiler.jvm(o -> o.vectorize(vectorize)).compile(graph).session(rows);
    Random random = new Random(1);
    for (String name : new String[] {"x", "a", "c"}) {
      if (graph.nodes().stream().anyMatch(n -> n.name().equals(name))) {
        float[] values = new float[rows * ROW];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) random.nextGaussian();
        }
        session.feed(name, values);
      }
    }
    return session;
  }

  /** Runs for about 0.3 s (after a warm-up of as long) and returns the mean time of one run. */
  private static double secondsPerRun(Session session, int elements) {
    int runs = Math.max(3, 200_000_000 / elements);
    for (int i = 0; i < runs; i++) {
      session.run();
    }
    long start = System.nanoTime();
    for (int i = 0; i < runs; i++) {
      session.run();
    }
    return (System.nanoTime() - start) / 1e9 / runs;
  }
}
