package dev.adjoint.tests.opinfo;

import static dev.adjoint.ir.DType.BOOL;
import static dev.adjoint.ir.DType.F32;
import static dev.adjoint.ir.DType.F64;
import static dev.adjoint.ir.DType.I32;
import static dev.adjoint.ir.DType.I64;
import static dev.adjoint.tests.opinfo.OpInfo.row;
import static dev.adjoint.tests.opinfo.ReferenceMath.array;
import static dev.adjoint.tests.opinfo.ReferenceMath.elementwise;
import static dev.adjoint.tests.opinfo.ReferenceMath.map;

import dev.adjoint.dsl.CustomVjpRule;
import dev.adjoint.ir.DType;
import dev.adjoint.ir.Initializer;
import dev.adjoint.ir.NDArray;
import dev.adjoint.ir.Op;
import dev.adjoint.ir.Op.BinaryFn;
import dev.adjoint.ir.Op.CompareFn;
import dev.adjoint.ir.Op.ReduceFn;
import dev.adjoint.ir.Op.Reduction;
import dev.adjoint.ir.Op.UnaryFn;
import dev.adjoint.ir.Shape;
import dev.adjoint.ir.TensorType;
import dev.adjoint.runtime.Philox;
import dev.adjoint.testing.InputDomain;
import dev.adjoint.tests.opinfo.OpInfo.NodeBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.apache.commons.math3.special.Erf;
import org.jspecify.annotations.Nullable;

/**
 * The OpInfo table: one row per op, per member of the op enum families, and per reduction and
 * label kind of softmax cross-entropy; several rows where an attribute changes what an op does
 * (reduction axes, matmul transposes, dropout probability). {@link OpInfoCoverageTest} fails when
 * an op or enum member has no row.
 */
final class OpInfos {
  private OpInfos() {}

  private static final int N = Shape.BATCH;
  private static final Initializer INIT = new Initializer.Uniform(-0.5, 1.5);
  private static final long RANDOM_SEED = 1234;
  private static final long RANDOM_KEY = 7;
  private static final int DEPTH = 4;

  /** Uniform in [-2, 2] plus one offset of -800, 0 or 800 per tensor: exp overflows unless the op shifts. */
  private static final InputDomain LARGE_LOGITS = InputDomain.custom("logits offset by 0 or ±800",
      (type, rng) -> {
        double offset = 800.0 * (rng.nextInt(3) - 1);
        NDArray base = InputDomain.REAL.sample(type, rng);
        return NDArray.generate(type.dtype(), type.shape(), i -> base.get(i) + offset);
      });

  /** Integers up to about ±8e9, so narrowing to i32 wraps. */
  private static final InputDomain WIDE_INTEGERS = InputDomain.custom("integers[-2^33, 2^33]",
      (type, rng) -> NDArray.generate(type.dtype(), type.shape(), i -> (double) (rng.nextLong() >> 30)));

  /** Any i32, so sums and products wrap; i64 values within ±2^26, so products stay exact in a double. */
  private static final InputDomain WRAPPING_INTEGERS = InputDomain.custom("i32 any, i64 within ±2^26",
      (type, rng) -> NDArray.generate(type.dtype(), type.shape(),
          i -> type.dtype() == I32 ? rng.nextInt() : rng.nextInt(1 << 27) - (1 << 26)));

  /** Reals within ±40 or, for about half of the elements, within ±3e9: beyond the i32 range. */
  private static final InputDomain BEYOND_I32 = InputDomain.custom("reals within ±40 or ±3e9",
      (type, rng) -> NDArray.generate(type.dtype(), type.shape(),
          i -> (rng.nextBoolean() ? 40 : 3e9) * (2 * rng.nextDouble() - 1)));

  private static final CustomVjpRule TANH_RULE =
      (inputs, output, cotangent) -> List.of(cotangent.times(output.square().unaryMinus().plus(1)));
  private static final CustomVjpRule PRODUCT_RULE =
      (inputs, output, cotangent) -> List.of(cotangent.times(inputs.get(1)), cotangent.times(inputs.get(0)));

  private static final List<OpInfo> ROWS = rows();

  static List<OpInfo> all() {
    return ROWS;
  }

  /** The row called {@code name}. */
  static OpInfo named(String name) {
    return ROWS.stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no OpInfo row named '" + name + "'"));
  }

  private static List<OpInfo> rows() {
    List<OpInfo> rows = new ArrayList<>(List.of(input(), parameter(), state(), constant()));
    Arrays.stream(UnaryFn.values()).map(OpInfos::unary).forEach(rows::add);
    Arrays.stream(BinaryFn.values()).map(OpInfos::binary).forEach(rows::add);
    Arrays.stream(CompareFn.values()).map(OpInfos::compare).forEach(rows::add);
    rows.add(select());
    rows.addAll(casts());
    rows.add(stopGradient());
    for (ReduceFn fn : ReduceFn.values()) {
      rows.addAll(reductions(fn));
    }
    rows.addAll(sizeOf());
    rows.addAll(reshapes());
    rows.addAll(transposes());
    rows.add(broadcast());
    rows.add(slice());
    rows.add(pad());
    rows.addAll(concats());
    for (boolean transposeA : new boolean[] {false, true}) {
      for (boolean transposeB : new boolean[] {false, true}) {
        rows.add(matmul(transposeA, transposeB));
      }
    }
    rows.addAll(convolutions());
    rows.addAll(poolings());
    rows.addAll(normalizations());
    rows.add(oneHot());
    for (boolean log : new boolean[] {false, true}) {
      rows.add(softmax(log, "last axis", rank -> rank - 1, List.of(f(2, 3), f(4), f(N, 3), f(2, 1, 3), f(1, 4))));
      rows.add(softmax(log, "axis 0", rank -> 0, List.of(f(2, 3), f(N, 3), f(3), f(1, 2))));
    }
    for (Reduction reduction : Reduction.values()) {
      rows.add(crossEntropyWithLabels(reduction));
      rows.add(crossEntropyWithProbabilities(reduction));
    }
    rows.add(randomUniform());
    for (double p : new double[] {0, 0.3, 1}) {
      rows.add(dropout(p));
    }
    rows.addAll(customVjps());
    return List.copyOf(rows);
  }

  // ---- types ----

  /** A floating operand type: f64 as written, the dtype under test when run. */
  private static TensorType f(int... dims) {
    return new TensorType(F64, Shape.of(dims));
  }

  private static TensorType i32(int... dims) {
    return new TensorType(I32, Shape.of(dims));
  }

  private static TensorType i64(int... dims) {
    return new TensorType(I64, Shape.of(dims));
  }

  private static TensorType bool(int... dims) {
    return new TensorType(BOOL, Shape.of(dims));
  }

  private static NodeBuilder op(Op op) {
    return (b, xs, _) -> b.add(op, xs);
  }

  private static List<Integer> allAxes(int rank) {
    return IntStream.range(0, rank).boxed().toList();
  }

  // ---- leaves: the subject is the operand's leaf itself ----

  private static OpInfo input() {
    return row("input", (_, xs, _) -> xs.get(0))
        .operand("value", Domains.numeric(InputDomain.REAL))
        .sample(f(2, 3)).sample(f()).sample(f(N, 3)).sample(i32(4)).sample(bool(3))
        .reference((xs, _) -> map(xs.get(0), v -> v))
        .error("expects 0 operands, got 1", (b, xs, _) -> b.add(new Op.Input(f(2)), xs), f(2))
        .done();
  }

  /** The initial value of a parameter drawn from {@link #INIT}: low + (high - low)·Philox draw. */
  private static NDArray initialDraws(Shape shape, long key) {
    double[] v = new double[ReferenceMath.count(shape.dims())];
    for (int i = 0; i < v.length; i++) {
      v[i] = -0.5 + 2.0 * Philox.uniform(OpCase.WEIGHT_SEED, 0, key, i);
    }
    return array(shape.dims(), v);
  }

  private static OpInfo parameter() {
    return row("parameter", (_, xs, _) -> xs.get(0))
        .operand("value", InputDomain.REAL, true, (b, name, t) -> b.parameter(name, t.dtype(), t.shape(), INIT))
        .sample(f(2, 3)).sample(f()).sample(f(1, 4))
        .reference((_, node) -> initialDraws(node.shape(), ((Op.Parameter) node.op()).key()))
        .error("a parameter must be f32 or f64, got i32", (b, _, _) -> b.add(new Op.Parameter(i32(2), INIT, 1)))
        .error("expects 0 operands, got 1", (b, xs, _) -> b.add(new Op.Parameter(f(2), INIT, 1), xs), f(2))
        .done();
  }

  private static OpInfo state() {
    return row("state", (_, xs, _) -> xs.get(0))
        .operand("value", InputDomain.REAL, true, (b, name, t) -> b.state(name, t.dtype(), t.shape(), INIT))
        .sample(f(2, 3)).sample(f()).sample(f(4, 1))
        // States draw with node key 0 (Weights.initialize).
        .reference((_, node) -> initialDraws(node.shape(), 0))
        .error("expects 0 operands, got 1", (b, xs, _) -> b.add(new Op.State(f(2), INIT), xs), f(2))
        .done();
  }

  private static OpInfo constant() {
    return row("constant", (_, xs, _) -> xs.get(0))
        .operand("value", InputDomain.REAL, false,
            (b, name, t) -> b.constant(NDArray.generate(t.dtype(), t.shape(), i -> i % 5 - 1.75 + 0.5 * i)).named(name))
        .sample(f(2, 3)).sample(f()).sample(i64(3)).sample(bool(2, 2))
        .reference((xs, _) -> map(xs.get(0), v -> v))
        // A constant has nothing to differentiate.
        .gradientUnchecked()
        .error("expects 0 operands, got 1", (b, xs, _) -> b.add(new Op.Constant(NDArray.scalar(F64, 1)), xs), f(2))
        .done();
  }

  // ---- elementwise ----

  private static OpInfo unary(UnaryFn fn) {
    boolean integerOk = switch (fn) {
      case NEG, ABS, SIGN -> true;
      case EXP, EXPM1, LOG, LOG1P, SQRT, RECIPROCAL, TANH, SIGMOID, RELU, ERF -> false;
    };
    InputDomain domain = switch (fn) {
      case LOG, SQRT, RECIPROCAL -> InputDomain.POSITIVE;
      case LOG1P -> InputDomain.uniform(-0.5, 2);
      case ABS, RELU -> InputDomain.AWAY_FROM_ZERO;
      case SIGN -> Domains.withZeros(InputDomain.AWAY_FROM_ZERO);
      case NEG, EXP, EXPM1, TANH, SIGMOID, ERF -> InputDomain.REAL;
    };
    DoubleUnaryOperator definition = switch (fn) {
      case NEG -> x -> -x;
      case ABS -> x -> x < 0 ? -x : x;
      case SIGN -> x -> x > 0 ? 1 : x < 0 ? -1 : 0;
      case EXP -> Math::exp;
      case EXPM1 -> Math::expm1;
      case LOG -> Math::log;
      case LOG1P -> Math::log1p;
      case SQRT -> Math::sqrt;
      case RECIPROCAL -> x -> 1 / x;
      case TANH -> x -> Math.expm1(2 * x) / (Math.expm1(2 * x) + 2);
      case SIGMOID -> x -> 1 / (1 + Math.exp(-x));
      case RELU -> x -> x > 0 ? x : 0;
      case ERF -> Erf::erf;
    };
    InputDomain operandDomain = integerOk ? Domains.numeric(domain) : domain;
    OpInfo.Builder r = row(fn.text(), op(new Op.Unary(fn)));
    if (fn == UnaryFn.SIGN) {
      r.fixedOperand("x", operandDomain).zeroGradient();
    } else {
      r.operand("x", operandDomain);
    }
    r.sample(f(2, 3)).sample(f()).sample(f(1, 4)).sample(f(N, 2)).sample(f(2, 1, 3));
    if (integerOk) {
      r.sample(i32(5)).sample(i64(2, 2));
      r.error("operand 0 must be numeric, got bool", bool(3));
    } else {
      r.error("operand 0 must be f32 or f64, got i32", i32(3));
    }
    return r.reference((xs, _) -> map(xs.get(0), definition))
        .error("expects 1 operand, got 2", f(2), f(2))
        .done();
  }

  private static double binary(BinaryFn fn, double a, double b, DType dtype) {
    if (dtype.isInteger()) {
      long wide = integerBinary(fn, (long) a, (long) b);
      return dtype == I32 ? (int) wide : wide;
    }
    return switch (fn) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case POW -> Math.exp(b * Math.log(a));
      case MAX -> a >= b ? a : b;
      case MIN -> a <= b ? a : b;
    };
  }

  /** Integer arithmetic in 64 bits; division truncates toward zero. */
  private static long integerBinary(BinaryFn fn, long a, long b) {
    return switch (fn) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case POW -> throw new IllegalArgumentException("pow has no integer form");
      case MAX -> Math.max(a, b);
      case MIN -> Math.min(a, b);
    };
  }

  private static OpInfo binary(BinaryFn fn) {
    InputDomain first = switch (fn) {
      case ADD, SUB, MUL -> Domains.byDType(InputDomain.REAL, WRAPPING_INTEGERS);
      case DIV, MAX, MIN -> Domains.numeric(InputDomain.REAL);
      case POW -> InputDomain.POSITIVE;
    };
    InputDomain second = switch (fn) {
      case ADD, SUB, MUL -> Domains.byDType(InputDomain.REAL, WRAPPING_INTEGERS);
      case DIV -> Domains.byDType(InputDomain.AWAY_FROM_ZERO, Domains.NON_ZERO_INTEGERS);
      case POW -> InputDomain.REAL;
      case MAX, MIN -> Domains.apartFromFirstOperand(0.1, false);
    };
    OpInfo.Builder r = row(fn.text(), op(new Op.Binary(fn)))
        .operand("a", first).operand("b", second)
        .sample(f(2, 3), f(2, 3)).sample(f(2, 3), f(3)).sample(f(2, 1), f(1, 3)).sample(f(), f(2, 2))
        .sample(f(N, 3), f(3)).sample(f(3), f(N, 3)).sample(f(N, 1), f(1, 4))
        .reference((xs, node) -> elementwise(xs, e -> binary(fn, e[0], e[1], node.dtype())))
        .error("shapes [2,3] and [4] do not broadcast", f(2, 3), f(4))
        .error("shapes [N,3] and [2,3] do not broadcast", f(N, 3), f(2, 3))
        .error("operands 0 and 1 have different dtypes f64 and i32", f(2), i32(2))
        .error(fn.text() + " is not defined for bool", bool(2), bool(2))
        .error("expects 2 operands, got 1", f(2));
    if (fn == BinaryFn.POW) {
      r.error("pow is not defined for i32", i32(2), i32(2));
    } else {
      r.sample(i32(3), i32(3)).sample(i64(2, 2), i64(2));
    }
    return r.done();
  }

  private static boolean compare(CompareFn fn, double a, double b) {
    return switch (fn) {
      case EQ -> a == b;
      case NE -> a != b;
      case LT -> a < b;
      case LE -> a <= b;
      case GT -> a > b;
      case GE -> a >= b;
    };
  }

  private static OpInfo compare(CompareFn fn) {
    return row(fn.text(), op(new Op.Compare(fn)))
        .fixedOperand("a", Domains.numeric(InputDomain.REAL))
        .fixedOperand("b", Domains.apartFromFirstOperand(0.1, true))
        .sample(f(2, 3), f(2, 3)).sample(f(2, 3), f(3)).sample(f(), f(4)).sample(f(N, 2), f(N, 2))
        .sample(f(N, 1), f(3)).sample(i32(4), i32(4)).sample(i64(2, 1), i64(3)).sample(bool(3), bool(3))
        .zeroGradient()
        .reference((xs, _) -> elementwise(xs, e -> compare(fn, e[0], e[1]) ? 1 : 0))
        .error("operands 0 and 1 have different dtypes f64 and i32", f(2), i32(2))
        .error("shapes [2] and [3] do not broadcast", f(2), f(3))
        .error("expects 2 operands, got 3", f(2), f(2), f(2))
        .done();
  }

  private static OpInfo select() {
    return row("select", op(new Op.Select()))
        .fixedOperand("condition", InputDomain.BOOLEAN)
        .operand("a", Domains.numeric(InputDomain.REAL))
        .operand("b", Domains.numeric(InputDomain.REAL))
        .sample(bool(2, 3), f(2, 3), f(2, 3)).sample(bool(2, 1), f(3), f()).sample(bool(3), f(2, 3), f(2, 1))
        .sample(bool(N, 2), f(N, 2), f(2)).sample(bool(), f(2), f(2)).sample(bool(2), i32(2), i32(2))
        .reference((xs, _) -> elementwise(xs, e -> e[0] != 0 ? e[1] : e[2]))
        .error("operand 0 (the condition) must be bool, got f64", f(2), f(2), f(2))
        .error("operands 1 and 2 have different dtypes f64 and i32", bool(2), f(2), i32(2))
        .error("shapes [3] and [2] do not broadcast", bool(3), f(2), f(2))
        .error("expects 3 operands, got 2", bool(2), f(2))
        .done();
  }

  /** Rounds toward zero, as a cast from floating to integer does. */
  private static double truncate(double x) {
    return x < 0 ? Math.ceil(x) : Math.floor(x);
  }

  private static List<OpInfo> casts() {
    InputDomain integral = Domains.byDType(BEYOND_I32, WIDE_INTEGERS);
    return List.of(
        row("cast(to real)", (b, xs, real) -> b.add(new Op.Cast(real), xs))
            .operand("x", Domains.numeric(InputDomain.REAL))
            .sample(f(2, 3)).sample(f()).sample(f(N, 2)).sample(i32(4)).sample(i64(2, 2)).sample(bool(3))
            .reference((xs, _) -> map(xs.get(0), v -> v))
            .error("expects 1 operand, got 2", f(2), f(2))
            .done(),
        row("cast(to the other real)", (b, xs, real) -> b.add(new Op.Cast(real == F64 ? F32 : F64), xs))
            .fixedOperand("x", InputDomain.REAL)
            .sample(f(2, 3)).sample(f()).sample(f(N, 2))
            .reference((xs, node) -> map(xs.get(0), v -> node.dtype() == F32 ? (float) v : v))
            // In the f64 run the result is f32, too coarse for finite differences at eps 1e-6.
            .gradientUnchecked()
            .error("expects 1 operand, got 0", (b, _, _) -> b.add(new Op.Cast(F32)))
            .done(),
        row("cast(to i32)", op(new Op.Cast(I32)))
            .fixedOperand("x", integral)
            .sample(f(2, 3)).sample(f()).sample(f(N, 2)).sample(i64(4))
            // Floating values truncate toward zero and saturate at the i32 range; i64 values wrap to 32 bits.
            .reference((xs, _) -> map(xs.get(0), v -> xs.get(0).dtype().isInteger()
                ? (int) (long) v
                : Math.clamp(truncate(v), Integer.MIN_VALUE, Integer.MAX_VALUE)))
            .zeroGradient()
            .error("expects 1 operand, got 2", f(2), f(2))
            .done(),
        row("cast(to i64)", op(new Op.Cast(I64)))
            .fixedOperand("x", integral)
            .sample(f(2, 3)).sample(f()).sample(f(N, 2)).sample(i32(4))
            .reference((xs, _) -> map(xs.get(0), OpInfos::truncate))
            .zeroGradient()
            .error("expects 1 operand, got 2", f(2), f(2))
            .done(),
        row("cast(to bool)", op(new Op.Cast(BOOL)))
            .fixedOperand("x", Domains.byDType(Domains.withZeros(InputDomain.REAL), Domains.SMALL_INTEGERS))
            .sample(f(2, 3)).sample(f()).sample(f(N, 2)).sample(i32(6))
            .reference((xs, _) -> map(xs.get(0), v -> v != 0 ? 1 : 0))
            .zeroGradient()
            .error("expects 1 operand, got 2", f(2), f(2))
            .done());
  }

  private static OpInfo stopGradient() {
    return row("stop_gradient", op(new Op.StopGradient()))
        .fixedOperand("x", Domains.numeric(InputDomain.REAL))
        .sample(f(2, 3)).sample(f()).sample(f(N, 3)).sample(i32(3))
        .reference((xs, _) -> map(xs.get(0), v -> v))
        .zeroGradient()
        .error("expects 1 operand, got 2", f(2), f(2))
        .done();
  }

  // ---- reductions ----

  private static List<OpInfo> reductions(ReduceFn fn) {
    InputDomain domain = switch (fn) {
      case SUM, MEAN -> Domains.numeric(InputDomain.REAL);
      case MAX, MIN -> Domains.numeric(InputDomain.DISTINCT);
    };
    ToDoubleFunction<double[]> fold = switch (fn) {
      case SUM -> ReferenceMath::sum;
      case MEAN -> v -> ReferenceMath.sum(v) / v.length;
      case MAX -> ReferenceMath::max;
      case MIN -> ReferenceMath::min;
    };
    boolean integerOk = fn != ReduceFn.MEAN;
    return List.of(
        reduction(fn, "last axis", rank -> List.of(rank - 1), false, domain, fold,
            integerOk ? List.of(f(2, 3), f(4), f(N, 3), f(2, 1, 3), f(3, 1), i32(2, 3))
                : List.of(f(2, 3), f(4), f(N, 3), f(2, 1, 3), f(3, 1))),
        reduction(fn, "all axes, keep_dims", OpInfos::allAxes, true, domain, fold,
            integerOk ? List.of(f(2, 3), f(), f(N, 2), f(1, 4), i64(3)) : List.of(f(2, 3), f(), f(N, 2), f(1, 4))),
        reduction(fn, "axes [0, 2]", _ -> List.of(0, 2), false, domain, fold,
            List.of(f(2, 3, 2), f(N, 2, 2), f(1, 3, 1))));
  }

  private static OpInfo reduction(ReduceFn fn, String axesLabel, IntFunction<List<Integer>> axes, boolean keepDims,
      InputDomain domain, ToDoubleFunction<double[]> fold, List<TensorType> samples) {
    OpInfo.Builder r = row(fn.text() + "(" + axesLabel + ")",
            (b, xs, _) -> b.add(new Op.Reduce(fn, axes.apply(xs.get(0).rank()), keepDims), xs))
        .operand("x", domain)
        .reference((xs, node) -> {
          Op.Reduce reduce = (Op.Reduce) node.op();
          return ReferenceMath.reduce(xs.get(0), reduce.axes(), reduce.keepDims(), fold);
        })
        .error("axis 3 is out of range for rank 2", (b, xs, _) -> b.add(new Op.Reduce(fn, List.of(3), false), xs), f(2, 3))
        .error("axis 1 is repeated in [1, 1]", (b, xs, _) -> b.add(new Op.Reduce(fn, List.of(1, 1), false), xs), f(2, 3))
        .error(fn.text() + " is not defined for " + (fn == ReduceFn.MEAN ? "i32" : "bool"),
            (b, xs, _) -> b.add(new Op.Reduce(fn, List.of(0), false), xs), fn == ReduceFn.MEAN ? i32(3) : bool(3))
        .error("expects 1 operand, got 2", (b, xs, _) -> b.add(new Op.Reduce(fn, List.of(0), false), xs), f(2), f(2));
    samples.forEach(r::sample);
    return r.done();
  }

  private static List<OpInfo> sizeOf() {
    OpInfo.Reference product = (xs, node) -> {
      double size = 1;
      for (int axis : ((Op.SizeOf) node.op()).axes()) {
        size *= xs.get(0).shape().dim(axis);
      }
      return array(new int[0], new double[] {size});
    };
    return List.of(
        row("size_of(all axes)", (b, xs, real) -> b.add(new Op.SizeOf(allAxes(xs.get(0).rank()), real), xs))
            .fixedOperand("x", Domains.numeric(InputDomain.REAL))
            .sample(f(2, 3)).sample(f(N, 4)).sample(f()).sample(i32(3)).sample(bool(2, 2))
            .reference(product)
            .zeroGradient()
            .error("axis 2 is out of range for rank 2", (b, xs, _) -> b.add(new Op.SizeOf(List.of(2), F64), xs), f(2, 3))
            .error("size_of cannot produce bool", (b, xs, _) -> b.add(new Op.SizeOf(List.of(0), BOOL), xs), f(2))
            .error("expects 1 operand, got 2", f(2), f(2))
            .done(),
        row("size_of(axis 0)", (b, xs, real) -> b.add(new Op.SizeOf(List.of(0), real), xs))
            .fixedOperand("x", Domains.numeric(InputDomain.REAL))
            .sample(f(N, 3)).sample(f(4, 2)).sample(i64(5))
            .reference(product)
            .zeroGradient()
            .error("axis 0 is out of range for rank 0", f())
            .done());
  }

  // ---- layout ----

  /** {@code target} with N resolved to the batch of {@code x} (its dim 0). */
  private static int[] resolved(Shape target, NDArray x) {
    return (target.isBatched() ? target.resolve(x.shape().dim(0)) : target).dims();
  }

  private static List<OpInfo> reshapes() {
    OpInfo.Reference reshaped =
        (xs, node) -> array(resolved(((Op.Reshape) node.op()).shape(), xs.get(0)), xs.get(0).toDoubleArray());
    OpInfo reversed = withReshapeErrors(
        row("reshape(reversed dims)", (_, xs, _) -> xs.get(0).reshape(reversedDims(xs.get(0).shape())))
            .operand("x", Domains.numeric(InputDomain.REAL))
            .sample(f(2, 3)).sample(f(2, 1, 3)).sample(f(N, 2, 3)).sample(f()).sample(i32(2, 3))
            .reference(reshaped));
    OpInfo flattened = withReshapeErrors(
        row("reshape(flatten)", (_, xs, _) -> xs.get(0).reshape(flattened(xs.get(0).shape())))
            .operand("x", InputDomain.REAL)
            .sample(f(2, 3)).sample(f(N, 2, 2)).sample(f(1)).sample(f())
            .reference(reshaped));
    return List.of(reversed, flattened);
  }

  private static OpInfo withReshapeErrors(OpInfo.Builder r) {
    return r.error("cannot reshape [2,3] (6 elements) to [4] (4)", (_, xs, _) -> xs.get(0).reshape(4), f(2, 3))
        .error("cannot reshape batched [N,3] to [3]: keep N as dimension 0", (_, xs, _) -> xs.get(0).reshape(3), f(N, 3))
        .error("cannot reshape [2,3] to batched [N,3]: the operand has no batch dimension",
            (_, xs, _) -> xs.get(0).reshape(N, 3), f(2, 3))
        .error("expects 1 operand, got 2", (b, xs, _) -> b.add(new Op.Reshape(Shape.of(2)), xs), f(2), f(2))
        .done();
  }

  /** The dims reversed, N kept first; a scalar becomes [1,1]. */
  private static Shape reversedDims(Shape s) {
    if (s.rank() == 0) {
      return Shape.of(1, 1);
    }
    int from = s.isBatched() ? 1 : 0;
    int[] d = s.dims();
    for (int i = from; i < d.length; i++) {
      d[i] = s.dim(d.length - 1 - i + from);
    }
    return Shape.of(d);
  }

  /** One dimension, or [N, rest] for a batched shape; a scalar becomes [1]. */
  private static Shape flattened(Shape s) {
    if (s.isBatched()) {
      return Shape.of(N, Shape.of(Arrays.copyOfRange(s.dims(), 1, s.rank())).size());
    }
    return Shape.of(s.size());
  }

  private static List<OpInfo> transposes() {
    OpInfo.Reference transposed = (xs, node) -> ReferenceMath.transpose(xs.get(0), ((Op.Transpose) node.op()).permutation());
    OpInfo reversed = row("transpose(reversed axes)", (b, xs, _) -> {
          int rank = xs.get(0).rank();
          int from = xs.get(0).shape().isBatched() ? 1 : 0;
          List<Integer> perm = new ArrayList<>();
          for (int i = 0; i < rank; i++) {
            perm.add(i < from ? i : rank - 1 - i + from);
          }
          return b.add(new Op.Transpose(perm), xs);
        })
        .operand("x", Domains.numeric(InputDomain.REAL))
        .sample(f(2, 3)).sample(f(2, 1, 3)).sample(f(N, 2, 3)).sample(f()).sample(f(4)).sample(i32(2, 3))
        .reference(transposed)
        .error("permutation [0] has 1 entries for rank 2", (b, xs, _) -> b.add(new Op.Transpose(List.of(0)), xs), f(2, 3))
        .error("axis 0 is repeated in [0, 0]", (b, xs, _) -> b.add(new Op.Transpose(List.of(0, 0)), xs), f(2, 3))
        .error("axis 2 is out of range for rank 2", (b, xs, _) -> b.add(new Op.Transpose(List.of(0, 2)), xs), f(2, 3))
        .error("permutation [1, 0] moves the symbolic batch dimension N away from dimension 0",
            (b, xs, _) -> b.add(new Op.Transpose(List.of(1, 0)), xs), f(N, 3))
        .error("expects 1 operand, got 2", (b, xs, _) -> b.add(new Op.Transpose(List.of(0)), xs), f(2), f(2))
        .done();
    OpInfo rotated = row("transpose(rotate axes)", op(new Op.Transpose(List.of(1, 2, 0))))
        .operand("x", InputDomain.REAL)
        .sample(f(2, 3, 4)).sample(f(1, 2, 3)).sample(f(3, 1, 1))
        .reference(transposed)
        .error("permutation [1, 2, 0] has 3 entries for rank 2", f(2, 3))
        .done();
    return List.of(reversed, rotated);
  }

  private static OpInfo broadcast() {
    return row("broadcast", (_, xs, _) -> {
          Shape s = xs.get(0).shape();
          int[] d = s.dims();
          for (int i = s.isBatched() ? 1 : 0; i < d.length; i++) {
            d[i] = d[i] == 1 ? 3 : d[i];
          }
          if (s.isBatched()) {
            return xs.get(0).broadcastTo(Shape.of(d));
          }
          int[] target = new int[d.length + 1];
          target[0] = 2;
          System.arraycopy(d, 0, target, 1, d.length);
          return xs.get(0).broadcastTo(target);
        })
        .operand("x", Domains.numeric(InputDomain.REAL))
        .sample(f(1, 3)).sample(f(3)).sample(f()).sample(f(2, 1)).sample(f(N, 1)).sample(i32(1, 2))
        .reference((xs, node) ->
            ReferenceMath.broadcastTo(xs.get(0), resolved(((Op.Broadcast) node.op()).shape(), xs.get(0))))
        .error("cannot broadcast [2,3] to [3,3]", (b, xs, _) -> b.add(new Op.Broadcast(Shape.of(3, 3)), xs), f(2, 3))
        .error("cannot broadcast [N,3] to [2,3]", (b, xs, _) -> b.add(new Op.Broadcast(Shape.of(2, 3)), xs), f(N, 3))
        .error("expects 1 operand, got 2", (b, xs, _) -> b.add(new Op.Broadcast(Shape.of(2)), xs), f(2), f(2))
        .done();
  }

  private static OpInfo slice() {
    return row("slice", (b, xs, _) -> {
          Shape s = xs.get(0).shape();
          List<Integer> starts = new ArrayList<>();
          List<Integer> ends = new ArrayList<>();
          for (int a = 0; a < s.rank(); a++) {
            int d = s.dim(a);
            starts.add(d > 1 ? 1 : 0);
            ends.add(d == N ? N : d > 2 ? d - 1 : d);
          }
          return b.add(new Op.Slice(starts, ends), xs);
        })
        .operand("x", Domains.numeric(InputDomain.REAL))
        .sample(f(3, 4)).sample(f(4)).sample(f(N, 3)).sample(f(2, 1, 3)).sample(f()).sample(i32(5))
        .reference((xs, node) -> {
          Op.Slice s = (Op.Slice) node.op();
          int[] dims = xs.get(0).shape().dims();
          int[] ends = new int[dims.length];
          for (int a = 0; a < dims.length; a++) {
            ends[a] = s.ends().get(a) == N ? dims[a] : s.ends().get(a);
          }
          return ReferenceMath.slice(xs.get(0), s.starts().stream().mapToInt(Integer::intValue).toArray(), ends);
        })
        .error("slice [1, 5) is out of range for axis 1 of size 4",
            (b, xs, _) -> b.add(new Op.Slice(List.of(0, 1), List.of(3, 5)), xs), f(3, 4))
        .error("slice [2, 1) is out of range for axis 0 of size 4",
            (b, xs, _) -> b.add(new Op.Slice(List.of(2), List.of(1)), xs), f(4))
        .error("the symbolic batch dimension N must be sliced whole (start 0, end N)",
            (b, xs, _) -> b.add(new Op.Slice(List.of(1, 0), List.of(N, 3)), xs), f(N, 3))
        .error("slice bounds [0]..[1] do not match rank 2",
            (b, xs, _) -> b.add(new Op.Slice(List.of(0), List.of(1)), xs), f(3, 4))
        .error("expects 1 operand, got 2", (b, xs, _) -> b.add(new Op.Slice(List.of(0), List.of(1)), xs), f(2), f(2))
        .done();
  }

  private static OpInfo pad() {
    return row("pad", (b, xs, _) -> {
          Shape s = xs.get(0).shape();
          List<Integer> before = new ArrayList<>();
          List<Integer> after = new ArrayList<>();
          for (int a = 0; a < s.rank(); a++) {
            boolean batch = s.dim(a) == N;
            before.add(batch ? 0 : 1);
            after.add(batch || a != s.rank() - 1 ? 0 : 2);
          }
          return b.add(new Op.Pad(before, after, 0.5), xs);
        })
        .operand("x", Domains.numeric(InputDomain.REAL))
        .sample(f(2, 3)).sample(f(3)).sample(f()).sample(f(N, 2)).sample(i32(2))
        // The pad value is stored in the operand's dtype: 0.5 pads an i32 tensor with 0.
        .reference((xs, node) -> {
          Op.Pad p = (Op.Pad) node.op();
          return ReferenceMath.pad(xs.get(0), p.before().stream().mapToInt(Integer::intValue).toArray(),
              p.after().stream().mapToInt(Integer::intValue).toArray(), node.dtype().round(p.value()));
        })
        .error("padding must be non-negative, got -1/0 on axis 0",
            (b, xs, _) -> b.add(new Op.Pad(List.of(-1), List.of(0), 0), xs), f(3))
        .error("the symbolic batch dimension N cannot be padded",
            (b, xs, _) -> b.add(new Op.Pad(List.of(1, 0), List.of(0, 0), 0), xs), f(N, 2))
        .error("padding [1]/[1] does not match rank 2",
            (b, xs, _) -> b.add(new Op.Pad(List.of(1), List.of(1), 0), xs), f(2, 3))
        .error("expects 1 operand, got 2", (b, xs, _) -> b.add(new Op.Pad(List.of(0), List.of(0), 0), xs), f(2), f(2))
        .done();
  }

  private static List<OpInfo> concats() {
    OpInfo.Reference joined = (xs, node) -> ReferenceMath.concat(xs, ((Op.Concat) node.op()).axis());
    NodeBuilder lastAxis = (b, xs, _) -> b.concat(-1, xs);
    OpInfo two = row("concat(2 operands, last axis)", lastAxis)
        .operand("a", Domains.numeric(InputDomain.REAL))
        .operand("b", Domains.numeric(InputDomain.REAL))
        .sample(f(2, 3), f(2, 1)).sample(f(N, 2), f(N, 3)).sample(f(3), f(2)).sample(i32(2), i32(1))
        .reference(joined)
        .error("operand 1 differs from operand 0 on axis 0 (3 vs 2)", f(2, 3), f(3, 1))
        .error("operand 1 has rank 1, operand 0 has rank 2", f(2, 3), f(3))
        .error("operands 0 and 1 have different dtypes f64 and i32", f(2), i32(2))
        .error("cannot concatenate along the symbolic batch dimension N",
            (b, xs, _) -> b.add(new Op.Concat(0), xs), f(N, 2), f(N, 2))
        .error("axis 2 is out of range for rank 2", (b, xs, _) -> b.add(new Op.Concat(2), xs), f(2, 3), f(2, 3))
        .done();
    OpInfo three = row("concat(3 operands, axis 0)", op(new Op.Concat(0)))
        .operand("a", InputDomain.REAL).operand("b", InputDomain.REAL).operand("c", InputDomain.REAL)
        .sample(f(1, 2), f(2, 2), f(1, 2)).sample(f(1), f(1), f(1)).sample(f(2, 1, 2), f(1, 1, 2), f(1, 1, 2))
        .reference(joined)
        .error("operand 2 differs from operand 0 on axis 1 (3 vs 2)", f(1, 2), f(1, 2), f(1, 3))
        .error("expects at least one operand", (b, _, _) -> b.add(new Op.Concat(0)))
        .done();
    OpInfo one = row("concat(1 operand, last axis)", lastAxis)
        .operand("a", InputDomain.REAL)
        .sample(f(2, 3)).sample(f(N, 2)).sample(f(4))
        .reference(joined)
        .error("axis 0 is out of range for rank 0", (b, xs, _) -> b.add(new Op.Concat(0), xs), f())
        .done();
    return List.of(two, three, one);
  }

  // ---- linear algebra ----

  /**
   * Samples as logical {@code [..., M, K] x [..., K, N]} pairs, stored with the last two dims
   * swapped where the row transposes; a pair whose swap would move the batch N is left out.
   */
  private static OpInfo matmul(boolean transposeA, boolean transposeB) {
    List<String> flags = new ArrayList<>();
    if (transposeA) {
      flags.add("transpose_a");
    }
    if (transposeB) {
      flags.add("transpose_b");
    }
    String name = flags.isEmpty() ? "matmul" : "matmul(" + String.join(", ", flags) + ")";
    OpInfo.Builder r = row(name, op(new Op.MatMul(transposeA, transposeB)))
        .operand("a", InputDomain.REAL)
        .operand("b", InputDomain.REAL)
        .reference((xs, _) -> ReferenceMath.matmul(xs.get(0), xs.get(1), transposeA, transposeB))
        .error("inner dimensions differ", f(2, 3), f(5, 7))
        .error("both operands need rank >= 2 ([..., M, K] x [..., K, N])", f(3), f(3, 3))
        .error("batch dimensions [2] and [3] do not broadcast", f(2, 3, 3), f(3, 3, 3))
        .error("operand 0 must be f32 or f64, got i32", i32(2, 2), i32(2, 2))
        .error("expects 2 operands, got 1", f(2, 2));
    int[][][] logical = {
      {{2, 3}, {3, 4}}, {{1, 3}, {3, 1}}, {{2, 2, 3}, {3, 2}}, {{2, 1, 2, 3}, {3, 3, 2}}, {{N, 2, 3}, {3, 2}},
      {{N, 3}, {3, 2}}, {{3, 2}, {N, 2, 1}}
    };
    for (int[][] pair : logical) {
      int[] a = stored(pair[0], transposeA);
      int[] b = stored(pair[1], transposeB);
      if (a != null && b != null) {
        r.sample(f(a), f(b));
      }
    }
    if (transposeA && !transposeB) {
      // xᵀ·g of a dense layer: the contraction runs over the batch.
      r.sample(f(N, 3), f(N, 2));
    }
    if (transposeB) {
      r.error("the symbolic batch dimension N would end up at dimension 1 of the result",
          transposeA ? f(2, 3) : f(3, 2), f(N, 2));
    }
    return r.done();
  }

  /** {@code logical} with its last two dims swapped if {@code transposed}; null if that moves N. */
  private static int @Nullable [] stored(int[] logical, boolean transposed) {
    if (!transposed) {
      return logical;
    }
    int[] d = logical.clone();
    d[d.length - 2] = logical[d.length - 1];
    d[d.length - 1] = logical[d.length - 2];
    return d.length == 2 && logical[0] == N ? null : d;
  }

  // ---- convolution, pooling and normalization (NCHW) ----

  /** The eps of the normalization rows: the default, small enough that variances matter. */
  private static final double EPS = 1e-5;

  /**
   * One convolution setting and the {@code (input, weight)} types it is tried on; the backward rows
   * derive their operand types from the same pairs.
   */
  private record Convolution(String label, List<Integer> strides, List<Integer> padding, List<Integer> dilations,
      int groups, List<List<TensorType>> samples) {

    ReferenceMath.Window window(int kernelHeight, int kernelWidth) {
      return ReferenceMath.Window.of(List.of(kernelHeight, kernelWidth), strides, padding, dilations);
    }

    /** The forward output type of input {@code x} under weight {@code w}. */
    TensorType output(TensorType x, TensorType w) {
      Shape xs = x.shape();
      Shape ws = w.shape();
      ReferenceMath.Window window = window(ws.dim(2), ws.dim(3));
      return f(xs.dim(0), ws.dim(0), window.outputs(0, xs.dim(2)), window.outputs(1, xs.dim(3)));
    }
  }

  /** The convolution settings; a method, not a constant, because {@link #ROWS} is built first. */
  private static List<Convolution> convolutionSettings() {
    return List.of(
      new Convolution("stride 1, no padding", List.of(1, 1), List.of(0, 0, 0, 0), List.of(1, 1), 1, List.of(
          List.of(f(1, 3, 4, 4), f(2, 3, 3, 3)), List.of(f(N, 2, 3, 3), f(3, 2, 1, 1)),
          List.of(f(2, 1, 4, 5), f(2, 1, 2, 3)))),
      new Convolution("stride 2, asymmetric padding", List.of(2, 2), List.of(1, 0, 0, 2), List.of(1, 1), 1, List.of(
          List.of(f(2, 2, 5, 5), f(2, 2, 3, 3)), List.of(f(N, 1, 4, 5), f(2, 1, 2, 2)),
          List.of(f(1, 2, 4, 4), f(3, 2, 1, 1)))),
      new Convolution("dilation 2, padding 1", List.of(1, 1), List.of(1, 1, 1, 1), List.of(2, 2), 1, List.of(
          List.of(f(1, 2, 5, 5), f(2, 2, 2, 2)), List.of(f(N, 1, 4, 5), f(1, 1, 3, 2)))),
      new Convolution("groups 2, stride [2, 1]", List.of(2, 1), List.of(1, 1, 0, 1), List.of(1, 1), 2, List.of(
          List.of(f(2, 4, 4, 4), f(4, 2, 3, 3)), List.of(f(N, 2, 3, 3), f(2, 1, 2, 2)),
          List.of(f(1, 4, 3, 3), f(6, 2, 1, 1)))),
      new Convolution("depthwise, 3 channels", List.of(1, 1), List.of(1, 1, 1, 1), List.of(1, 1), 3, List.of(
          List.of(f(2, 3, 4, 4), f(3, 1, 3, 3)), List.of(f(N, 3, 3, 3), f(6, 1, 2, 2)))));
  }

  private static List<OpInfo> convolutions() {
    List<OpInfo> rows = new ArrayList<>();
    List<Convolution> settings = convolutionSettings();
    for (Convolution c : settings) {
      // The first setting's rows carry the error inputs.
      boolean first = c == settings.getFirst();
      rows.add(conv2d(c, first));
      rows.add(conv2dBackwardInput(c, first));
      rows.add(conv2dBackwardFilter(c, first));
    }
    return rows;
  }

  /** Builds a conv2d node with these attributes. */
  private static NodeBuilder conv(List<Integer> strides, List<Integer> padding, List<Integer> dilations, int groups) {
    return op(new Op.Conv2d(strides, padding, dilations, groups));
  }

  private static OpInfo conv2d(Convolution c, boolean withErrors) {
    OpInfo.Builder r = row("conv2d(" + c.label() + ")", conv(c.strides(), c.padding(), c.dilations(), c.groups()))
        .operand("x", InputDomain.REAL)
        .operand("w", InputDomain.REAL)
        // Commons Math products of im2col patches; ConvolutionReferenceTest checks them against direct loops.
        .reference((xs, _) -> ReferenceMath.conv2dIm2col(xs.get(0), xs.get(1),
            c.window(xs.get(1).shape().dim(2), xs.get(1).shape().dim(3)), c.groups()))
        .error("expects 2 operands, got 1", f(1, 1, 3, 3));
    c.samples().forEach(types -> r.sample(types.toArray(TensorType[]::new)));
    if (withErrors) {
      List<Integer> one = List.of(1, 1);
      List<Integer> none = List.of(0, 0, 0, 0);
      r.error("input channels 6 are not divisible by groups 4", conv(one, none, one, 4), f(2, 6, 5, 5), f(4, 2, 3, 3))
          .error("output channels 6 are not divisible by groups 4", conv(one, none, one, 4), f(2, 8, 5, 5), f(6, 2, 3, 3))
          .error("weight in-channels 2 do not match input channels 6 / groups 2 = 3", conv(one, none, one, 2),
              f(2, 6, 5, 5), f(4, 2, 3, 3))
          .error("weight in-channels 3 do not match input channels 2 / groups 1 = 2", f(N, 2, 5, 5), f(4, 3, 3, 3))
          .error("kernel 5 (dilated 9) is larger than the padded input height 6",
              conv(one, List.of(1, 1, 0, 0), List.of(2, 1), 1), f(1, 1, 4, 9), f(1, 1, 5, 1))
          .error("kernel 3 is larger than the padded input width 2", f(1, 1, 4, 2), f(1, 1, 1, 3))
          .error("strides must be >= 1, got [0, 1]", conv(List.of(0, 1), none, one, 1), f(1, 1, 3, 3), f(1, 1, 1, 1))
          .error("dilations must be >= 1, got [1, 0]", conv(one, none, List.of(1, 0), 1), f(1, 1, 3, 3), f(1, 1, 1, 1))
          .error("padding must be non-negative, got [0, -1, 0, 0]", conv(one, List.of(0, -1, 0, 0), one, 1),
              f(1, 1, 3, 3), f(1, 1, 1, 1))
          .error("groups must be at least 1, got 0", conv(one, none, one, 0), f(1, 1, 3, 3), f(1, 1, 1, 1))
          .error("strides must have 2 entries [sh, sw], got [1]", conv(List.of(1), none, one, 1),
              f(1, 1, 3, 3), f(1, 1, 1, 1))
          .error("padding must have 4 entries [top, bottom, left, right], got [1, 1]", conv(one, one, one, 1),
              f(1, 1, 3, 3), f(1, 1, 1, 1))
          .error("input must be [N, C, H, W] (rank 4), got [3,4,4]", f(3, 4, 4), f(1, 3, 1, 1))
          .error("weight must be a concrete [O, C/groups, KH, KW], got [3,3]", f(1, 1, 4, 4), f(3, 3))
          .error("weight must be a concrete [O, C/groups, KH, KW], got [N,1,3,3]", f(1, 1, 4, 4), f(N, 1, 3, 3))
          .error("operands 0 and 1 have different dtypes f64 and f32", f(1, 1, 4, 4),
              new TensorType(F32, Shape.of(1, 1, 3, 3)))
          .error("operand 0 must be f32 or f64, got i32", i32(1, 1, 4, 4), f(1, 1, 3, 3));
    }
    return r.done();
  }

  /**
   * The largest input size along each axis whose convolution has {@code g}'s spatial size: with a
   * stride above 1 the last rows of such an input are never read, so their cotangent is zero.
   */
  private static List<Integer> largestInputSize(Shape g, int[] kernel, List<Integer> strides, List<Integer> padding,
      List<Integer> dilations) {
    List<Integer> size = new ArrayList<>();
    for (int a = 0; a < 2; a++) {
      int span = dilations.get(a) * (kernel[a] - 1) + 1;
      int stride = strides.get(a);
      size.add((g.dim(2 + a) - 1) * stride + span - padding.get(2 * a) - padding.get(2 * a + 1) + stride - 1);
    }
    return size;
  }

  /** The largest kernel along each axis whose convolution of {@code x} has {@code g}'s spatial size. */
  private static List<Integer> largestKernel(Shape x, Shape g, Convolution c) {
    List<Integer> kernel = new ArrayList<>();
    for (int a = 0; a < 2; a++) {
      int padded = x.dim(2 + a) + c.padding().get(2 * a) + c.padding().get(2 * a + 1);
      kernel.add((padded - 1 - (g.dim(2 + a) - 1) * c.strides().get(a)) / c.dilations().get(a) + 1);
    }
    return kernel;
  }

  private static OpInfo conv2dBackwardInput(Convolution c, boolean withErrors) {
    NodeBuilder build = (b, xs, _) -> {
      Shape w = xs.get(1).shape();
      List<Integer> inputSize = largestInputSize(xs.get(0).shape(), new int[] {w.dim(2), w.dim(3)}, c.strides(),
          c.padding(), c.dilations());
      return b.add(new Op.Conv2dBackwardInput(c.strides(), c.padding(), c.dilations(), c.groups(), inputSize), xs);
    };
    OpInfo.Builder r = row("conv2d_backward_input(" + c.label() + ")", build)
        .operand("g", InputDomain.REAL)
        .operand("w", InputDomain.REAL)
        .reference((xs, node) -> {
          Op.Conv2dBackwardInput op = (Op.Conv2dBackwardInput) node.op();
          Shape w = xs.get(1).shape();
          return ReferenceMath.conv2dBackwardInput(xs.get(0), xs.get(1), c.window(w.dim(2), w.dim(3)), c.groups(),
              ReferenceMath.ints(op.inputSize()));
        })
        .error("expects 2 operands, got 3", f(1, 1, 2, 2), f(1, 1, 1, 1), f(1));
    c.samples().forEach(types -> r.sample(c.output(types.get(0), types.get(1)), types.get(1)));
    if (withErrors) {
      List<Integer> one = List.of(1, 1);
      List<Integer> none = List.of(0, 0, 0, 0);
      NodeBuilder fiveByFive = backwardInput(one, none, 1, List.of(5, 5));
      r.error("input size [5, 5] gives a 3x3 output, but the cotangent is [1,2,2,2]", fiveByFive,
              f(1, 2, 2, 2), f(2, 1, 3, 3))
          .error("the cotangent has 3 channels, the weight 2 output channels", fiveByFive, f(N, 3, 3, 3), f(2, 1, 3, 3))
          .error("input size must have 2 entries [H, W], got [5]", backwardInput(one, none, 1, List.of(5)),
              f(1, 2, 3, 3), f(2, 1, 3, 3))
          .error("input size must be >= 1, got [0, 5]", backwardInput(one, none, 1, List.of(0, 5)),
              f(1, 2, 3, 3), f(2, 1, 3, 3))
          .error("output channels 3 are not divisible by groups 2", backwardInput(one, none, 2, List.of(5, 5)),
              f(1, 3, 3, 3), f(3, 1, 3, 3))
          .error("kernel 3 is larger than the padded input height 2", backwardInput(one, none, 1, List.of(2, 5)),
              f(1, 2, 3, 3), f(2, 1, 3, 3))
          .error("the cotangent must be [N, O, OH, OW] (rank 4), got [2,2]", fiveByFive, f(2, 2), f(2, 1, 3, 3));
    }
    return r.done();
  }

  private static NodeBuilder backwardInput(List<Integer> strides, List<Integer> padding, int groups,
      List<Integer> inputSize) {
    return op(new Op.Conv2dBackwardInput(strides, padding, List.of(1, 1), groups, inputSize));
  }

  private static OpInfo conv2dBackwardFilter(Convolution c, boolean withErrors) {
    NodeBuilder build = (b, xs, _) -> b.add(new Op.Conv2dBackwardFilter(c.strides(), c.padding(), c.dilations(),
        c.groups(), largestKernel(xs.get(0).shape(), xs.get(1).shape(), c)), xs);
    OpInfo.Builder r = row("conv2d_backward_filter(" + c.label() + ")", build)
        .operand("x", InputDomain.REAL)
        .operand("g", InputDomain.REAL)
        .reference((xs, node) -> {
          int[] kernel = ReferenceMath.ints(((Op.Conv2dBackwardFilter) node.op()).kernelSize());
          return ReferenceMath.conv2dBackwardFilter(xs.get(0), xs.get(1), c.window(kernel[0], kernel[1]), c.groups(),
              kernel);
        })
        .error("expects 2 operands, got 1", backwardFilter(1, List.of(3, 3)), f(1, 1, 3, 3));
    c.samples().forEach(types -> r.sample(types.get(0), c.output(types.get(0), types.get(1))));
    if (withErrors) {
      List<Integer> one = List.of(1, 1);
      List<Integer> none = List.of(0, 0, 0, 0);
      NodeBuilder threeByThree = backwardFilter(1, List.of(3, 3));
      r.error("the input and the cotangent have different batch sizes N and 2", threeByThree,
              f(N, 1, 4, 4), f(2, 1, 2, 2))
          .error("kernel size [2, 2] gives a 3x3 output, but the cotangent is [1,1,2,2]", backwardFilter(1, List.of(2, 2)),
              f(1, 1, 4, 4), f(1, 1, 2, 2))
          .error("input channels 3 are not divisible by groups 2", backwardFilter(2, List.of(3, 3)),
              f(1, 3, 4, 4), f(1, 2, 2, 2))
          .error("output channels 3 are not divisible by groups 2", backwardFilter(2, List.of(3, 3)),
              f(1, 4, 4, 4), f(1, 3, 2, 2))
          .error("kernel size must have 2 entries [KH, KW], got [3]", backwardFilter(1, List.of(3)),
              f(1, 1, 4, 4), f(1, 1, 2, 2))
          .error("dilations must be >= 1, got [0, 1]",
              op(new Op.Conv2dBackwardFilter(one, none, List.of(0, 1), 1, List.of(3, 3))), f(1, 1, 4, 4), f(1, 1, 2, 2));
    }
    return r.done();
  }

  private static NodeBuilder backwardFilter(int groups, List<Integer> kernelSize) {
    return op(new Op.Conv2dBackwardFilter(List.of(1, 1), List.of(0, 0, 0, 0), List.of(1, 1), groups, kernelSize));
  }

  /** One pooling setting and the input types it is tried on. */
  private record Pooling(String label, List<Integer> kernel, List<Integer> strides, List<Integer> padding,
      List<TensorType> samples) {

    ReferenceMath.Window window() {
      return ReferenceMath.Window.of(kernel, strides, padding, List.of(1, 1));
    }

    TensorType pooled(TensorType x) {
      Shape s = x.shape();
      return f(s.dim(0), s.dim(1), window().outputs(0, s.dim(2)), window().outputs(1, s.dim(3)));
    }

    /** The largest input size that pools to {@code g}'s spatial size. */
    List<Integer> largestInputSize(Shape g) {
      return OpInfos.largestInputSize(g, window().kernel(), strides, padding, List.of(1, 1));
    }
  }

  /** The pooling settings; a method, not a constant, because {@link #ROWS} is built first. */
  private static List<Pooling> poolingSettings() {
    return List.of(
      new Pooling("2x2, stride 2", List.of(2, 2), List.of(2, 2), List.of(0, 0, 0, 0),
          List.of(f(1, 2, 4, 4), f(N, 1, 4, 5), f(2, 1, 3, 3))),
      new Pooling("3x2, stride [2, 1], asymmetric padding", List.of(3, 2), List.of(2, 1), List.of(1, 0, 0, 1),
          List.of(f(1, 2, 5, 4), f(N, 1, 4, 4))),
      new Pooling("3x3, stride 1, padding 1", List.of(3, 3), List.of(1, 1), List.of(1, 1, 1, 1),
          List.of(f(1, 1, 4, 4), f(N, 2, 3, 3))));
  }

  private static List<OpInfo> poolings() {
    List<OpInfo> rows = new ArrayList<>();
    List<Pooling> settings = poolingSettings();
    for (Pooling p : settings) {
      boolean first = p == settings.getFirst();
      rows.add(maxPool2d(p, first));
      rows.add(maxPool2dBackward(p, first));
      rows.add(maxPool2dSelect(p, first));
    }
    rows.add(avgPool2d(settings.get(0), true, true));
    rows.add(avgPool2d(settings.get(1), true, false));
    rows.add(avgPool2d(settings.get(1), false, false));
    rows.add(avgPool2d(settings.get(2), false, false));
    rows.add(avgPool2dBackward(settings.get(0), true, true));
    rows.add(avgPool2dBackward(settings.get(1), true, false));
    rows.add(avgPool2dBackward(settings.get(1), false, false));
    rows.add(avgPool2dBackward(settings.get(2), false, false));
    return rows;
  }

  /** The errors every pooling op shares, for a {@code build} that takes kernel, strides and padding. */
  private interface PoolBuilder {
    NodeBuilder with(List<Integer> kernel, List<Integer> strides, List<Integer> padding);
  }

  /**
   * Adds the errors every pooling op shares to {@code r}; {@code operands} gives the operand types
   * for an input of a type.
   */
  private static void poolErrors(OpInfo.Builder r, PoolBuilder pool, Function<TensorType, TensorType[]> operands) {
    List<Integer> two = List.of(2, 2);
    List<Integer> none = List.of(0, 0, 0, 0);
    r.error("padding 2 (top) is more than half the kernel height 3",
            pool.with(List.of(3, 3), two, List.of(2, 0, 0, 0)), operands.apply(f(1, 1, 6, 6)))
        .error("padding 2 (right) is more than half the kernel width 3",
            pool.with(List.of(2, 3), two, List.of(0, 0, 1, 2)), operands.apply(f(1, 1, 6, 6)))
        .error("kernel must be >= 1, got [0, 2]", pool.with(List.of(0, 2), two, none), operands.apply(f(1, 1, 4, 4)))
        .error("strides must be >= 1, got [2, 0]", pool.with(two, List.of(2, 0), none), operands.apply(f(1, 1, 4, 4)))
        .error("padding must be non-negative, got [-1, 0, 0, 0]", pool.with(two, two, List.of(-1, 0, 0, 0)),
            operands.apply(f(1, 1, 4, 4)))
        .error("kernel must have 2 entries [kh, kw], got [2]", pool.with(List.of(2), two, none),
            operands.apply(f(1, 1, 4, 4)))
        .error("kernel 3 is larger than the padded input height 2", pool.with(List.of(3, 3), two, none),
            operands.apply(f(1, 1, 2, 5)))
        .error("input must be [N, C, H, W] (rank 4), got [4,4]", pool.with(two, two, none), operands.apply(f(4, 4)))
        .error("operand 0 must be f32 or f64, got i32", pool.with(two, two, none), operands.apply(i32(1, 1, 4, 4)));
  }

  private static OpInfo maxPool2d(Pooling p, boolean withErrors) {
    OpInfo.Builder r = row("max_pool2d(" + p.label() + ")", op(new Op.MaxPool2d(p.kernel(), p.strides(), p.padding())))
        // No ties within a window, so a small perturbation never moves the maximum.
        .operand("x", InputDomain.DISTINCT)
        .reference((xs, _) -> ReferenceMath.maxPool2d(xs.get(0), p.window()))
        .error("expects 1 operand, got 2", f(1, 1, 4, 4), f(1, 1, 4, 4));
    p.samples().forEach(r::sample);
    if (withErrors) {
      poolErrors(r, (k, s, pad) -> op(new Op.MaxPool2d(k, s, pad)), x -> new TensorType[] {x});
    }
    return r.done();
  }

  private static OpInfo maxPool2dBackward(Pooling p, boolean withErrors) {
    OpInfo.Builder r = row("max_pool2d_backward(" + p.label() + ")",
            op(new Op.MaxPool2dBackward(p.kernel(), p.strides(), p.padding())))
        // x's cotangent is zero: the argmax is piecewise constant, and no tie is within reach of a perturbation.
        .operand("x", InputDomain.DISTINCT)
        .operand("g", InputDomain.REAL)
        .reference((xs, _) -> ReferenceMath.maxPool2dBackward(xs.get(0), xs.get(1), p.window()))
        .error("the cotangent must be f64[1,1,2,2] (the pooled shape of the input), got f64[1,1,3,3]",
            op(new Op.MaxPool2dBackward(List.of(2, 2), List.of(2, 2), List.of(0, 0, 0, 0))), f(1, 1, 4, 4), f(1, 1, 3, 3))
        .error("operands 0 and 1 have different dtypes f64 and f32", f(1, 1, 4, 4), new TensorType(F32, Shape.of(1, 1, 2, 2)))
        .error("expects 2 operands, got 1", f(1, 1, 4, 4));
    p.samples().forEach(x -> r.sample(x, p.pooled(x)));
    if (withErrors) {
      // The attributes are checked before the cotangent's shape, so any floating cotangent will do.
      poolErrors(r, (k, s, pad) -> op(new Op.MaxPool2dBackward(k, s, pad)), x -> new TensorType[] {x, f(1)});
    }
    return r.done();
  }

  private static OpInfo maxPool2dSelect(Pooling p, boolean withErrors) {
    OpInfo.Builder r = row("max_pool2d_select(" + p.label() + ")",
            op(new Op.MaxPool2dSelect(p.kernel(), p.strides(), p.padding())))
        .operand("x", InputDomain.DISTINCT)
        .operand("c", InputDomain.REAL)
        .reference((xs, _) -> ReferenceMath.maxPool2dSelect(xs.get(0), xs.get(1), p.window()))
        .error("operand 1 (the values to select) must have the input's type f64[1,1,4,4], got f64[1,1,2,2]",
            f(1, 1, 4, 4), f(1, 1, 2, 2))
        .error("expects 2 operands, got 1", f(1, 1, 4, 4));
    p.samples().forEach(x -> r.sample(x, x));
    if (withErrors) {
      poolErrors(r, (k, s, pad) -> op(new Op.MaxPool2dSelect(k, s, pad)), x -> new TensorType[] {x, x});
    }
    return r.done();
  }

  private static String averaging(Pooling p, boolean countIncludePad) {
    return p.label() + (countIncludePad ? ", count_include_pad" : ", exclude padding");
  }

  private static OpInfo avgPool2d(Pooling p, boolean countIncludePad, boolean withErrors) {
    OpInfo.Builder r = row("avg_pool2d(" + averaging(p, countIncludePad) + ")",
            op(new Op.AvgPool2d(p.kernel(), p.strides(), p.padding(), countIncludePad)))
        .operand("x", InputDomain.REAL)
        .reference((xs, _) -> ReferenceMath.avgPool2d(xs.get(0), p.window(), countIncludePad))
        .error("expects 1 operand, got 0", (b, _, _) -> b.add(new Op.AvgPool2d(p.kernel(), p.strides(), p.padding(),
            countIncludePad)));
    p.samples().forEach(r::sample);
    if (withErrors) {
      poolErrors(r, (k, s, pad) -> op(new Op.AvgPool2d(k, s, pad, countIncludePad)), x -> new TensorType[] {x});
    }
    return r.done();
  }

  private static OpInfo avgPool2dBackward(Pooling p, boolean countIncludePad, boolean withErrors) {
    NodeBuilder build = (b, xs, _) -> b.add(new Op.AvgPool2dBackward(p.kernel(), p.strides(), p.padding(),
        countIncludePad, p.largestInputSize(xs.get(0).shape())), xs);
    OpInfo.Builder r = row("avg_pool2d_backward(" + averaging(p, countIncludePad) + ")", build)
        .operand("g", InputDomain.REAL)
        .reference((xs, node) -> ReferenceMath.avgPool2dBackward(xs.get(0), p.window(), countIncludePad,
            ReferenceMath.ints(((Op.AvgPool2dBackward) node.op()).inputSize())))
        .error("expects 1 operand, got 2", f(1, 1, 2, 2), f(1, 1, 2, 2));
    p.samples().forEach(x -> r.sample(p.pooled(x)));
    if (withErrors) {
      List<Integer> two = List.of(2, 2);
      List<Integer> none = List.of(0, 0, 0, 0);
      r.error("input size [4, 4] pools to 2x2, but the cotangent is [1,1,3,3]",
              op(new Op.AvgPool2dBackward(two, two, none, true, List.of(4, 4))), f(1, 1, 3, 3))
          .error("input size must be >= 1, got [0, 4]", op(new Op.AvgPool2dBackward(two, two, none, true, List.of(0, 4))),
              f(1, 1, 3, 3))
          .error("padding 2 (left) is more than half the kernel width 3",
              op(new Op.AvgPool2dBackward(List.of(3, 3), two, List.of(0, 0, 2, 0), true, List.of(4, 4))), f(1, 1, 3, 3))
          .error("the cotangent must be [N, C, OH, OW] (rank 4), got [3,3]",
              op(new Op.AvgPool2dBackward(two, two, none, true, List.of(4, 4))), f(3, 3));
    }
    return r.done();
  }

  private static List<OpInfo> normalizations() {
    OpInfo training = row("batch_norm_training", op(new Op.BatchNormTraining(EPS)))
        // Distinct values keep every channel's variance away from 0, where the normalization is steep.
        .operand("x", InputDomain.DISTINCT)
        .operand("gamma", InputDomain.REAL)
        .operand("beta", InputDomain.REAL)
        .sample(f(3, 2), f(2), f(2)).sample(f(4, 3), f(3), f(3)).sample(f(2, 1), f(1), f(1))
        .sample(f(N, 2, 2, 2), f(2), f(2)).sample(f(1, 3, 2, 1), f(3), f(3)).sample(f(2, 1, 3, 3), f(1), f(1))
        .reference((xs, _) -> ReferenceMath.batchNormTraining(xs.get(0), xs.get(1), xs.get(2), EPS))
        .error("batch norm in training mode needs more than one value per channel, got 1 for input [1,3]",
            f(1, 3), f(3), f(3))
        .error("batch norm in training mode needs more than one value per channel, got 1 for input [1,2,1,1]",
            f(1, 2, 1, 1), f(2), f(2))
        .error("gamma must be f64[3], got f64[2]", f(N, 3), f(2), f(3))
        .error("beta must be f64[3], got f32[3]", f(N, 3, 2, 2), f(3), new TensorType(F32, Shape.of(3)))
        .error("gamma must be f64[4], got f64[N]", f(N, 4), f(N), f(4))
        .error("input must be [N, C] or [N, C, H, W], got [2,3,4]", f(2, 3, 4), f(3), f(3))
        .error("eps must be non-negative and finite, got -1.0",
            (b, xs, _) -> b.add(new Op.BatchNormTraining(-1), xs), f(2, 3), f(3), f(3))
        .error("operand 0 must be f32 or f64, got i32", i32(2, 3), f(3), f(3))
        .error("expects 3 operands, got 2", f(2, 3), f(3))
        .done();
    OpInfo inference = row("batch_norm_inference", op(new Op.BatchNormInference(EPS)))
        .operand("x", InputDomain.REAL)
        .operand("gamma", InputDomain.REAL)
        .operand("beta", InputDomain.REAL)
        .operand("running mean", InputDomain.REAL)
        .operand("running variance", InputDomain.POSITIVE)
        .sample(f(3, 2), f(2), f(2), f(2), f(2)).sample(f(N, 2, 2, 2), f(2), f(2), f(2), f(2))
        .sample(f(1, 3, 1, 1), f(3), f(3), f(3), f(3)).sample(f(N, 1), f(1), f(1), f(1), f(1))
        .reference((xs, _) -> ReferenceMath.batchNormInference(xs.get(0), xs.get(1), xs.get(2), xs.get(3), xs.get(4),
            EPS))
        .error("running mean must be f64[16], got f64[8]", f(2, 16), f(16), f(16), f(8), f(16))
        .error("running variance must be f64[3], got f64[3,1]", f(N, 3, 2, 2), f(3), f(3), f(3), f(3, 1))
        .error("input must be [N, C] or [N, C, H, W], got [4]", f(4), f(4), f(4), f(4), f(4))
        .error("expects 5 operands, got 3", f(2, 3), f(3), f(3))
        .done();
    NodeBuilder lastAxis = (b, xs, _) -> b.add(new Op.LayerNorm(EPS, xs.get(0).rank() - 1), xs);
    OpInfo last = row("layer_norm(last axis)", lastAxis)
        .operand("x", InputDomain.DISTINCT)
        .operand("gamma", InputDomain.REAL)
        .operand("beta", InputDomain.REAL)
        .sample(f(2, 3), f(3), f(3)).sample(f(N, 2, 4), f(4), f(4)).sample(f(3), f(3), f(3))
        .reference((xs, node) -> ReferenceMath.layerNorm(xs.get(0), xs.get(1), xs.get(2), EPS,
            ((Op.LayerNorm) node.op()).axis()))
        .error("gamma must be f64[3] (the input's shape from axis 1), got f64[2]", f(N, 3), f(2), f(3))
        .error("beta must be f64[3] (the input's shape from axis 1), got f64[1,3]", f(2, 3), f(3), f(1, 3))
        .error("operand 0 must be f32 or f64, got i64", i64(2, 3), f(3), f(3))
        .error("expects 3 operands, got 1", f(2, 3))
        .done();
    OpInfo middle = row("layer_norm(axis 1)", op(new Op.LayerNorm(EPS, 1)))
        .operand("x", InputDomain.DISTINCT)
        .operand("gamma", InputDomain.REAL)
        .operand("beta", InputDomain.REAL)
        .sample(f(2, 3, 2), f(3, 2), f(3, 2)).sample(f(N, 2, 2), f(2, 2), f(2, 2)).sample(f(1, 2, 2, 2), f(2, 2, 2),
            f(2, 2, 2))
        .reference((xs, _) -> ReferenceMath.layerNorm(xs.get(0), xs.get(1), xs.get(2), EPS, 1))
        .error("gamma must be f64[3,2] (the input's shape from axis 1), got f64[2]", f(2, 3, 2), f(2), f(3, 2))
        .error("axis 1 is out of range for rank 1", f(3), f(3), f(3))
        .error("layer norm from axis 0 would normalize across the symbolic batch N",
            (b, xs, _) -> b.add(new Op.LayerNorm(EPS, 0), xs), f(N, 3), f(3), f(3))
        .error("eps must be non-negative and finite, got NaN",
            (b, xs, _) -> b.add(new Op.LayerNorm(Double.NaN, 1), xs), f(2, 3), f(3), f(3))
        .done();
    return List.of(training, inference, last, middle);
  }

  // ---- classification ----

  private static OpInfo oneHot() {
    return row("one_hot", (b, xs, real) -> b.add(new Op.OneHot(DEPTH, real), xs))
        .fixedOperand("labels", InputDomain.integers(DEPTH))
        .sample(i64(3)).sample(i32(2, 2)).sample(i64()).sample(i64(N))
        .reference((xs, _) -> ReferenceMath.oneHot(xs.get(0), DEPTH))
        .zeroGradient()
        .error("labels must be i32 or i64, got f64", f(3))
        .error("depth must be at least 1, got 0", (b, xs, _) -> b.add(new Op.OneHot(0, F64), xs), i64(3))
        .error("one_hot produces f32 or f64, not i32", (b, xs, _) -> b.add(new Op.OneHot(DEPTH, I32), xs), i64(3))
        .error("expects 1 operand, got 2", i64(3), i64(3))
        .runTimeError("row 1 has label 4, expected 0..3", NDArray.of(I64, new int[] {3}, 0, 4, 1))
        .runTimeError("row 0 has label -1, expected 0..3", NDArray.of(I64, new int[] {2}, -1, 2))
        .runTimeError("position [1, 0] has label 7, expected 0..3", NDArray.of(I32, new int[] {2, 2}, 0, 1, 7, 2))
        .runTimeError("the label is 5, expected 0..3", NDArray.scalar(I64, 5))
        .done();
  }

  private static OpInfo softmax(boolean log, String axisLabel, IntFunction<Integer> axis, List<TensorType> samples) {
    String mnemonic = log ? "log_softmax" : "softmax";
    OpInfo.Builder r = row(mnemonic + "(" + axisLabel + ")", (b, xs, _) -> {
          int a = axis.apply(xs.get(0).rank());
          return b.add(log ? new Op.LogSoftmax(a) : new Op.Softmax(a), xs);
        })
        .operand("x", LARGE_LOGITS)
        .reference((xs, node) -> ReferenceMath.softmax(xs.get(0),
            node.op() instanceof Op.Softmax s ? s.axis() : ((Op.LogSoftmax) node.op()).axis(), log))
        .error("axis 2 is out of range for rank 2",
            (b, xs, _) -> b.add(log ? new Op.LogSoftmax(2) : new Op.Softmax(2), xs), f(2, 3))
        .error("axis 0 is out of range for rank 0",
            (b, xs, _) -> b.add(log ? new Op.LogSoftmax(0) : new Op.Softmax(0), xs), f())
        .error("operand 0 must be f32 or f64, got i32", i32(2, 2))
        .error("expects 1 operand, got 2", f(2), f(2));
    samples.forEach(r::sample);
    return r.done();
  }

  private static String crossEntropyName(Reduction reduction, String labels) {
    return "softmax_cross_entropy(" + reduction.text() + ", " + labels + ")";
  }

  private static OpInfo crossEntropyWithLabels(Reduction reduction) {
    double[] logits = {0.5, -1, 2, 0.25, 0, 1};
    return row(crossEntropyName(reduction, "integer labels"), op(new Op.SoftmaxCrossEntropy(reduction)))
        .operand("logits", LARGE_LOGITS)
        .fixedOperand("labels", Domains.LABELS)
        .sample(f(3, 4), i64(3)).sample(f(1, 2), i32(1)).sample(f(N, 3), i64(N)).sample(f(2, 1), i64(2))
        .reference((xs, _) -> ReferenceMath.softmaxCrossEntropy(xs.get(0), xs.get(1), reduction))
        .error("logits must be [batch, classes], got [4]", f(4), i64(4))
        .error("integer labels must be [3], got [3,1]", f(3, 4), i64(3, 1))
        .error("integer labels must be [N], got [3]", f(N, 4), i64(3))
        .error("labels must be integer class indices or f64 probabilities, got bool", f(3, 4), bool(3))
        .error("operand 0 must be f32 or f64, got i32", i32(3, 4), i64(3))
        .error("expects 2 operands, got 1", f(3, 4))
        .runTimeError("row 1 has label 3, expected 0..2",
            NDArray.of(F64, new int[] {2, 3}, logits), NDArray.of(I64, new int[] {2}, 1, 3))
        .runTimeError("row 0 has label -2, expected 0..2",
            NDArray.of(F64, new int[] {2, 3}, logits), NDArray.of(I32, new int[] {2}, -2, 0))
        .done();
  }

  private static OpInfo crossEntropyWithProbabilities(Reduction reduction) {
    return row(crossEntropyName(reduction, "probability targets"), op(new Op.SoftmaxCrossEntropy(reduction)))
        .operand("logits", LARGE_LOGITS)
        .operand("targets", Domains.PROBABILITIES)
        .sample(f(3, 4), f(3, 4)).sample(f(N, 3), f(N, 3)).sample(f(1, 1), f(1, 1)).sample(f(2, 5), f(2, 5))
        .reference((xs, _) -> ReferenceMath.softmaxCrossEntropy(xs.get(0), xs.get(1), reduction))
        .error("logits must be [batch, classes], got [2,3,4]", f(2, 3, 4), f(2, 3, 4))
        .error("probability targets must match the logits shape [3,4], got [3,3]", f(3, 4), f(3, 3))
        .error("labels must be integer class indices or f64 probabilities, got f32",
            (b, xs, _) -> b.add(new Op.SoftmaxCrossEntropy(reduction), xs.get(0), xs.get(1).cast(F32)), f(3, 4), f(3, 4))
        .error("expects 2 operands, got 3", f(3, 4), f(3, 4), f(3, 4))
        .done();
  }

  // ---- randomness ----

  private static OpInfo randomUniform() {
    return row("random_uniform", (b, xs, real) -> b.add(new Op.RandomUniform(RANDOM_SEED, RANDOM_KEY, real), xs))
        .fixedOperand("like", Domains.numeric(InputDomain.REAL))
        .fixedOperand("step", Domains.STEPS)
        .sample(f(2, 3), i64()).sample(f(N, 2), i64()).sample(f(), i64()).sample(i32(4), i32())
        .reference((xs, _) -> {
          long step = (long) xs.get(1).get(0);
          double[] v = new double[xs.get(0).size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = Philox.uniform(RANDOM_SEED, step, RANDOM_KEY, i);
          }
          return array(xs.get(0).shape().dims(), v);
        })
        .zeroGradient()
        .error("operand 1 (step) must be an integer scalar, got i64[2]", f(2), i64(2))
        .error("operand 1 (step) must be an integer scalar, got f64[]", f(2), f())
        .error("random_uniform produces f32 or f64, not i32",
            (b, xs, _) -> b.add(new Op.RandomUniform(RANDOM_SEED, RANDOM_KEY, I32), xs), f(2), i64())
        .error("expects 2 operands, got 1", f(2))
        .done();
  }

  /** Element i is kept iff its Philox draw is at least p; kept elements are scaled by 1/(1-p). */
  private static OpInfo dropout(double p) {
    return row("dropout(p=" + p + ")", op(new Op.Dropout(p, RANDOM_SEED, RANDOM_KEY)))
        .operand("x", InputDomain.REAL)
        .fixedOperand("step", Domains.STEPS)
        .sample(f(2, 3), i64()).sample(f(N, 4), i64()).sample(f(), i64()).sample(f(1, 5), i32())
        .reference((xs, _) -> {
          NDArray x = xs.get(0);
          long step = (long) xs.get(1).get(0);
          double[] v = new double[x.size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = Philox.uniform(RANDOM_SEED, step, RANDOM_KEY, i) >= p ? x.get(i) / (1 - p) : 0;
          }
          return array(x.shape().dims(), v);
        })
        .error("dropout probability p must be in [0, 1], got 1.5",
            (b, xs, _) -> b.add(new Op.Dropout(1.5, RANDOM_SEED, RANDOM_KEY), xs), f(2), i64())
        .error("dropout probability p must be in [0, 1], got NaN",
            (b, xs, _) -> b.add(new Op.Dropout(Double.NaN, RANDOM_SEED, RANDOM_KEY), xs), f(2), i64())
        .error("operand 0 must be f32 or f64, got i32", i32(2), i64())
        .error("operand 1 (step) must be an integer scalar, got f64[]", f(2), f())
        .error("expects 2 operands, got 1", f(2))
        .done();
  }

  // ---- user-defined gradients ----

  /** Custom VJPs whose rules are the true gradients, so finite differences confirm the rule is used. */
  private static List<OpInfo> customVjps() {
    OpInfo tanh = row("custom_vjp(tanh)",
            (b, xs, _) -> b.customVjp("tanh_rule", xs, in -> in.get(0).tanh(), TANH_RULE))
        .operand("x", InputDomain.REAL)
        .sample(f(2, 3)).sample(f()).sample(f(N, 2))
        .reference((xs, _) -> map(xs.get(0), x -> Math.expm1(2 * x) / (Math.expm1(2 * x) + 2)))
        .rule("tanh_rule", TANH_RULE)
        .error("expects the subgraph output and its inputs, got no operands",
            (b, _, _) -> b.add(new Op.CustomVjp("tanh_rule", TANH_RULE)))
        .done();
    OpInfo product = row("custom_vjp(product of 2 inputs)",
            (b, xs, _) -> b.customVjp("product rule", xs, in -> in.get(0).times(in.get(1)), PRODUCT_RULE))
        .operand("a", InputDomain.REAL)
        .operand("b", InputDomain.REAL)
        .sample(f(2, 3), f(2, 3)).sample(f(2, 3), f(3)).sample(f(N, 2), f(2))
        .reference((xs, _) -> elementwise(xs, e -> e[0] * e[1]))
        .rule("product rule", PRODUCT_RULE)
        .error("expects the subgraph output and its inputs, got no operands",
            (b, _, _) -> b.add(new Op.CustomVjp("product rule", PRODUCT_RULE)))
        .done();
    return List.of(tanh, product);
  }
}
