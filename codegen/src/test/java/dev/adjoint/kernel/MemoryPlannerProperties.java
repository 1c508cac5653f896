package dev.adjoint.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.dsl.GraphBuilder;
import dev.adjoint.dsl.Tensor;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Graph;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The memory plan never gives two buffers that are live at the same time overlapping places
 * (except an in-place target taking its source's place at the source's last reader), and its
 * arena is at least the liveness lower bound. Liveness is recomputed here from the kernels' reads
 * and writes.
 */
class MemoryPlannerProperties {

  /** One step of a random chain: an op on earlier tensors. */
  record Step(int kind, int first, int second) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    return Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 100),
        Arbitraries.integers().between(0, 100)).as(Step::new).list().ofMinSize(1).ofMaxSize(25);
  }

  static Graph chain(List<Step> steps) {
    GraphBuilder b = new GraphBuilder("chain");
    List<Tensor> made = new ArrayList<>(List.of(b.input("x", DType.F32, Shape.BATCH, 4)));
    for (Step s : steps) {
      Tensor a = made.get(s.first() % made.size());
      Tensor c = made.get(s.second() % made.size());
      made.add(switch (s.kind()) {
        case 0 -> a.tanh();
        case 1 -> a.plus(c);
        case 2 -> a.times(c).sigmoid();
        case 3 -> a.minus(a.mean(true, 1));
        case 4 -> a.matmul(b.parameter("w" + made.size(), DType.F32, Initializer.heNormal(), 4, 4)).relu();
        default -> a.softmax(1);
      });
    }
    return b.build(made.getLast(), made.get(made.size() / 2));
  }

  @Property(tries = 300, afterFailure = AfterFailureMode.SAMPLE_FIRST)
  void liveBuffersNeverOverlap(@ForAll("steps") List<Step> steps, @ForAll boolean fusion,
      @ForAll @IntRange(min = 1, max = 4) int batch) {
    KernelProgram program = Lowering.lower(chain(steps), fusion);
    MemoryPlanner.Plan plan = MemoryPlanner.plan(program, batch);
    int end = program.kernels().size();
    List<Buffer> buffers = program.buffers();
    int[] first = new int[buffers.size()];
    int[] last = new int[buffers.size()];
    for (Buffer b : buffers) {
      boolean pinned = b.role().isFed() || b.role() == Buffer.Role.CONSTANT;
      first[b.id()] = pinned ? 0 : end;
      last[b.id()] = pinned || b.role() == Buffer.Role.OUTPUT ? end : 0;
    }
    Set<List<Integer>> inPlace = new HashSet<>();
    for (int k = 0; k < end; k++) {
      Kernel kernel = program.kernels().get(k);
      for (Buffer w : kernel.writes()) {
        first[w.id()] = Math.min(first[w.id()], k);
        last[w.id()] = Math.max(last[w.id()], k);
      }
      for (Buffer r : kernel.reads()) {
        last[r.id()] = Math.max(last[r.id()], k);
      }
      for (Kernel.InPlace p : kernel.inPlace()) {
        inPlace.add(List.of(p.source().id(), p.target().id(), k));
      }
    }
    for (Buffer a : buffers) {
      for (Buffer c : buffers) {
        if (a.id() >= c.id() || a.dtype() != c.dtype()) {
          continue;
        }
        long sizeA = a.size().at(batch);
        long sizeC = c.size().at(batch);
        boolean live = first[a.id()] <= last[c.id()] && first[c.id()] <= last[a.id()] && sizeA > 0 && sizeC > 0;
        boolean shared = plan.offset(a) < plan.offset(c) + sizeC && plan.offset(c) < plan.offset(a) + sizeA;
        boolean handOver = inPlace.contains(List.of(a.id(), c.id(), last[a.id()])) && first[c.id()] == last[a.id()];
        assertFalse(live && shared && !handOver,
            a + " and " + c + " are live together but overlap\n" + KernelPrinter.print(program));
      }
    }
    assertTrue(plan.arenaBytes() >= plan.lowerBoundBytes(), plan.summary());
  }

  @Test
  void inPlaceChainsReuseOnePlace() {
    GraphBuilder b = new GraphBuilder("in_place");
    Tensor x = b.input("x", DType.F64, Shape.BATCH, 1000);
    Tensor y = x.exp().plus(1).log().tanh();
    KernelProgram program = Lowering.lower(b.build(y), false);
    MemoryPlanner.Plan plan = MemoryPlanner.plan(program, 2);
    assertEquals(3, plan.inPlace(), plan.summary());
    assertEquals(2 * 2000L * 8, plan.arenaBytes(), "the input and one place for the whole chain");
    assertEquals(plan.arenaBytes(), plan.lowerBoundBytes());
  }

  @Test
  void plansScaleWithTheBatchSize() {
    KernelProgram program = Lowering.lower(Graphs.batchNorm(), true);
    MemoryPlanner.Plan one = MemoryPlanner.plan(program, 1);
    MemoryPlanner.Plan eight = MemoryPlanner.plan(program, 8);
    assertEquals(2 * 48 * 4 + 4 * 3 * 4 + 2 * 3 * 4, one.arenaBytes(), one.summary());
    assertEquals(2 * 8 * 48 * 4 + 4 * 3 * 4 + 2 * 3 * 4, eight.arenaBytes(), eight.summary());
  }
}
