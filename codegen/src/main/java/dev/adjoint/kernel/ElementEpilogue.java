package dev.adjoint.kernel;

import dev.adjoint.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * An epilogue that a library kernel applies to each element of its output as it finishes it:
 * {@code body} updates, in place, the output element at the coordinates ({@code outer}, {@code
 * row}, {@code col}). For a GEMM, {@code row} and {@code col} index C and {@code outer} is 0; for a
 * forward convolution, {@code outer} is the image, {@code row} the output channel and {@code col}
 * the output pixel {@code oh·OW + ow}. A JVM kernel calls it on each finished tile while the tile
 * is in cache; a GPU kernel can apply it before its store.
 */
public record ElementEpilogue(Var outer, Var row, Var col, List<Stmt> body) {
  public ElementEpilogue {
    body = List.copyOf(body);
  }

  ElementEpilogue withBody(List<Stmt> newBody) {
    return new ElementEpilogue(outer, row, col, newBody);
  }

  /**
   * The per-element form of an epilogue written as a loop nest over the output's shape (one loop
   * per dimension larger than 1, outermost first, as {@link Lowering} builds them), where the
   * output's dimensions {@code [0, firstRowDim)} make the outer coordinate, {@code [firstRowDim,
   * firstColDim)} the row and the rest the column. Null when some index in the body does not walk
   * a coordinate's dimensions as one row-major run (a broadcast over part of them), so the
   * coordinate could not be split back into them without division.
   */
  static @Nullable ElementEpilogue of(
      List<Stmt> nest, Shape shape, int firstRowDim, int firstColDim, Supplier<Var> newVar) {
    List<Var> loopVars = new ArrayList<>();
    List<Stmt> body = nest;
    while (body.size() == 1 && body.getFirst() instanceof Stmt.Loop l) {
      loopVars.add(l.var());
      body = l.body();
    }
    if (body.stream().anyMatch(s -> s instanceof Stmt.Loop || s instanceof Stmt.Call)) {
      return null;
    }
    List<List<Var>> groupVars = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    List<List<Integer>> groupExtents = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    int next = 0;
    for (int a = 0; a < shape.rank(); a++) {
      if (shape.dim(a) == 1) {
        continue;
      }
      if (next == loopVars.size()) {
        return null;
      }
      int group = a < firstRowDim ? 0 : a < firstColDim ? 1 : 2;
      groupVars.get(group).add(loopVars.get(next++));
      groupExtents.get(group).add(shape.dim(a));
    }
    if (next != loopVars.size() || !walksAsOne(body, groupVars, groupExtents)) {
      return null;
    }
    List<Var> coordinates = List.of(newVar.get(), newVar.get(), newVar.get());
    List<Stmt> rewritten = Rewrite.statements(body, index -> {
      Index result = index;
      for (int g = 0; g < 3; g++) {
        List<Var> vars = groupVars.get(g);
        if (vars.isEmpty()) {
          continue;
        }
        int stride = index.stride(vars.getLast());
        for (Var v : vars) {
          result = result.substitute(v, Index.ZERO);
        }
        result = result.plus(Index.of(coordinates.get(g)).times(stride));
      }
      return result;
    });
    return new ElementEpilogue(coordinates.get(0), coordinates.get(1), coordinates.get(2), rewritten);
  }

  /**
   * Whether every index in {@code body} has, within each group, stride(outer var) = stride(next
   * var)·extent(next var): the group's variables walk the index as a single variable would.
   */
  private static boolean walksAsOne(List<Stmt> body, List<List<Var>> groupVars, List<List<Integer>> groupExtents) {
    boolean[] ok = {true};
    Rewrite.statements(body, index -> {
      for (int g = 0; g < 3; g++) {
        List<Var> vars = groupVars.get(g);
        for (int i = 0; i + 1 < vars.size(); i++) {
          if ((long) index.stride(vars.get(i + 1)) * groupExtents.get(g).get(i + 1) != index.stride(vars.get(i))) {
            ok[0] = false;
          }
        }
      }
      return index;
    });
    return ok[0];
  }
}
