package dev.adjoint.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Op;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What loop-invariant code motion moves out of a loop, and what it must leave where it is. */
class LoopInvariantsTest {
  private final Buffer x = new Buffer(0, "x", DType.F32, Size.of(64), Buffer.Role.INPUT);
  private final Buffer variance = new Buffer(1, "variance", DType.F32, Size.of(4), Buffer.Role.INPUT);
  private final Buffer y = new Buffer(2, "y", DType.F32, Size.of(64), Buffer.Role.OUTPUT);
  private final Var channel = new Var(0);
  private final Var pixel = new Var(1);
  private final Index element = Index.of(channel).times(16).plus(Index.of(pixel));

  private Expr rsqrt(Expr e) {
    return new Expr.Binary(Op.BinaryFn.DIV, new Expr.Const(DType.F32, 1), new Expr.Unary(Op.UnaryFn.SQRT, e));
  }

  /** {@code for c < 4: for p < 16: y[16c + p] = x[16c + p] * value}. */
  private List<Stmt> perChannel(Expr value) {
    Stmt store = new Stmt.Store(y, element, new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(x, element), value));
    return List.of(new Stmt.Loop(channel, Size.of(4), List.of(new Stmt.Loop(pixel, Size.of(16), List.of(store)))));
  }

  @Test
  void aPerChannelValueIsComputedOncePerChannel() {
    Expr scale = rsqrt(new Expr.Load(variance, Index.of(channel)));
    Stmt.Loop outer = (Stmt.Loop) LoopInvariants.apply(perChannel(scale)).getFirst();
    assertEquals(2, outer.body().size(), "a let, then the pixel loop");
    Stmt.Let let = assertInstanceOf(Stmt.Let.class, outer.body().get(0));
    assertEquals(scale, let.value());
    Stmt.Loop inner = assertInstanceOf(Stmt.Loop.class, outer.body().get(1));
    Stmt.Store store = (Stmt.Store) inner.body().getFirst();
    assertEquals(new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(x, element), new Expr.LocalRef(let.local())),
        store.value());
  }

  @Test
  void valuesThatVaryOrAreCheapStay() {
    List<Stmt> varying = perChannel(rsqrt(new Expr.Load(x, element)));
    assertEquals(varying, LoopInvariants.apply(varying), "the value depends on the pixel");
    List<Stmt> bareLoad = perChannel(new Expr.Load(variance, Index.of(channel)));
    assertEquals(bareLoad, LoopInvariants.apply(bareLoad), "a bare load is as cheap as a local");
    List<Stmt> stored = perChannel(rsqrt(new Expr.Load(y, Index.of(channel))));
    assertEquals(stored, LoopInvariants.apply(stored), "y is written inside the loop");
  }

  @Test
  void nothingLeavesABranchThatTheLoopTakesOnlySometimes() {
    Expr guarded = new Expr.Select(
        new Expr.Compare(Op.CompareFn.LT, new Expr.IndexValue(Index.of(pixel)), new Expr.Const(DType.I32, 8)),
        rsqrt(new Expr.Load(variance, Index.of(channel))), new Expr.Const(DType.F32, 0));
    List<Stmt> body = perChannel(guarded);
    assertEquals(body, LoopInvariants.apply(body));
  }

  @Test
  void topLevelLoopsKeepTheirInvariantsForTheirChunkMethods() {
    Expr scale = rsqrt(new Expr.Load(variance, Index.ZERO));
    List<Stmt> flat = List.of(new Stmt.Loop(pixel, Size.of(64), List.of(
        new Stmt.Store(y, Index.of(pixel), new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(x, Index.of(pixel)), scale))),
        true));
    assertEquals(flat, LoopInvariants.apply(flat));
  }

  @Test
  void hoistingARegionNamesFreshLocalsAndSharesRepeatedValues() {
    Expr scale = rsqrt(new Expr.Load(variance, Index.of(channel)));
    Stmt twice = new Stmt.Store(y, element, new Expr.Binary(Op.BinaryFn.ADD,
        new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(x, element), scale), scale));
    LoopInvariants.Hoisted h = LoopInvariants.hoist(List.of(twice), Set.of(pixel), 7);
    assertEquals(List.of(new Stmt.Let(new Local(7, DType.F32), scale)), h.before());
    Expr local = new Expr.LocalRef(new Local(7, DType.F32));
    assertEquals(List.of(new Stmt.Store(y, element, new Expr.Binary(Op.BinaryFn.ADD,
        new Expr.Binary(Op.BinaryFn.MUL, new Expr.Load(x, element), local), local))), h.body());
  }
}
