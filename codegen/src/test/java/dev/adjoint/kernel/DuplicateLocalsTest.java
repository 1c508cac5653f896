package dev.adjoint.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Op;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which repeated locals a kernel computes once, and which it must compute again. */
class DuplicateLocalsTest {
  private final Buffer x = new Buffer(0, "x", DType.F32, Size.of(64), Buffer.Role.INPUT);
  private final Buffer y = new Buffer(1, "y", DType.F32, Size.of(64), Buffer.Role.OUTPUT);
  private final Buffer stats = new Buffer(2, "stats", DType.F32, Size.of(4), Buffer.Role.OUTPUT);
  private final Var channel = new Var(0);

  /** {@code sum over p < 16: x[16c + p]²}, over its own variable. */
  private Stmt.Reduce sumOfSquares(Local target, Buffer of, Var pixel) {
    Expr v = new Expr.Load(of, Index.of(channel).times(16).plus(Index.of(pixel)));
    return new Stmt.Reduce(target, Stmt.Combine.SUM, List.of(pixel), List.of(Size.of(16)),
        new Expr.Binary(Op.BinaryFn.MUL, v, v));
  }

  private static Expr.Cast mean(Local sum) {
    return new Expr.Cast(DType.F32, new Expr.Binary(Op.BinaryFn.DIV, new Expr.LocalRef(sum),
        new Expr.Const(DType.F64, 16)));
  }

  private Stmt.Store store(Buffer to, Local value) {
    return new Stmt.Store(to, Index.of(channel), new Expr.LocalRef(value));
  }

  private List<Stmt> perChannel(List<Stmt> body) {
    return List.of(new Stmt.Loop(channel, Size.of(4), body, true));
  }

  @Test
  void aRepeatedReductionAndWhatReadsItAreComputedOnce() {
    Local sum0 = new Local(0, DType.F64);
    Local mean0 = new Local(1, DType.F32);
    Local sum1 = new Local(2, DType.F64);
    Local mean1 = new Local(3, DType.F32);
    List<Stmt> body = perChannel(List.of(
        sumOfSquares(sum0, x, new Var(1)), new Stmt.Let(mean0, mean(sum0)),
        sumOfSquares(sum1, x, new Var(2)), new Stmt.Let(mean1, mean(sum1)),
        store(stats, mean0), store(y, mean1)));
    List<Stmt> expected = perChannel(List.of(
        sumOfSquares(sum0, x, new Var(1)), new Stmt.Let(mean0, mean(sum0)),
        store(stats, mean0), store(y, mean0)));
    assertEquals(expected, DuplicateLocals.apply(body));
  }

  @Test
  void aValueIsComputedAgainAfterAStoreToWhatItReads() {
    Local sum0 = new Local(0, DType.F64);
    Local mean0 = new Local(1, DType.F32);
    Local sum1 = new Local(2, DType.F64);
    Local mean1 = new Local(3, DType.F32);
    List<Stmt> body = perChannel(List.of(
        sumOfSquares(sum0, y, new Var(1)), new Stmt.Let(mean0, mean(sum0)), store(y, mean0),
        sumOfSquares(sum1, y, new Var(2)), new Stmt.Let(mean1, mean(sum1)), store(stats, mean1)));
    assertEquals(body, DuplicateLocals.apply(body), "y changed between the two sums");
  }

  @Test
  void reductionsOverDifferentExtentsOrValuesStayApart() {
    Local sum0 = new Local(0, DType.F64);
    Local sum1 = new Local(1, DType.F64);
    Local sum2 = new Local(2, DType.F64);
    Stmt.Reduce first = sumOfSquares(sum0, x, new Var(1));
    Stmt.Reduce shorter = new Stmt.Reduce(sum1, Stmt.Combine.SUM, first.vars(), List.of(Size.of(8)), first.value());
    Stmt.Reduce max = new Stmt.Reduce(new Local(3, DType.F32), Stmt.Combine.MAX, first.vars(), first.extents(),
        first.value());
    Stmt.Reduce ofY = sumOfSquares(sum2, y, new Var(2));
    List<Stmt> body = perChannel(List.of(first, shorter, max, ofY));
    assertEquals(body, DuplicateLocals.apply(body));
  }
}
