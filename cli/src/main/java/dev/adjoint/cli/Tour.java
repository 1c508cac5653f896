package dev.adjoint.cli;

import dev.adjoint.autodiff.Autodiff;
import dev.adjoint.autodiff.Losses;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.nn.Dense;
import dev.adjoint.reference.ReferenceInterpreter;
import dev.adjoint.testing.GradientCheck;
import dev.adjoint.text.GraphPrinter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The {@code tour} subcommand: the core of Adjoint, end to end and in seconds. Builds an MLP classifier as a
 * graph, prints its IR, derives the backward graph, trains it on a synthetic three-arm spiral with
 * the reference interpreter (loss falls, accuracy rises), and checks the derived gradients
 * against finite differences.
 */
final class Tour {
  private static final int CLASSES = 3;
  private static final int HIDDEN = 24;
  private static final int TRAIN_POINTS = 300;
  private static final int BATCH = 60;
  private static final int EPOCHS = 200;
  private static final double LEARNING_RATE = 0.5;
  private static final long SEED = 7;

  private Tour() {}

  static void run(String[] args) {
    UsageException.requireNone("tour", args);
    long start = System.nanoTime();
    GraphBuilder b = new GraphBuilder("spiral_mlp").seed(SEED);
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 2);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor hidden1 = Dense.xavier(b, "dense1", DType.F64, 2, HIDDEN).invoke(x).tanh();
    Tensor hidden2 = Dense.xavier(b, "dense2", DType.F64, HIDDEN, HIDDEN).invoke(hidden1).tanh();
    Tensor logits = Dense.xavier(b, "out", DType.F64, HIDDEN, CLASSES).invoke(hidden2).named("logits");
    Tensor loss = Losses.softmaxCrossEntropy(logits, labels).named("loss");
    Graph forward = b.build(loss, logits);

    section("1. The model as a graph (IR text form)");
    System.out.print(GraphPrinter.print(forward));

    List<String> parameterNames = forward.parameters().stream().map(Node::name).toList();
    Graph training = Autodiff.grad(forward, "loss", parameterNames);
    section("2. Reverse-mode autodiff: the backward pass is an ordinary graph");
    System.out.printf("forward: %d nodes; forward + backward: %d nodes, returning the loss and %d gradients%n",
        forward.nodes().size(), training.nodes().size(), parameterNames.size());
    System.out.print(GraphPrinter.print(training));

    section("3. Training on a three-arm spiral with the reference interpreter (SGD)");
    Dataset train = Dataset.spiral(TRAIN_POINTS, new Random(SEED));
    Dataset test = Dataset.spiral(TRAIN_POINTS, new Random(SEED + 1));
    Map<String, NDArray> weights = new LinkedHashMap<>(Weights.initialize(forward, SEED));
    System.out.printf("%5s  %10s  %14s%n", "epoch", "train loss", "test accuracy");
    Random shuffle = new Random(SEED);
    for (int epoch = 1; epoch <= EPOCHS; epoch++) {
      double lossSum = 0;
      int[] order = train.permutation(shuffle);
      for (int from = 0; from < order.length; from += BATCH) {
        Map<String, NDArray> feeds = new HashMap<>(weights);
        feeds.putAll(train.batch(order, from, Math.min(order.length, from + BATCH)));
        List<NDArray> out = ReferenceInterpreter.run(training, feeds);
        lossSum += out.get(0).item() * Math.min(BATCH, order.length - from);
        for (int p = 0; p < parameterNames.size(); p++) {
          weights.put(parameterNames.get(p), sgdStep(weights.get(parameterNames.get(p)), out.get(p + 1)));
        }
      }
      if (epoch == 1 || epoch % 20 == 0) {
        System.out.printf("%5d  %10.4f  %13.1f%%%n", epoch, lossSum / order.length, 100 * accuracy(forward, weights, test));
      }
    }

    section("4. Gradient check: derived gradients vs central finite differences (F64)");
    Map<String, NDArray> feeds = new HashMap<>(weights);
    feeds.putAll(test.batch(test.permutation(new Random(1)), 0, 8));
    for (GradientCheck.Mode mode : List.of(GradientCheck.Mode.FULL_JACOBIAN, GradientCheck.Mode.DIRECTIONAL)) {
      GradientCheck.Result result =
          GradientCheck.check(forward, "loss", feeds, parameterNames, GradientCheck.Options.defaults().withMode(mode));
      System.out.println(result.summary());
    }

    System.out.printf("%ndone in %.1f s%n", (System.nanoTime() - start) / 1e9);
  }

  private static NDArray sgdStep(NDArray param, NDArray grad) {
    return NDArray.generate(param.dtype(), param.shape(), i -> param.get(i) - LEARNING_RATE * grad.get(i));
  }

  private static double accuracy(Graph forward, Map<String, NDArray> weights, Dataset data) {
    Map<String, NDArray> feeds = new HashMap<>(weights);
    int[] all = new int[data.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    feeds.putAll(data.batch(all, 0, all.length));
    NDArray logits = ReferenceInterpreter.run(forward, feeds).get(1);
    int correct = 0;
    for (int r = 0; r < data.size(); r++) {
      int best = 0;
      for (int c = 1; c < CLASSES; c++) {
        if (logits.at(r, c) > logits.at(r, best)) {
          best = c;
        }
      }
      correct += best == data.labels[r] ? 1 : 0;
    }
    return correct / (double) data.size();
  }

  private static void section(String title) {
    System.out.println();
    System.out.println("== " + title + " ==");
  }

  /** Points on three interleaved spiral arms, one class per arm, with a little noise. */
  private record Dataset(double[][] points, int[] labels) {
    static Dataset spiral(int n, Random rng) {
      double[][] points = new double[n][];
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        int arm = i % CLASSES;
        double r = rng.nextDouble();
        double angle = 4 * r + arm * 2 * Math.PI / CLASSES + rng.nextGaussian() * 0.2;
        points[i] = new double[] {r * Math.cos(angle), r * Math.sin(angle)};
        labels[i] = arm;
      }
      return new Dataset(points, labels);
    }

    int size() {
      return labels.length;
    }

    int[] permutation(Random rng) {
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < size(); i++) {
        idx.add(i);
      }
      java.util.Collections.shuffle(idx, rng);
      return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Feeds {@code x} and {@code labels} for rows {@code order[from..to)}. */
    Map<String, NDArray> batch(int[] order, int from, int to) {
      int rows = to - from;
      NDArray xs = NDArray.generate(DType.F64, Shape.of(rows, 2), i -> points[order[from + i / 2]][i % 2]);
      NDArray ys = NDArray.generate(DType.I64, Shape.of(rows), i -> labels[order[from + i]]);
      return Map.of("x", xs, "labels", ys);
    }
  }
}
