package dev.adjoint.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.autodiff.Losses;
import dev.adjoint.data.DataLoader;
import dev.adjoint.data.Dataset;
import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.AdjointException;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.Weights;
import dev.adjoint.jvm.Compiler;
import dev.adjoint.nn.BatchNorm;
import dev.adjoint.nn.Dense;
import dev.adjoint.train.Clipping;
import dev.adjoint.train.Optimizer;
import dev.adjoint.train.Schedule;
import dev.adjoint.train.TrainingStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  private static final int CLASSES = 3;

  /** 60 4×4 one-channel images whose class (0 to 2) is the index of their brightest row. */
  private static Dataset toyImages() {
    SplittableRandom r = new SplittableRandom(5);
    int n = 60;
    byte[] pixels = new byte[n * 16];
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      int label = i % CLASSES;
      labels[i] = (byte) label;
      for (int p = 0; p < 16; p++) {
        int row = p / 4;
        int bright = row == label ? 200 : 40;
        pixels[i * 16 + p] = (byte) Math.min(255, bright + r.nextInt(50));
      }
    }
    return Dataset.of(pixels, labels, 1, 4, 4, CLASSES);
  }

  /** An MLP with batch norm and dropout, so the state and the masks are both exercised. */
  private static Graph stepGraph() {
    return stepGraph(DType.F64);
  }

  private static Graph stepGraph(DType dtype) {
    GraphBuilder b = new GraphBuilder("toy").seed(3);
    Tensor images = b.input("images", dtype, Shape.BATCH, 1, 4, 4);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor h = Dense.he(b, "hidden", dtype, 16, 12).invoke(images.flatten());
    h = BatchNorm.create(b, "bn", dtype, 12).invoke(h).relu().dropout(0.2);
    Tensor logits = Dense.xavier(b, "out", dtype, 12, CLASSES).invoke(h);
    Tensor loss = Losses.softmaxCrossEntropy(logits, labels).named("loss");
    return TrainingStep.build(b.build(loss, logits), "loss", Optimizer.adam(), new Clipping.ByGlobalNorm(5));
  }

  private static Trainer trainer(Graph step, Map<String, NDArray> state) {
    DataLoader loader = new DataLoader(toyImages(), 16).shuffled(11);
    return new Trainer(step, StepRunner.reference(step), loader, Schedule.cosine(0.05, 0.001, 40), "images",
        "labels", state);
  }

  /** The same training on the JVM backend, through one session (equal batches: the last is dropped). */
  private static Trainer compiledTrainer(Graph step, Map<String, NDArray> state) {
    DataLoader loader = new DataLoader(toyImages(), 16).shuffled(11).dropLast(true);
    StepRunner runner = StepRunner.compiled(Compiler.jvm().compile(step), 16);
    return new Trainer(step, runner, loader, Schedule.cosine(0.05, 0.001, 40), "images", "labels", state);
  }

  @Test
  void lossFallsAndAccuracyRises() {
    Graph step = stepGraph();
    Trainer t = trainer(step, Weights.initialize(step, 1));
    double firstLoss = t.trainStep().loss();
    Trainer.StepReport last = null;
    for (int i = 0; i < 39; i++) {
      last = t.trainStep();
    }
    assertEquals(40, t.completedSteps());
    assertTrue(last.loss() < firstLoss / 3, "loss " + firstLoss + " -> " + last.loss());
    assertTrue(last.accuracy() > 0.9, "accuracy " + last.accuracy());
  }

  /** Train 7 steps straight, or 3, save, load into a fresh trainer, 4 more: the same bits. */
  @Test
  void resumingFromACheckpointContinuesBitForBit(@TempDir Path dir) {
    Graph step = stepGraph();
    Trainer straight = trainer(step, Weights.initialize(step, 1));
    for (int i = 0; i < 7; i++) {
      straight.trainStep();
    }
    Trainer first = trainer(step, Weights.initialize(step, 1));
    for (int i = 0; i < 3; i++) {
      first.trainStep();
    }
    Path checkpoint = dir.resolve("run/step3.safetensors");
    first.save(checkpoint);
    assertTrue(Files.isRegularFile(checkpoint));
    Trainer resumed = trainer(step, Trainer.load(checkpoint, step));
    assertEquals(3, resumed.completedSteps());
    for (int i = 0; i < 4; i++) {
      resumed.trainStep();
    }
    assertEquals(straight.state().keySet(), resumed.state().keySet());
    straight.state().forEach((name, value) -> assertEquals(value, resumed.state().get(name), name));
  }

  @Test
  void aCheckpointOfAnotherModelIsRejectedWholeWithEveryMismatch(@TempDir Path dir) {
    Graph step = stepGraph();
    Trainer t = trainer(step, Weights.initialize(step, 1));
    Path checkpoint = dir.resolve("c.safetensors");
    t.save(checkpoint);
    GraphBuilder b = new GraphBuilder("other");
    Tensor x = b.input("images", DType.F64, Shape.BATCH, 16);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor loss = Losses.softmaxCrossEntropy(Dense.xavier(b, "hidden", DType.F64, 16, 3).invoke(x), labels).named("loss");
    Graph other = TrainingStep.build(b.build(loss), "loss", Optimizer.sgd(), null);
    AdjointException e = assertThrows(AdjointException.class, () -> Trainer.load(checkpoint, other));
    assertTrue(e.getMessage().contains("hidden/w"), e.getMessage());
  }

  /** Bitwise resume holds for compiled training steps too: they are deterministic by design. */
  @Test
  void compiledTrainingResumesBitForBitAndAgreesWithTheReference(@TempDir Path dir) {
    Graph step = stepGraph(DType.F32);
    Trainer straight = compiledTrainer(step, Weights.initialize(step, 1));
    for (int i = 0; i < 6; i++) {
      straight.trainStep();
    }
    Trainer first = compiledTrainer(step, Weights.initialize(step, 1));
    for (int i = 0; i < 2; i++) {
      first.trainStep();
    }
    Path checkpoint = dir.resolve("compiled.safetensors");
    first.save(checkpoint);
    Trainer resumed = compiledTrainer(step, Trainer.load(checkpoint, step));
    for (int i = 0; i < 4; i++) {
      resumed.trainStep();
    }
    straight.state().forEach((name, value) -> assertEquals(value, resumed.state().get(name), name));

    // The compiled step computes what the oracle computes (F64; summation order may differ).
    Trainer oracle = new Trainer(step, StepRunner.reference(step),
        new DataLoader(toyImages(), 16).shuffled(11).dropLast(true), Schedule.cosine(0.05, 0.001, 40), "images",
        "labels", Weights.initialize(step, 1));
    for (int i = 0; i < 6; i++) {
      oracle.trainStep();
    }
    NDArray want = oracle.state().get("out/w");
    NDArray got = straight.state().get("out/w");
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.get(i), got.get(i), 1e-4, "out/w[" + i + "]");
    }
  }

  /**
   * A compiled step keeps parameters and optimizer state in its arena and takes the batch through
   * reusable arrays: what a step allocates does not grow with the model (here 64× wider).
   */
  @Test
  void aCompiledStepAllocatesNothingInProportionToTheModel() {
    long small = allocatedPerStep(12);
    long large = allocatedPerStep(12 * 64);
    assertTrue(large < small + 16_384, "bytes per step: " + small + " with 12 hidden units, " + large + " with 768");
  }

  private static long allocatedPerStep(int hidden) {
    GraphBuilder b = new GraphBuilder("wide").seed(3);
    Tensor images = b.input("images", DType.F32, Shape.BATCH, 1, 4, 4);
    Tensor labels = b.input("labels", DType.I64, Shape.BATCH);
    Tensor h = Dense.he(b, "hidden", DType.F32, 16, hidden).invoke(images.flatten()).relu();
    Tensor logits = Dense.xavier(b, "out", DType.F32, hidden, CLASSES).invoke(h);
    Tensor loss = Losses.softmaxCrossEntropy(logits, labels).named("loss");
    Graph step = TrainingStep.build(b.build(loss, logits), "loss", Optimizer.adam(), null);
    DataLoader loader = new DataLoader(toyImages(), 16).shuffled(11).dropLast(true);
    Trainer t = new Trainer(step, StepRunner.compiled(Compiler.jvm().compile(step), 16), loader,
        Schedule.constant(0.01), "images", "labels", Weights.initialize(step, 1));
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    // Vector API code allocates until C2 compiles it, so warm-up ends at no fixed step: take the
    // least any window of steps allocated.
    long least = Long.MAX_VALUE;
    int steps = 50;
    for (int window = 0; window < 30; window++) {
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < steps; i++) {
        t.trainStep();
      }
      least = Math.min(least, (threads.getCurrentThreadAllocatedBytes() - before) / steps);
    }
    return least;
  }
}
