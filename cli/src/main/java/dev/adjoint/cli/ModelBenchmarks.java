package dev.adjoint.cli;

import dev.adjoint.autodiff.Losses;
import dev.adjoint.bench.Benchmarks;
import dev.adjoint.bench.ModelRow;
import dev.adjoint.bench.StreamingRow;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.jvm.CompiledProgram;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.jvm.Session;
import dev.adjoint.nn.Dense;
import dev.adjoint.nn.Models;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.train.Optimizer;
import dev.adjoint.train.TrainingStep;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The {@code bench} subcommand: the runtime's tables (FMA peak, bandwidth, GEMM, streaming,
 * convolution) followed by the models table, each model run by the reference interpreter (where
 * it finishes in reasonable time) and by the JVM backend with fusion off and on.
 */
final class ModelBenchmarks {
  private static final int STREAM_CHANNELS = 64;
  private static final int SOFTMAX_ROW = 1000;
  private static final int WINDOW = 8;
  private static final double SETTLED = 0.05;
  private static final double MIN_WARMUP_SECONDS = 3;
  private static final double MAX_WARMUP_SECONDS = 60;
  private static final int TIMED_RUNS = 21;
  /** The reference interpreter takes seconds a run and does not warm up: three runs. */
  private static final int REFERENCE_RUNS = 3;

  private ModelBenchmarks() {}

  private record Model(String name, Graph graph, boolean referenceFeasible) {}

  static void run(String[] args) {
    String only = null;
    if (args.length == 2 && args[0].equals("--only") && args[1].equals("models")) {
      Benchmarks.printModels(System.out, models());
      return;
    } else if (args.length == 2 && args[0].equals("--only") && Benchmarks.SECTIONS.contains(args[1])) {
      only = args[1];
    } else if (args.length != 0) {
      throw new UsageException(
          "bench takes no arguments or --only " + String.join("|", Benchmarks.SECTIONS)
              + "|models, got " + String.join(" ", args));
    }
    List<ModelRow> rows = only == null ? models() : List.of();
    Benchmarks.run(System.out, rows, streamingKernels(), only);
  }

  private static List<ModelRow> models() {
    List<ModelRow> rows = new ArrayList<>();
    for (Model m : modelList()) {
      Map<String, NDArray> feeds = feeds(m.graph());
      if (m.referenceFeasible()) {
        rows.add(measure(m.name(), "reference interpreter", () -> () -> ReferenceInterpreter.run(m.graph(), feeds),
            false, REFERENCE_RUNS));
      }
      // A session keeps its arena, parameters and state in place across runs, as a training
      // loop or a server does; the value API would add copies of every feed and update.
      List<Warm> engines = new ArrayList<>();
      for (boolean fusion : new boolean[] {false, true}) {
        engines.add(warmUp(m.name(), "JVM backend, fusion " + (fusion ? "on" : "off"), () -> {
          CompiledProgram p = Compiler.jvm(o -> o.fusion(fusion)).compile(m.graph());
          Session session = p.session(batchSize(m.graph()));
          feeds.forEach(session::feed);
          return session::run;
        }, true));
      }
      // Timed in alternation, so a slow stretch of the machine slows both alike.
      for (int i = 0; i < TIMED_RUNS; i++) {
        for (Warm engine : engines) {
          engine.times().add(millis(engine.program()));
        }
      }
      engines.forEach(engine -> rows.add(engine.row()));
    }
    return rows;
  }

  /**
   * Compiled elementwise and row kernels for the streaming table, each with vector code and with
   * scalar code: what generated loops reach next to the hand-written loop and the bandwidth.
   */
  private static List<StreamingRow> streamingKernels() {
    List<StreamingRow> rows = new ArrayList<>();
    record Kernel(String name, int arrays, IntFunction<Graph> graph) {}
    List<Kernel> kernels = List.of(
        new Kernel("y = a·x + b", 2, n -> {
          GraphBuilder b = new GraphBuilder("affine");
          return b.build(b.input("x", DType.F32, n).times(2).plus(1));
        }),
        new Kernel("batch-norm affine y = x·scale[c] + shift[c]", 2, n -> {
          GraphBuilder b = new GraphBuilder("channel_affine");
          Tensor x = b.input("x", DType.F32, STREAM_CHANNELS, n / STREAM_CHANNELS);
          return b.build(x.times(b.input("scale", DType.F32, STREAM_CHANNELS, 1))
              .plus(b.input("shift", DType.F32, STREAM_CHANNELS, 1)));
        }),
        new Kernel("y = exp(x)", 2, n -> {
          GraphBuilder b = new GraphBuilder("exp");
          return b.build(b.input("x", DType.F32, n).exp());
        }),
        new Kernel("softmax over rows of 1000", 2, n -> {
          GraphBuilder b = new GraphBuilder("softmax");
          return b.build(b.input("x", DType.F32, n / SOFTMAX_ROW, SOFTMAX_ROW).softmax(1));
        }));
    for (Kernel k : kernels) {
      for (boolean vector : new boolean[] {true, false}) {
        rows.add(new StreamingRow(k.name(), vector ? "generated, Vector API" : "generated, scalar", elements -> {
          int n = elements / (SOFTMAX_ROW * STREAM_CHANNELS) * (SOFTMAX_ROW * STREAM_CHANNELS); // whole rows, channels
          Graph graph = k.graph().apply(n);
          Session session = Compiler.jvm(o -> o.vectorize(vector)).compile(graph).session(1);
          for (Node input : graph.inputs()) {
            float[] values = new float[input.shape().size()];
            Arrays.fill(values, 0.5f);
            session.feed(input.name(), values);
          }
          return new StreamingRow.Run(session::run, (double) k.arrays() * n * Float.BYTES);
        }));
      }
    }
    return rows;
  }

  private static List<Model> modelList() {
    List<Model> models = new ArrayList<>();
    models.add(new Model("MLP 784-1024-1024-10, batch 64, forward", mlp(false), true));
    models.add(new Model("MLP 784-1024-1024-10, batch 64, training step (Adam)", mlp(true), true));
    models.add(new Model("ResNet-20 (CIFAR, 32x32), batch 32, forward", cifarResNet(false), false));
    models.add(new Model("ResNet-20 (CIFAR, 32x32), batch 32, training step (SGD momentum)", cifarResNet(true), false));
    models.add(new Model("ResNet-18 (224x224), batch 1, forward", resnet18(), false));
    return models;
  }

  private static Graph mlp(boolean training) {
    GraphBuilder b = new GraphBuilder("mlp").training(training);
    Tensor x = b.input("x", DType.F32, 64, 784);
    Tensor h = Dense.he(b, "dense1", DType.F32, 784, 1024).invoke(x).relu();
    h = Dense.he(b, "dense2", DType.F32, 1024, 1024).invoke(h).relu();
    Tensor logits = Dense.xavier(b, "dense3", DType.F32, 1024, 10).invoke(h);
    if (!training) {
      return b.build(logits);
    }
    Tensor labels = b.input("labels", DType.I64, 64);
    Graph model = b.build(Losses.softmaxCrossEntropy(logits, labels).named("loss"));
    return TrainingStep.build(model, "loss", Optimizer.adam(), null);
  }

  private static Graph cifarResNet(boolean training) {
    GraphBuilder b = new GraphBuilder("resnet20").training(training);
    Tensor images = b.input("images", DType.F32, 32, 3, 32, 32);
    Tensor logits = Models.smallResNet(images, 10, 16, 3);
    if (!training) {
      return b.build(logits);
    }
    Tensor labels = b.input("labels", DType.I64, 32);
    Graph model = b.build(Losses.softmaxCrossEntropy(logits, labels).named("loss"));
    return TrainingStep.build(model, "loss", Optimizer.momentum(0.9), null);
  }

  private static Graph resnet18() {
    GraphBuilder b = new GraphBuilder("resnet18").training(false);
    Tensor images = b.input("images", DType.F32, 1, 3, 224, 224);
    return b.build(Models.resnet18(images, 1000));
  }

  /** The static batch size of the model's first batched input. */
  private static int batchSize(Graph g) {
    return g.inputs().stream().filter(n -> n.shape().rank() > 0).findFirst().orElseThrow().shape().dim(0);
  }

  /** Random inputs (labels in range, a learning rate) and initialized parameters and state. */
  private static Map<String, NDArray> feeds(Graph g) {
    Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(g, 1));
    SplittableRandom r = new SplittableRandom(7);
    for (Node input : g.inputs()) {
      Shape shape = input.shape();
      feeds.put(input.name(), switch (input.dtype()) {
        case I64, I32 -> NDArray.generate(input.dtype(), shape, i -> r.nextInt(10));
        default -> shape.rank() == 0
            ? NDArray.scalar(input.dtype(), 1e-3)
            : NDArray.generate(input.dtype(), shape, i -> r.nextDouble(-1, 1));
      });
    }
    return feeds;
  }

  /** A prepared program, its time to the first result, and its times per run, warm-up first. */
  private record Warm(
      String model, String engine, Runnable program, double firstResult, List<Double> times,
      int warmupRuns) {

    /**
     * The median of the runs after the warm-up, and the number of runs from the first until one
     * ran within 10% of it.
     */
    ModelRow row() {
      double median = median(times.subList(warmupRuns, times.size()));
      int steady = 1;
      while (steady < times.size() && times.get(steady - 1) > 1.1 * median) {
        steady++;
      }
      System.err.printf("measured %s / %s: %.3f ms%n", model, engine, median);
      return new ModelRow(model, engine, median, firstResult, steady);
    }
  }

  /** {@link #warmUp}, then {@code timedRuns} runs. */
  private static ModelRow measure(String model, String engine, Supplier<Runnable> prepare, boolean warmUp,
      int timedRuns) {
    Warm warm = warmUp(model, engine, prepare, warmUp);
    for (int i = 0; i < timedRuns; i++) {
      warm.times().add(millis(warm.program()));
    }
    return warm.row();
  }

  /**
   * Prepares a run (timed to the first result); for a compiled program, runs it until its time per
   * run has settled: at least {@value #MIN_WARMUP_SECONDS} s, the JIT compiled nothing during the
   * last {@value #WINDOW} runs, and their median is within {@value #SETTLED} of the median of the
   * {@value #WINDOW} before ({@value #MAX_WARMUP_SECONDS} s at most: vector code runs slowly until
   * C2 has compiled it, kernel by kernel).
   */
  private static Warm warmUp(String model, String engine, Supplier<Runnable> prepare, boolean warmUp) {
    long start = System.nanoTime();
    Runnable program = prepare.get();
    program.run();
    double firstResult = (System.nanoTime() - start) / 1e6;
    List<Double> times = new ArrayList<>();
    List<Long> compiling = new ArrayList<>();
    long warmupStart = System.nanoTime();
    while (warmUp && System.nanoTime() - warmupStart < MAX_WARMUP_SECONDS * 1e9
        && (System.nanoTime() - warmupStart < MIN_WARMUP_SECONDS * 1e9 || !settled(times, compiling))) {
      compiling.add(compileMillis());
      times.add(millis(program));
    }
    return new Warm(model, engine, program, firstResult, times, times.size());
  }

  /** Milliseconds the JIT has spent compiling so far, or 0 where the JVM does not say. */
  private static long compileMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
  }

  private static double millis(Runnable program) {
    long t0 = System.nanoTime();
    program.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  private static boolean settled(List<Double> times, List<Long> compileMillisBefore) {
    int n = times.size();
    if (n < 2 * WINDOW || compileMillis() != compileMillisBefore.get(n - WINDOW)) {
      return false;
    }
    double last = median(times.subList(n - WINDOW, n));
    double before = median(times.subList(n - 2 * WINDOW, n - WINDOW));
    return Math.abs(last - before) <= SETTLED * last;
  }

  private static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
