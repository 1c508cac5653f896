package dev.adjoint.tests.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.jvm.Execution;
import dev.adjoint.nn.BatchNorm;
import dev.adjoint.runtime.parallel.Parallel;
import dev.adjoint.testing.InputDomain;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One compiled program shared by 16 threads, each running it 200 times on batch sizes 1 to 4,
 * gives bit for bit what a single thread gives: runs share nothing but immutable code and pooled
 * arenas, and every kernel is deterministic. Kernels split among worker threads in chunks fixed
 * by the work, so the thread count does not change a bit either.
 */
class JvmConcurrencyTest {
  private static final int THREADS = 16;
  private static final int RUNS = 200;

  /**
   * Conv, training batch norm (with running statistics), dropout, pooling, dense and softmax, in
   * F32; and a wide elementwise map and softmax whose loops are split among worker threads.
   */
  private static Graph model() {
    GraphBuilder b = new GraphBuilder("shared").seed(9);
    Tensor wide = b.input("wide", DType.F32, Shape.BATCH, 1 << 13);
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 3, 6, 6);
    Tensor w = b.parameter("k", DType.F32, Initializer.heNormal(), 4, 3, 3, 3);
    Tensor c = b.add(new Op.Conv2d(List.of(1, 1), List.of(1, 1, 1, 1), List.of(1, 1), 1), x, w);
    Tensor h = BatchNorm.create(b, "bn", DType.F32, 4).invoke(c).relu().dropout(0.2);
    Tensor p = b.add(new Op.MaxPool2d(List.of(2, 2), List.of(2, 2), List.of(0, 0, 0, 0)), h);
    Tensor logits = p.flatten().matmul(b.parameter("w", DType.F32, Initializer.heNormal(), 36, 5));
    return b.build(logits.softmax(1), wide.times(2).plus(1).relu().softmax(1));
  }

  private static Map<String, NDArray> feeds(Graph graph, int batch) {
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(graph, 4));
    feeds.put("x", InputDomain.REAL.sample(graph.node("x").type().withShape(Shape.of(batch, 3, 6, 6)),
        new Random(batch)));
    feeds.put("step", NDArray.scalar(DType.I64, 17));
    feeds.put("wide", InputDomain.REAL.sample(graph.node("wide").type().withShape(Shape.of(batch, 1 << 13)),
        new Random(-batch)));
    return feeds;
  }

  @Test
  void resultsDoNotDependOnTheThreadCount() {
    GraphBuilder b = new GraphBuilder("wide").seed(3);
    Tensor x = b.input("x", DType.F32, Shape.BATCH, 16, 32, 32);
    Tensor h = BatchNorm.create(b, "bn", DType.F32, 16).invoke(x.tanh()).relu();
    Tensor y = h.softmax(3).plus(h.mean(true, 1)).sum(1);
    Graph graph = b.build(y);
    CompiledProgram program = Compiler.jvm().compile(graph);
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(graph, 4));
    feeds.put("x", InputDomain.REAL.sample(graph.node("x").type().withShape(Shape.of(8, 16, 32, 32)), new Random(5)));
    int initial = Parallel.threads();
    try {
      List<double[]> results = new ArrayList<>();
      for (int threads : new int[] {1, 2, 3}) {
        Parallel.setThreads(threads);
        results.add(program.run(feeds).getFirst().toDoubleArray());
      }
      assertArrayEquals(results.get(0), results.get(1));
      assertArrayEquals(results.get(0), results.get(2));
    } finally {
      Parallel.setThreads(initial);
    }
  }

  @Test
  void concurrentRunsEqualASingleThreadedRunBitForBit() throws Exception {
    Graph graph = model();
    CompiledProgram program = Compiler.jvm().compile(graph);
    List<Map<String, NDArray>> feeds = new ArrayList<>();
    List<Execution> expected = new ArrayList<>();
    for (int batch = 1; batch <= 4; batch++) {
      feeds.add(Map.copyOf(feeds(graph, batch)));
      expected.add(program.execute(feeds.getLast()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          int checked = 0;
          for (int r = 0; r < RUNS; r++) {
            int batch = 1 + (thread + r) % 4;
            Execution actual = program.execute(feeds.get(batch - 1));
            Execution want = expected.get(batch - 1);
            for (int o = 0; o < want.outputs().size(); o++) {
              assertArrayEquals(want.outputs().get(o).toDoubleArray(), actual.outputs().get(o).toDoubleArray(),
                  "output " + o + ", thread " + thread + ", run " + r + ", N = " + batch);
            }
            for (String state : want.updatedState().keySet()) {
              assertArrayEquals(want.updatedState().get(state).toDoubleArray(),
                  actual.updatedState().get(state).toDoubleArray(), state);
            }
            checked++;
          }
          return checked;
        }));
      }
      int total = 0;
      for (Future<Integer> f : results) {
        total += f.get();
      }
      assertEquals(THREADS * RUNS, total);
    } finally {
      pool.shutdownNow();
    }
  }
}
