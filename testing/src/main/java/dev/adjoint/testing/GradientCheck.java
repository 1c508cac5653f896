package dev.adjoint.testing;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Shape;
import dev.adjoint.reference.ReferenceInterpreter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntToDoubleFunction;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Checks the gradients autodiff builds against central finite differences, in f64 on the reference
 * interpreter, with PyTorch {@code gradcheck}'s defaults (eps 1e-6, atol 1e-5, rtol 1e-3).
 *
 * <p>The function checked is one node of the graph (an output, by index, or any node, by name) as
 * a function of the named inputs, parameters or states in {@code wrt}; every other feed stays
 * fixed. An analytic entry {@code a} and its numeric estimate {@code n} agree when {@code |a - n| <=
 * atol + rtol·|n|}. The checked node may itself be a gradient (grad of grad):
 *
 * <pre>{@code
 * GraphBuilder b = new GraphBuilder("model");
 * Tensor x = b.input("x", DType.F64, Shape.BATCH, 3);
 * Tensor w = b.parameter("w", DType.F64, Initializer.xavierUniform(), 3, 2);
 * Tensor loss = x.matmul(w).tanh().sum().named("loss");
 * Graph graph = b.build(loss);
 * Map<String, NDArray> feeds = new HashMap<>(Weights.initialize(graph, 7));
 * feeds.put("x", InputDomain.REAL.sample(TensorType.of(DType.F64, 2, 3), new Random(1)));
 * GradientCheck.assertGradients(graph, "loss", feeds, List.of("x", "w"));
 * }</pre>
 */
public final class GradientCheck {
  private GradientCheck() {}

  /** How the Jacobian is compared. */
  public enum Mode {
    /**
     * {@link #FULL_JACOBIAN} when the Jacobian has at most {@link Options#maxJacobianEntries()}
     * entries, otherwise {@link #DIRECTIONAL}.
     */
    AUTO,
    /**
     * Every entry: two evaluations per wrt element (numeric columns) and one vector-Jacobian
     * product per output element (analytic rows).
     */
    FULL_JACOBIAN,
    /**
     * Random projections {@code vᵀ J u}, one per wrt input and probe, with unit vectors {@code v}
     * over the output and {@code u} over that input: cheap at any size, and a mismatch still names
     * the input.
     */
    DIRECTIONAL
  }

  /**
   * Tolerances and strategy. {@link #defaults()} are PyTorch's: eps 1e-6, atol 1e-5, rtol 1e-3;
   * full Jacobian up to 4096 entries, else 3 directional probes seeded with 0.
   */
  public record Options(
      double eps, double atol, double rtol, Mode mode, int maxJacobianEntries, int probes, long seed) {

    public Options {
      if (!(eps > 0 && Double.isFinite(eps))) {
        throw new AdjointException("gradient check eps must be positive and finite, got " + eps);
      }
      if (!(atol >= 0) || !(rtol >= 0)) {
        throw new AdjointException("gradient check tolerances must be non-negative, got atol " + atol + ", rtol " + rtol);
      }
      if (maxJacobianEntries < 0) {
        throw new AdjointException("maxJacobianEntries must be non-negative, got " + maxJacobianEntries);
      }
      if (probes < 1) {
        throw new AdjointException("a directional check needs at least one probe, got " + probes);
      }
    }

    public static Options defaults() {
      return new Options(1e-6, 1e-5, 1e-3, Mode.AUTO, 4096, 3, 0);
    }

    public Options withEps(double eps) {
      return new Options(eps, atol, rtol, mode, maxJacobianEntries, probes, seed);
    }

    public Options withAtol(double atol) {
      return new Options(eps, atol, rtol, mode, maxJacobianEntries, probes, seed);
    }

    public Options withRtol(double rtol) {
      return new Options(eps, atol, rtol, mode, maxJacobianEntries, probes, seed);
    }

    public Options withMode(Mode mode) {
      return new Options(eps, atol, rtol, mode, maxJacobianEntries, probes, seed);
    }

    public Options withMaxJacobianEntries(int maxJacobianEntries) {
      return new Options(eps, atol, rtol, mode, maxJacobianEntries, probes, seed);
    }

    public Options withProbes(int probes) {
      return new Options(eps, atol, rtol, mode, maxJacobianEntries, probes, seed);
    }

    public Options withSeed(long seed) {
      return new Options(eps, atol, rtol, mode, maxJacobianEntries, probes, seed);
    }

    /** The allowed {@code |analytic - numeric|} for one entry. */
    public double tolerance(double numeric) {
      return atol + rtol * Math.abs(numeric);
    }
  }

  /** One compared quantity: an analytic value and its finite-difference estimate. */
  public sealed interface Entry {
    String output();

    String wrt();

    double analytic();

    double numeric();

    default double absError() {
      return Math.abs(analytic() - numeric());
    }

    /** For example {@code d 'loss' / d 'w'[1, 0]: analytic 0.5, numeric 0.25}. */
    String describe();

    /**
     * Entry {@code (outputIndex, wrtIndex)} of the Jacobian; indices are multi-indices into the
     * concrete shapes (empty for a scalar).
     */
    record Element(
        String output, List<Integer> outputIndex, String wrt, List<Integer> wrtIndex, double analytic, double numeric)
        implements Entry {
      public Element {
        outputIndex = List.copyOf(outputIndex);
        wrtIndex = List.copyOf(wrtIndex);
      }

      @Override
      public String describe() {
        return "d '" + output + "'" + indexText(outputIndex) + " / d '" + wrt + "'" + indexText(wrtIndex)
            + ": analytic " + analytic + ", numeric " + numeric;
      }
    }

    /** {@code vᵀ J u} for random unit vectors {@code v} (output) and {@code u} (this wrt input). */
    record Direction(String output, String wrt, int probe, double analytic, double numeric) implements Entry {
      @Override
      public String describe() {
        return "vᵀ (d '" + output + "' / d '" + wrt + "') u for random unit v, u (probe " + probe + "): analytic "
            + analytic + ", numeric " + numeric;
      }
    }
  }

  /**
   * What a check found. {@code mode} is the mode that ran (never AUTO); {@code worst} is the entry
   * that exceeds its tolerance by most, or comes closest to it when all pass; the relative error of
   * an entry is {@code |a - n| / max(|n|, atol)}, so entries near zero do not dominate it.
   */
  public record Result(
      String output,
      List<String> wrt,
      Mode mode,
      Options options,
      int entriesChecked,
      boolean passed,
      double maxAbsError,
      double maxRelError,
      Entry worst) {

    public Result {
      wrt = List.copyOf(wrt);
    }

    /** One paragraph for a log or a failure message. */
    public String summary() {
      String head = "gradient check of '" + output + "' wrt " + wrt + (passed ? " passed" : " FAILED") + " ("
          + mode + ", " + entriesChecked + " entries, eps " + options.eps() + ", atol " + options.atol() + ", rtol "
          + options.rtol() + ")";
      String bound = String.format(
          Locale.ROOT, "|analytic - numeric| %.3g %s atol + rtol·|numeric| = %.3g",
          worst.absError(), passed ? "<=" : ">", options.tolerance(worst.numeric()));
      return head + ": worst " + worst.describe() + ", " + bound + "; max abs error " + maxAbsError
          + ", max rel error " + maxRelError;
    }
  }

  // ---- entry points ----

  /** Checks output {@code output} of {@code graph} with the default options. */
  public static Result check(Graph graph, int output, Map<String, NDArray> feeds, List<String> wrt) {
    return check(graph, output, feeds, wrt, Options.defaults());
  }

  public static Result check(Graph graph, int output, Map<String, NDArray> feeds, List<String> wrt, Options options) {
    return new Checker(graph, outputNode(graph, output), feeds, wrt, options).run();
  }

  /** Checks the node called {@code output} (an output or any other node) with the default options. */
  public static Result check(Graph graph, String output, Map<String, NDArray> feeds, List<String> wrt) {
    return check(graph, output, feeds, wrt, Options.defaults());
  }

  public static Result check(
      Graph graph, String output, Map<String, NDArray> feeds, List<String> wrt, Options options) {
    return new Checker(graph, graph.node(output), feeds, wrt, options).run();
  }

  /**
   * Like {@link #check(Graph, int, Map, List)}, but throws {@link GradientCheckFailure} describing
   * the worst entry when the check fails.
   */
  public static Result assertGradients(Graph graph, int output, Map<String, NDArray> feeds, List<String> wrt) {
    return assertGradients(graph, output, feeds, wrt, Options.defaults());
  }

  public static Result assertGradients(
      Graph graph, int output, Map<String, NDArray> feeds, List<String> wrt, Options options) {
    return passedOrThrow(check(graph, output, feeds, wrt, options));
  }

  public static Result assertGradients(Graph graph, String output, Map<String, NDArray> feeds, List<String> wrt) {
    return assertGradients(graph, output, feeds, wrt, Options.defaults());
  }

  public static Result assertGradients(
      Graph graph, String output, Map<String, NDArray> feeds, List<String> wrt, Options options) {
    return passedOrThrow(check(graph, output, feeds, wrt, options));
  }

  private static Result passedOrThrow(Result result) {
    if (!result.passed()) {
      throw new GradientCheckFailure(result);
    }
    return result;
  }

  private static Node outputNode(Graph graph, int output) {
    if (output < 0 || output >= graph.outputs().size()) {
      throw new AdjointException(
          "graph '" + graph.name() + "' has " + graph.outputs().size() + " outputs; output " + output + " does not exist");
    }
    return graph.output(output);
  }

  private static String indexText(List<Integer> index) {
    return index.isEmpty() ? "" : index.toString();
  }

  // ---- the check ----

  /** One check: the validated problem, the graph of the vector-Jacobian product and the tally. */
  private static final class Checker {
    private final Graph function;
    private final Node output;
    private final Map<String, NDArray> feeds;
    private final List<Node> wrt;
    private final Options options;
    private final String cotangentName;
    private final Graph vjpGraph;
    private final NDArray value;

    private @Nullable Entry worst;
    private double worstExcess = Double.NEGATIVE_INFINITY;
    private double maxAbsError;
    private double maxRelError;
    private int entries;
    private boolean passed = true;

    Checker(Graph graph, Node output, Map<String, NDArray> feeds, List<String> wrtNames, Options options) {
      this.output = output;
      this.options = options;
      this.feeds = new LinkedHashMap<>(feeds);
      requireF64(graph, output);
      this.wrt = wrtNodes(graph, wrtNames);
      this.function = new Graph(graph.name(), graph.nodes(), List.of(output));
      this.cotangentName = freshName(graph, "gradcheck_cotangent");
      this.vjpGraph = vjpGraph(graph);
      this.value = evaluate(this.feeds);
    }

    Result run() {
      long wrtElements = 0;
      for (Node w : wrt) {
        wrtElements += feeds.get(w.name()).size();
      }
      if (wrtElements == 0 || value.size() == 0) {
        throw new AdjointException("gradient check of " + output.describe() + ": nothing to check, the output has "
            + value.size() + " elements and the wrt inputs " + wrtElements);
      }
      Mode mode = switch (options.mode()) {
        case AUTO -> wrtElements * value.size() <= options.maxJacobianEntries() ? Mode.FULL_JACOBIAN : Mode.DIRECTIONAL;
        case FULL_JACOBIAN, DIRECTIONAL -> options.mode();
      };
      if (mode == Mode.FULL_JACOBIAN) {
        fullJacobian();
      } else {
        directional();
      }
      return new Result(
          output.name(), wrt.stream().map(Node::name).toList(), mode, options, entries, passed, maxAbsError,
          maxRelError, worstEntry());
    }

    private Entry worstEntry() {
      if (worst == null) {
        throw new IllegalStateException("a check with elements compared no entries");
      }
      return worst;
    }

    /** Numeric columns by perturbing each wrt element; analytic rows from one-hot cotangents. */
    private void fullJacobian() {
      int m = value.size();
      List<double[][]> numeric = new ArrayList<>(); // per wrt: [element][output element]
      for (int w = 0; w < wrt.size(); w++) {
        int size = feeds.get(wrt.get(w).name()).size();
        double[][] columns = new double[size][];
        for (int k = 0; k < size; k++) {
          int hot = k;
          columns[k] = centralDifference(w, i -> i == hot ? 1 : 0);
        }
        numeric.add(columns);
      }
      double[][][] analytic = new double[wrt.size()][m][]; // per wrt: [output element][element]
      for (int j = 0; j < m; j++) {
        int hot = j;
        List<NDArray> row = vjp(NDArray.generate(DType.F64, value.shape(), i -> i == hot ? 1 : 0));
        for (int w = 0; w < wrt.size(); w++) {
          analytic[w][j] = row.get(w).toDoubleArray();
        }
      }
      for (int w = 0; w < wrt.size(); w++) {
        String name = wrt.get(w).name();
        Shape shape = feeds.get(name).shape();
        double[][] columns = numeric.get(w);
        for (int k = 0; k < columns.length; k++) {
          for (int j = 0; j < m; j++) {
            int element = k;
            int out = j;
            double a = analytic[w][j][k];
            double n = columns[k][j];
            tally(a, n, () -> new Entry.Element(
                output.name(), unravel(out, value.shape()), name, unravel(element, shape), a, n));
          }
        }
      }
    }

    /** {@code vᵀ J u} per wrt input and probe: one VJP per probe, two evaluations per input. */
    private void directional() {
      Random rng = new Random(options.seed());
      for (int probe = 0; probe < options.probes(); probe++) {
        double[] v = unitVector(value.size(), rng);
        List<NDArray> vjp = vjp(NDArray.of(DType.F64, value.shape(), v));
        for (int w = 0; w < wrt.size(); w++) {
          double[] u = unitVector(vjp.get(w).size(), rng);
          double a = dot(vjp.get(w).toDoubleArray(), u);
          double n = dot(v, centralDifference(w, i -> u[i]));
          String name = wrt.get(w).name();
          int p = probe;
          tally(a, n, () -> new Entry.Direction(output.name(), name, p, a, n));
        }
      }
    }

    /** {@code (f(x + eps·d) - f(x - eps·d)) / 2eps} with wrt input {@code w} moved along {@code d}. */
    private double[] centralDifference(int w, IntToDoubleFunction direction) {
      String name = wrt.get(w).name();
      NDArray x = feeds.get(name);
      double eps = options.eps();
      Map<String, NDArray> moved = new LinkedHashMap<>(feeds);
      moved.put(name, NDArray.generate(DType.F64, x.shape(), i -> x.get(i) + eps * direction.applyAsDouble(i)));
      double[] plus = evaluate(moved).toDoubleArray();
      moved.put(name, NDArray.generate(DType.F64, x.shape(), i -> x.get(i) - eps * direction.applyAsDouble(i)));
      double[] minus = evaluate(moved).toDoubleArray();
      double[] d = new double[plus.length];
      for (int i = 0; i < d.length; i++) {
        d[i] = (plus[i] - minus[i]) / (2 * eps);
      }
      return d;
    }

    private void tally(double analytic, double numeric, Supplier<Entry> entry) {
      entries++;
      double error = Math.abs(analytic - numeric);
      double tolerance = options.tolerance(numeric);
      boolean ok = error <= tolerance; // false when either side is NaN
      passed &= ok;
      double excess = Double.isNaN(error) ? Double.POSITIVE_INFINITY : error - tolerance;
      maxAbsError = Double.isNaN(error) ? Double.NaN : Math.max(maxAbsError, error);
      double scale = Math.max(Math.abs(numeric), options.atol());
      maxRelError = Math.max(maxRelError, error == 0 ? 0 : error / scale);
      if (worst == null || excess > worstExcess) {
        worst = entry.get();
        worstExcess = excess;
      }
    }

    private NDArray evaluate(Map<String, NDArray> at) {
      NDArray result = ReferenceInterpreter.run(function, at).get(0);
      if (result.dtype() != DType.F64) {
        throw new AdjointException("gradient check: " + output.describe() + " evaluated to " + result.type() + ", not f64");
      }
      return result;
    }

    private List<NDArray> vjp(NDArray cotangent) {
      Map<String, NDArray> at = new LinkedHashMap<>(feeds);
      at.put(cotangentName, cotangent);
      return ReferenceInterpreter.run(vjpGraph, at);
    }

    /** The graph extended with a cotangent input and the VJP of the output for each wrt leaf. */
    private Graph vjpGraph(Graph graph) {
      GraphBuilder b = GraphBuilder.extending(graph);
      Tensor out = b.get(output.name());
      Tensor cotangent = b.input(cotangentName, output.type());
      List<Tensor> leaves = wrt.stream().map(n -> b.get(n.name())).toList();
      return b.build(Autodiff.vjp(out, cotangent, leaves));
    }

    private List<Node> wrtNodes(Graph graph, List<String> names) {
      if (names.isEmpty()) {
        throw new AdjointException("gradient check of " + output.describe() + ": no wrt inputs given");
      }
      Set<String> seen = new HashSet<>();
      List<Node> nodes = new ArrayList<>();
      for (String name : names) {
        if (!seen.add(name)) {
          throw new AdjointException("gradient check of " + output.describe() + ": wrt names '" + name + "' twice");
        }
        Node n = graph.node(name);
        if (!(n.op() instanceof Op.Input || n.op() instanceof Op.Parameter || n.op() instanceof Op.State)) {
          throw new AdjointException("gradient check wrt " + n.describe()
              + ": only inputs, parameters and states can be checked, because finite differences perturb fed values");
        }
        if (n.dtype() != DType.F64) {
          throw new AdjointException("gradient check wrt " + n.describe() + " of type " + n.type()
              + ": wrt inputs must be f64");
        }
        NDArray fed = feeds.get(name);
        if (fed == null) {
          throw new AdjointException("gradient check wrt " + n.describe() + ": the feeds have no value for '" + name
              + "' (parameters and states too need one, e.g. from Weights.initialize)");
        }
        if (fed.dtype() != DType.F64 || !fits(n.shape(), fed.shape())) {
          throw new AdjointException("gradient check wrt " + n.describe() + ": the feed is " + fed.type()
              + " but the node is " + n.type());
        }
        nodes.add(n);
      }
      return Collections.unmodifiableList(nodes);
    }
  }

  /** Every floating node the output depends on must be f64: in f32, a step of 1e-6 is rounding noise. */
  private static void requireF64(Graph graph, Node output) {
    Deque<Node> pending = new ArrayDeque<>(List.of(output));
    Set<Node> seen = new HashSet<>();
    while (!pending.isEmpty()) {
      Node n = pending.pop();
      if (!seen.add(n)) {
        continue;
      }
      if (n == output ? n.dtype() != DType.F64 : n.dtype().isFloating() && n.dtype() != DType.F64) {
        throw new AdjointException("gradient check of " + output.describe() + " in graph '" + graph.name()
            + "' needs f64, but node " + n.describe() + " is " + n.type()
            + ": f32 rounding swamps central differences at a small eps; build the model in DType.F64 to check it");
      }
      pending.addAll(n.inputs());
    }
  }

  private static boolean fits(Shape declared, Shape concrete) {
    if (declared.rank() != concrete.rank()) {
      return false;
    }
    for (int a = 0; a < declared.rank(); a++) {
      if (declared.dim(a) != Shape.BATCH && declared.dim(a) != concrete.dim(a)) {
        return false;
      }
    }
    return true;
  }

  private static String freshName(Graph graph, String base) {
    Set<String> taken = new HashSet<>();
    for (Node n : graph.nodes()) {
      taken.add(n.name());
    }
    String name = base;
    for (int k = 1; taken.contains(name); k++) {
      name = base + "_" + k;
    }
    return name;
  }

  private static List<Integer> unravel(int flat, Shape shape) {
    int[] strides = shape.strides();
    List<Integer> index = new ArrayList<>(strides.length);
    for (int stride : strides) {
      index.add(flat / stride);
      flat %= stride;
    }
    return index;
  }

  /** Gaussian entries scaled to unit length. */
  private static double[] unitVector(int size, Random rng) {
    double[] v = new double[size];
    double norm = 0;
    for (int i = 0; i < size; i++) {
      v[i] = rng.nextGaussian();
      norm += v[i] * v[i];
    }
    double scale = 1 / Math.sqrt(norm);
    for (int i = 0; i < size; i++) {
      v[i] *= scale;
    }
    return v;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
