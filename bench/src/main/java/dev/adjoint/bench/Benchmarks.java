package dev.adjoint.bench;

import dev.adjoint.runtime.VectorSupport;
import dev.adjoint.runtime.conv.Conv2dKernels;
import dev.adjoint.runtime.linalg.Gemm;
import dev.adjoint.runtime.parallel.Parallel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Measures this machine and Adjoint's runtime kernels and prints tables. Timings are medians after
 * warm-up (see {@link Measurement}); nothing here asserts a time.
 *
 * <ol>
 *   <li>the denominators: the Vector API FMA peak on 1 and 2 threads, and streaming (STREAM
 *       triad) bandwidth over arrays much larger than the last-level cache;
 *   <li>SGEMM, n = 256, 512, 1024, as GFLOP/s and percent of the peak on as many threads, timed
 *       in alternation with the peak loop;
 *   <li>streaming elementwise kernels, as GB/s and percent of the triad bandwidth, timed in
 *       alternation with the triad;
 *   <li>convolution forward on ResNet-like layers, and the forward and both backward passes on
 *       the layers of a CIFAR ResNet-20, as GFLOP/s;
 *   <li>models: rows supplied by the caller of {@link #run(PrintStream, List)}.
 * </ol>
 *
 * <p>Run with {@code java --add-modules jdk.incubator.vector -cp <runtime and bench jars>
 * dev.adjoint.bench.Benchmarks}.
 */
public final class Benchmarks {
  private static final int[] THREAD_COUNTS = {1, 2};
  private static final int[] GEMM_SIZES = {256, 512, 1024};

  /** Iterations of the FMA chains per run of the peak loop (about 35 ms on one core). */
  private static final long PEAK_ITERATIONS = 20_000_000;

  private final PrintStream out;
  private final float[] peakSink = new float[THREAD_COUNTS.length];
  private final int streamElements = streamElements();
  private final float[] triadA = new float[streamElements];
  private final float[] triadB = filled(streamElements, 1f);
  private final float[] triadC = filled(streamElements, 2f);

  private Benchmarks(PrintStream out) {
    this.out = out;
  }

  /**
   * Prints every table, or with {@code --only gemm|streaming|conv} the machine's denominators and
   * that one table (a quick measurement while tuning a kernel).
   */
  public static void main(String[] args) {
    if (args.length == 2 && args[0].equals("--only") && SECTIONS.contains(args[1])) {
      run(System.out, List.of(), List.of(), args[1]);
    } else if (args.length == 0) {
      run(System.out, List.of());
    } else {
      System.err.println("usage: Benchmarks [--only " + String.join("|", SECTIONS) + "]");
      System.exit(2);
    }
  }

  /** The sections {@code --only} selects. */
  public static final List<String> SECTIONS = List.of("gemm", "streaming", "conv");

  /** Prints every table; {@code models} fills the models table (empty: the table says so). */
  public static void run(PrintStream out, List<ModelRow> models) {
    run(out, models, List.of(), null);
  }

  /**
   * Prints every table, or with {@code only} the denominators and that one; {@code streaming}
   * adds the caller's kernels (compiled ones) to the streaming table, {@code models} fills the
   * models table.
   */
  public static void run(
      PrintStream out, List<ModelRow> models, List<StreamingRow> streaming, @Nullable String only) {
    if (only != null && !SECTIONS.contains(only)) {
      throw new IllegalArgumentException("no benchmark section '" + only + "'; there are " + SECTIONS);
    }
    if (!VectorSupport.enabled()) {
      out.println("The benchmarks measure the Vector API peak: start the JVM with"
          + " --add-modules jdk.incubator.vector (and without -Dadjoint.vector=false).");
      return;
    }
    int initialThreads = Parallel.threads();
    try {
      Benchmarks benchmarks = new Benchmarks(out);
      benchmarks.printMachine();
      benchmarks.denominators();
      if (only == null || only.equals("gemm")) {
        benchmarks.gemm();
      }
      if (only == null || only.equals("streaming")) {
        benchmarks.streaming(streaming);
      }
      if (only == null || only.equals("conv")) {
        benchmarks.convolution();
      }
      if (only == null) {
        printModels(out, models);
      }
    } finally {
      Parallel.setThreads(initialThreads);
    }
  }

  private void printMachine() {
    out.printf(Locale.ROOT, "JVM: %s %s (%s), %d processors, %s; CPU: %s; vectors: %s%n",
        System.getProperty("java.vm.name"), System.getProperty("java.vm.version"),
        System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
        "max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB",
        cpuModel(), VectorLoops.SPECIES);
  }

  /** The FMA peak loop on every thread of the pool. */
  private Runnable peakLoop(int threads) {
    return () -> Parallel.forEach(
        threads, i -> peakSink[i % peakSink.length] += VectorLoops.fmaChains(PEAK_ITERATIONS));
  }

  private double peakFlops(int threads) {
    return threads * VectorLoops.fmaFlops(PEAK_ITERATIONS);
  }

  /** The STREAM triad over three arrays much larger than the last-level cache. */
  private Runnable triad() {
    return () -> forChunks(
        streamElements, (from, to) -> VectorLoops.triad(triadA, triadB, triadC, 3f, from, to));
  }

  private double triadBytes() {
    return 3.0 * Float.BYTES * streamElements;
  }

  /**
   * The denominators on their own, for reference: each row of the other tables is compared with
   * the peak or the triad measured in alternation with it (see {@link Measurement}).
   */
  private void denominators() {
    Table table =
        new Table("Machine: the denominators", "threads", "FMA peak GFLOP/s", "triad GB/s");
    for (int threads : THREAD_COUNTS) {
      Parallel.setThreads(threads);
      double peak = peakFlops(threads) / Measurement.medianSeconds(peakLoop(threads)) / 1e9;
      double bandwidth = triadBytes() / Measurement.medianSeconds(triad()) / 1e9;
      table.row(threads, Table.format(peak, 1), Table.format(bandwidth, 1));
    }
    table.print(out);
    out.printf(Locale.ROOT, "(triad a = b + s·c over 3 arrays of %d MiB; 12 bytes per element;"
        + " the shares in the tables below are of the peak or triad timed in alternation with each"
        + " row)%n", (long) streamElements * Float.BYTES >> 20);
  }

  /** A compute row: GFLOP/s and the share of the FMA peak timed alongside, on as many threads. */
  private String[] computeRow(int threads, double flops, Runnable body) {
    Measurement.Paired paired = Measurement.againstReference(body, peakLoop(threads));
    double gflops = flops / paired.seconds() / 1e9;
    double share = 100 * flops / peakFlops(threads) * paired.referenceRatio();
    return new String[] {
      Table.format(gflops, 1), Table.format(share, 1), Table.format(paired.seconds() * 1e3, 3)
    };
  }

  /** A streaming row: GB/s and the share of the triad bandwidth timed alongside. */
  private String[] streamingRow(double bytes, Runnable body) {
    Measurement.Paired paired = Measurement.againstReference(body, triad());
    double gbs = bytes / paired.seconds() / 1e9;
    double share = 100 * bytes / triadBytes() * paired.referenceRatio();
    return new String[] {Table.format(gbs, 1), Table.format(share, 1)};
  }

  private void gemm() {
    Table table = new Table("SGEMM C = A·B (n×n, row-major)", "n", "threads", "GFLOP/s",
        "% of FMA peak", "ms");
    for (int n : GEMM_SIZES) {
      SplittableRandom random = new SplittableRandom(n);
      float[] a = randomFloats(n * n, random);
      float[] b = randomFloats(n * n, random);
      float[] c = new float[n * n];
      for (int threads : THREAD_COUNTS) {
        Parallel.setThreads(threads);
        String[] figures = computeRow(threads, 2.0 * n * n * n,
            () -> Gemm.sgemm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false));
        table.row(n, threads, figures[0], figures[1], figures[2]);
      }
    }
    table.print(out);
  }

  private void streaming(List<StreamingRow> supplied) {
    Table table = new Table("Streaming elementwise kernels (F32)", "kernel", "code",
        "threads", "GB/s", "% of triad bandwidth");
    int elements = streamElements;
    float[] x = filled(elements, 1.5f);
    float[] y = new float[elements];
    int channels = 64;
    int plane = elements / channels / 64;
    int planes = elements / plane;
    float[] scale = filled(channels, 0.5f);
    float[] shift = filled(channels, 0.25f);
    for (int threads : THREAD_COUNTS) {
      Parallel.setThreads(threads);
      String[] affine = streamingRow(2.0 * Float.BYTES * elements,
          () -> forChunks(elements, (from, to) -> VectorLoops.affine(x, y, 2f, 1f, from, to)));
      table.row("y = a·x + b", HAND_WRITTEN, threads, affine[0], affine[1]);
      String[] norm = streamingRow(2.0 * Float.BYTES * planes * plane,
          () -> Parallel.forEach(64, chunk -> VectorLoops.channelAffine(x, y, scale, shift,
              channels, plane, chunk * planes / 64, (chunk + 1) * planes / 64)));
      table.row("batch-norm affine y = x·scale[c] + shift[c]", HAND_WRITTEN, threads, norm[0],
          norm[1]);
    }
    for (StreamingRow row : supplied) {
      StreamingRow.Run run = row.prepare().apply(elements);
      for (int threads : THREAD_COUNTS) {
        Parallel.setThreads(threads);
        String[] figures = streamingRow(run.bytes(), run.body());
        table.row(row.kernel(), row.code(), threads, figures[0], figures[1]);
      }
    }
    table.print(out);
    out.println("(" + elements + " elements per array; bytes counted: one read of each input and one"
        + " write of y per element)");
  }

  /** ResNet-like convolution layers: name, N, C, H, W, O, K, stride, padding. */
  private record ConvLayer(
      String name, int n, int c, int h, int w, int o, int k, int stride, int pad) {
    int oh() {
      return (h + 2 * pad - k) / stride + 1;
    }

    int ow() {
      return (w + 2 * pad - k) / stride + 1;
    }

    double flops() {
      return 2.0 * n * o * oh() * ow() * c * k * k;
    }

    /** A forward pass over this layer's x and weights into y. */
    Runnable forward(float[] x, float[] wt, float[] y) {
      return () -> Conv2dKernels.forward(x, 0, n, c, h, w, wt, 0, o, k, k, stride, stride, pad, pad, 1, 1, 1,
          y, 0, oh(), ow());
    }
  }

  private static final List<ConvLayer> CONV_LAYERS =
      List.of(
          new ConvLayer("ResNet-18 stem 7×7/2, 3→64, 224², N=1", 1, 3, 224, 224, 64, 7, 2, 3),
          new ConvLayer("ResNet-18 3×3, 64→64, 56², N=1", 1, 64, 56, 56, 64, 3, 1, 1),
          new ConvLayer("ResNet-18 3×3, 128→128, 28², N=1", 1, 128, 28, 28, 128, 3, 1, 1),
          new ConvLayer("ResNet-18 3×3, 256→256, 14², N=1", 1, 256, 14, 14, 256, 3, 1, 1),
          new ConvLayer("ResNet-18 3×3, 512→512, 7², N=1", 1, 512, 7, 7, 512, 3, 1, 1),
          new ConvLayer("ResNet-18 1×1/2 shortcut, 64→128, 56², N=1", 1, 64, 56, 56, 128, 1, 2, 0));

  private void convolution() {
    Table table = new Table("Conv2d forward (F32, NCHW), ResNet-18 layers", "layer", "threads", "GFLOP/s",
        "% of FMA peak", "ms");
    for (ConvLayer layer : CONV_LAYERS) {
      SplittableRandom random = new SplittableRandom(layer.name().hashCode());
      float[] x = randomFloats(layer.n() * layer.c() * layer.h() * layer.w(), random);
      float[] wt = randomFloats(layer.o() * layer.c() * layer.k() * layer.k(), random);
      float[] y = new float[layer.n() * layer.o() * layer.oh() * layer.ow()];
      for (int threads : THREAD_COUNTS) {
        Parallel.setThreads(threads);
        String[] figures = computeRow(threads, layer.flops(), layer.forward(x, wt, y));
        table.row(layer.name(), threads, figures[0], figures[1], figures[2]);
      }
    }
    table.print(out);
    convolutionBackward();
  }

  /** The 3×3 layers of a CIFAR ResNet-20 (16, 32, 64 channels; the two downsampling ones). */
  private static final List<ConvLayer> RESNET20_LAYERS =
      List.of(
          new ConvLayer("ResNet-20 3×3, 16→16, 32²", 32, 16, 32, 32, 16, 3, 1, 1),
          new ConvLayer("ResNet-20 3×3/2, 16→32, 32²", 32, 16, 32, 32, 32, 3, 2, 1),
          new ConvLayer("ResNet-20 3×3, 32→32, 16²", 32, 32, 16, 16, 32, 3, 1, 1),
          new ConvLayer("ResNet-20 3×3/2, 32→64, 16²", 32, 32, 16, 16, 64, 3, 2, 1),
          new ConvLayer("ResNet-20 3×3, 64→64, 8²", 32, 64, 8, 8, 64, 3, 1, 1));

  /** The three passes of a training step's convolutions; each costs the forward pass's FLOPs. */
  private void convolutionBackward() {
    Table table = new Table("Conv2d forward and backward (F32, NCHW), batch 32", "layer", "pass",
        "threads", "GFLOP/s", "% of FMA peak", "ms");
    for (ConvLayer layer : RESNET20_LAYERS) {
      SplittableRandom random = new SplittableRandom(layer.name().hashCode());
      float[] x = randomFloats(layer.n() * layer.c() * layer.h() * layer.w(), random);
      float[] wt = randomFloats(layer.o() * layer.c() * layer.k() * layer.k(), random);
      float[] g = randomFloats(layer.n() * layer.o() * layer.oh() * layer.ow(), random);
      float[] y = new float[g.length];
      float[] dx = new float[x.length];
      float[] dw = new float[wt.length];
      int n = layer.n();
      int k = layer.k();
      int s = layer.stride();
      int p = layer.pad();
      List<Map.Entry<String, Runnable>> passes =
          List.of(
              Map.entry("forward", layer.forward(x, wt, y)),
              Map.entry("backward input", () -> Conv2dKernels.backwardInput(g, 0, n, layer.o(),
                  layer.oh(), layer.ow(), wt, 0, k, k, s, s, p, p, 1, 1, 1, dx, 0, layer.c(),
                  layer.h(), layer.w())),
              Map.entry("backward filter", () -> Conv2dKernels.backwardFilter(x, 0, n, layer.c(),
                  layer.h(), layer.w(), g, 0, layer.o(), layer.oh(), layer.ow(), s, s, p, p, 1, 1,
                  1, dw, 0, k, k)));
      for (Map.Entry<String, Runnable> pass : passes) {
        for (int threads : THREAD_COUNTS) {
          Parallel.setThreads(threads);
          String[] figures = computeRow(threads, layer.flops(), pass.getValue());
          table.row(layer.name(), pass.getKey(), threads, figures[0], figures[1], figures[2]);
        }
      }
    }
    table.print(out);
  }

  /**
   * The models table: per model and engine, the median time per run, the time from the graph to
   * the first result, and the runs until steady speed. The rows come from the caller, which can
   * compile models; this module only depends on the runtime.
   */
  public static void printModels(PrintStream out, List<ModelRow> models) {
    Table table = new Table("Models", "model", "engine", "ms per run (median)",
        "graph to first result ms", "runs to steady");
    for (ModelRow row : models) {
      table.row(row.model(), row.engine(), Table.format(row.medianMillis(), 3),
          Table.format(row.firstResultMillis(), 1), row.runsToSteady());
    }
    table.print(out);
    if (models.isEmpty()) {
      out.println("(no model rows: the caller of Benchmarks.run supplies them)");
    }
  }

  private static final String HAND_WRITTEN = "hand-written Vector API loop";

  /**
   * Elements per streaming array: three arrays together four times the last-level cache, and at
   * most half the heap for the ten such arrays that can be alive at once (the triad's three, which
   * are kept to time alongside the streaming rows, the hand-written loops' two, a compiled
   * kernel's and the one before it waiting to be collected).
   */
  private static int streamElements() {
    long cache = lastLevelCacheBytes();
    long wanted = Math.max(64L << 20, 4 * cache / 3) / Float.BYTES;
    long affordable = Runtime.getRuntime().maxMemory() / 2 / 10 / Float.BYTES;
    return (int) Math.min(Math.min(wanted, affordable), Integer.MAX_VALUE - 64);
  }

  /** The largest cache that /sys reports for CPU 0, or 32 MiB where it cannot be read. */
  private static long lastLevelCacheBytes() {
    long largest = 32L << 20;
    for (int index = 0; index < 5; index++) {
      Path size = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + index + "/size");
      try {
        String text = Files.readString(size).strip();
        long multiplier = text.endsWith("K") ? 1 << 10 : text.endsWith("M") ? 1 << 20 : 1;
        String digits = text.replaceAll("[^0-9]", "");
        if (!digits.isEmpty()) {
          largest = Math.max(largest, Long.parseLong(digits) * multiplier);
        }
      } catch (IOException | NumberFormatException e) {
        // Not Linux, or no such cache level: keep what was found so far.
      }
    }
    return largest;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException e) {
      // Fall through to the architecture name.
    }
    return System.getProperty("os.arch");
  }

  private interface Range {
    void run(int from, int to);
  }

  /** Splits [0, elements) into 64 fixed chunks run by the pool. */
  private static void forChunks(int elements, Range range) {
    int chunks = 64;
    Parallel.forEach(chunks, chunk -> {
      long from = (long) elements * chunk / chunks;
      long to = (long) elements * (chunk + 1) / chunks;
      range.run((int) from, (int) to);
    });
  }

  private static float[] filled(int length, float value) {
    float[] values = new float[length];
    java.util.Arrays.fill(values, value);
    return values;
  }

  private static float[] randomFloats(int length, SplittableRandom random) {
    float[] values = new float[length];
    for (int i = 0; i < length; i++) {
      values[i] = (float) random.nextDouble(-1, 1);
    }
    return values;
  }
}
