package dev.adjoint.tests

import dev.adjoint.autodiff.Autodiff
import dev.adjoint.autodiff.Losses
import dev.adjoint.dsl.GraphBuilder
import dev.adjoint.dsl.Padding
import dev.adjoint.ir.DType
import dev.adjoint.ir.Initializer
import dev.adjoint.ir.NDArray
import dev.adjoint.ir.Shape
import dev.adjoint.nn.BatchNorm
import dev.adjoint.nn.Conv2d
import dev.adjoint.nn.Dense
import dev.adjoint.reference.ReferenceInterpreter
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** The DSL from Kotlin: operators, no wrappers on our side. */
class KotlinUsageTest {

  @Test
  fun `operators build and differentiate a linear model`() {
    val b = GraphBuilder("linear")
    val x = b.input("x", DType.F64, Shape.BATCH, 2)
    val target = b.input("target", DType.F64, Shape.BATCH, 1)
    val w = b.parameter("w", DType.F64, Initializer.zeros(), 2, 1)
    val bias = b.parameter("b", DType.F64, Initializer.zeros(), 1)

    val prediction = x.matmul(w) + bias
    val loss = Losses.mse(prediction, target)
    val (dw, db) = Autodiff.gradients(loss, w, bias)
    val graph = b.build(loss, dw, db)

    // Two rows; w = (1, 2), b = 0.5.
    val xs = doubleArrayOf(1.0, 2.0, 3.0, -1.0)
    val ts = doubleArrayOf(4.0, 0.0)
    val out = ReferenceInterpreter.run(graph, mapOf(
        "x" to NDArray.of(DType.F64, intArrayOf(2, 2), *xs),
        "target" to NDArray.of(DType.F64, intArrayOf(2, 1), *ts),
        "w" to NDArray.of(DType.F64, intArrayOf(2, 1), 1.0, 2.0),
        "b" to NDArray.of(DType.F64, intArrayOf(1), 0.5)))

    // Residuals r = x·w + b - t: row 0: 1+4+0.5-4 = 1.5, row 1: 3-2+0.5-0 = 1.5.
    val r = doubleArrayOf(1.5, 1.5)
    assertEquals((r[0] * r[0] + r[1] * r[1]) / 2, out[0].item(), 1e-15)
    // dL/dw_k = (2/N)·Σ r_n x_nk, dL/db = (2/N)·Σ r_n.
    assertEquals(r[0] * xs[0] + r[1] * xs[2], out[1].get(0), 1e-15)
    assertEquals(r[0] * xs[1] + r[1] * xs[3], out[1].get(1), 1e-15)
    assertEquals(r[0] + r[1], out[2].item(), 1e-15)
  }

  @Test
  fun `unary minus, division and indexing read as Kotlin operators`() {
    val b = GraphBuilder("ops")
    val m = b.input("m", DType.F64, 2, 3)
    val row = -m[1] / 2.0 - 1.0
    val graph = b.build(row)
    val out = ReferenceInterpreter.run(graph, mapOf(
        "m" to NDArray.of(DType.F64, intArrayOf(2, 3), 0.0, 0.0, 0.0, 2.0, 4.0, -6.0)))[0]
    assertEquals(Shape.of(3), out.shape())
    assertEquals(listOf(-2.0, -3.0, 2.0), out.toDoubleArray().toList())
  }

  @Test
  fun `layers are called like functions`() {
    val b = GraphBuilder("cnn").training(false)
    val images = b.input("images", DType.F64, Shape.BATCH, 1, 6, 6)
    val conv = Conv2d.of(1, 4, 3).padding(Padding.same()).build(b, "conv", DType.F64)
    val bn = BatchNorm.create(b, "bn", DType.F64, 4)
    val head = Dense.xavier(b, "head", DType.F64, 4, 2)
    val logits = head(bn(conv(images)).relu().maxPool2d(2, 2).globalAvgPool())
    assertEquals("f64[N,2]", logits.type().toString())
    assertEquals(listOf("conv/w", "conv/b", "bn/gamma", "bn/beta", "head/w", "head/b"),
        b.build(logits).parameters().map { it.name() })
  }
}
