package dev.adjoint.kernel;

import dev.adjoint.ir.DType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Places a program's buffers in one arena per dtype for one batch size. Fed and constant buffers
 * are pinned (they live across runs). Every other buffer lives from the kernel that writes it to
 * its last reader, outputs to the end of the run; a kernel's in-place candidate takes its source's
 * place when it is the source's last reader. Places come from a greedy best fit, largest buffers
 * first: each buffer goes into the smallest gap left by the buffers whose lifetimes overlap its own.
 */
public final class MemoryPlanner {
  private MemoryPlanner() {}

  /**
   * Where each buffer lives for one batch size.
   *
   * @param offsets element offset of each buffer in its dtype's arena, by buffer id
   * @param regionElements the arena length of each dtype, in elements
   * @param arenaBytes the bytes of all arenas together
   * @param lowerBoundBytes the most bytes live at any one point of the schedule: no placement of
   *     these buffers (with the same in-place sharing) fits in less
   * @param inPlace how many buffers took their source's place
   */
  public record Plan(
      int batch, int[] offsets, Map<DType, Integer> regionElements, long arenaBytes, long lowerBoundBytes,
      int inPlace) {

    public int offset(Buffer buffer) {
      return offsets[buffer.id()];
    }

    public int regionElements(DType dtype) {
      return regionElements.getOrDefault(dtype, 0);
    }

    /** {@code arena 1234 bytes (liveness lower bound 1000 bytes), 3 buffers in place} for dumps. */
    public String summary() {
      return "N = " + batch + ": arena " + arenaBytes + " bytes (liveness lower bound " + lowerBoundBytes + " bytes), "
          + inPlace + " buffer" + (inPlace == 1 ? "" : "s") + " written in place";
    }
  }

  /** Buffers that share one place: a buffer and the in-place targets that took its memory. */
  private static final class Storage {
    final DType dtype;
    final long elements;
    final boolean pinned;
    int start;
    int end;
    int offset = -1;

    Storage(DType dtype, long elements, boolean pinned, int start, int end) {
      this.dtype = dtype;
      this.elements = elements;
      this.pinned = pinned;
      this.start = start;
      this.end = end;
    }

    boolean overlaps(Storage other) {
      return start <= other.end && other.start <= end;
    }
  }

  public static Plan plan(KernelProgram program, int batch) {
    List<Kernel> kernels = program.kernels();
    int end = kernels.size();
    int[] defined = new int[program.buffers().size()];
    int[] lastUse = new int[program.buffers().size()];
    java.util.Arrays.fill(defined, -1);
    java.util.Arrays.fill(lastUse, -1);
    for (int k = 0; k < kernels.size(); k++) {
      for (Buffer b : kernels.get(k).writes()) {
        if (defined[b.id()] < 0) {
          defined[b.id()] = k;
        }
        lastUse[b.id()] = Math.max(lastUse[b.id()], k);
      }
      for (Buffer b : kernels.get(k).reads()) {
        lastUse[b.id()] = Math.max(lastUse[b.id()], k);
      }
    }
    Map<Buffer, Storage> storageOf = new HashMap<>();
    List<Storage> all = new ArrayList<>();
    for (Buffer b : program.buffers()) {
      boolean pinned = b.role().isFed() || b.role() == Buffer.Role.CONSTANT;
      int start = pinned ? 0 : Math.max(defined[b.id()], 0);
      int stop = pinned || b.role() == Buffer.Role.OUTPUT ? end : Math.max(lastUse[b.id()], start);
      Storage s = new Storage(b.dtype(), b.size().at(batch), pinned, start, stop);
      storageOf.put(b, s);
      all.add(s);
    }
    int inPlace = 0;
    for (int k = 0; k < kernels.size(); k++) {
      for (Kernel.InPlace p : kernels.get(k).inPlace()) {
        Storage source = storageOf.get(p.source());
        Storage target = storageOf.get(p.target());
        if (source != target && !source.pinned && !target.pinned && source.end == k && target.start == k
            && source.dtype == target.dtype && source.elements == target.elements) {
          source.end = target.end;
          all.remove(target);
          for (Map.Entry<Buffer, Storage> e : storageOf.entrySet()) {
            if (e.getValue() == target) {
              e.setValue(source);
            }
          }
          inPlace++;
        }
      }
    }
    Map<DType, Integer> regions = new EnumMap<>(DType.class);
    for (DType dtype : DType.values()) {
      List<Storage> ofType = all.stream().filter(s -> s.dtype == dtype).toList();
      if (!ofType.isEmpty()) {
        regions.put(dtype, place(ofType));
      }
    }
    int[] offsets = new int[program.buffers().size()];
    for (Buffer b : program.buffers()) {
      offsets[b.id()] = storageOf.get(b).offset;
    }
    long arenaBytes = 0;
    for (Map.Entry<DType, Integer> e : regions.entrySet()) {
      arenaBytes += (long) e.getValue() * e.getKey().bytes();
    }
    long bound = 0;
    for (int t = 0; t <= end; t++) {
      long live = 0;
      for (Storage s : all) {
        if (s.start <= t && t <= s.end) {
          live += s.elements * s.dtype.bytes();
        }
      }
      bound = Math.max(bound, live);
    }
    return new Plan(batch, offsets, regions, arenaBytes, bound, inPlace);
  }

  /** Places one dtype's storages; returns the region's length in elements. */
  private static int place(List<Storage> storages) {
    List<Storage> order = new ArrayList<>(storages);
    order.sort(Comparator.<Storage, Boolean>comparing(s -> !s.pinned)
        .thenComparing(Comparator.<Storage>comparingLong(s -> s.elements).reversed())
        .thenComparingInt(s -> s.start));
    List<Storage> placed = new ArrayList<>();
    long length = 0;
    for (Storage s : order) {
      List<Storage> conflicts = new ArrayList<>();
      for (Storage p : placed) {
        if (p.overlaps(s) && p.elements > 0) {
          conflicts.add(p);
        }
      }
      conflicts.sort(Comparator.comparingInt(p -> p.offset));
      long best = -1;
      long bestGap = Long.MAX_VALUE;
      long cursor = 0;
      for (Storage p : conflicts) {
        long gap = p.offset - cursor;
        if (gap >= s.elements && gap < bestGap) {
          best = cursor;
          bestGap = gap;
        }
        cursor = Math.max(cursor, p.offset + p.elements);
      }
      long offset = best >= 0 ? best : cursor;
      if (offset + s.elements > Integer.MAX_VALUE) {
        throw new dev.adjoint.ir.AdjointException("the " + s.dtype + " arena needs more than 2^31-1 elements");
      }
      s.offset = (int) offset;
      placed.add(s);
      length = Math.max(length, offset + s.elements);
    }
    return (int) length;
  }
}
