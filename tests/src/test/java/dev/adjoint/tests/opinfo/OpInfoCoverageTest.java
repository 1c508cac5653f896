package dev.adjoint.tests.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.adjoint.ir.DType;
import dev.adjoint.ir.Node;
import dev.adjoint.ir.Op;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The table covers every op: every record permitted by the sealed {@link Op}, every member of the
 * enum families nested in {@link Op} (found by reflection, so a new family is covered too), and
 * softmax cross-entropy with both label kinds. The compiler already forces a shape rule, a
 * reference evaluation and a VJP rule for a new op; this test forces its OpInfo row.
 */
class OpInfoCoverageTest {
  private static final List<String> LABEL_KINDS = List.of("integer labels", "probability targets");

  @Test
  void everyOpAndEnumMemberHasARow() {
    Map<String, List<String>> rowsByKey = new TreeMap<>();
    for (OpInfo row : OpInfos.all()) {
      rowsByKey.computeIfAbsent(key(OpCase.of(row, row.samples().getFirst(), DType.F64).subject()), _ -> new ArrayList<>())
          .add(row.name());
    }
    Set<String> required = requiredKeys();
    Set<String> missing = new TreeSet<>(required);
    missing.removeAll(rowsByKey.keySet());
    assertTrue(missing.isEmpty(), () -> "ops without an OpInfo row in OpInfos: " + missing);
    Set<String> unknown = new TreeSet<>(rowsByKey.keySet());
    unknown.removeAll(required);
    assertTrue(unknown.isEmpty(), () -> "rows whose op the coverage check does not know: " + unknown);
  }

  @Test
  void everySampleOfARowBuildsTheSameOp() {
    for (OpInfo row : OpInfos.all()) {
      Set<String> keys = new HashSet<>();
      for (DType real : List.of(DType.F64, DType.F32)) {
        OpCase.all(row, real).forEach(c -> keys.add(key(c.subject())));
      }
      assertEquals(1, keys.size(), () -> "row '" + row.name() + "' builds different ops on its samples: " + keys);
    }
  }

  @Test
  void rowNamesAreUnique() {
    Map<String, Long> counts = OpInfos.all().stream().collect(Collectors.groupingBy(OpInfo::name, Collectors.counting()));
    counts.forEach((name, count) -> assertEquals(1, count, () -> "two rows are named '" + name + "'"));
  }

  @Test
  void everyFiniteDifferenceRowHasASampleWhoseDifferentiableOperandsAreFloating() {
    for (OpInfo row : OpInfos.all()) {
      if (row.gradient() == OpInfo.GradientKind.FINITE_DIFFERENCES) {
        assertTrue(row.samples().stream().anyMatch(row::differentiableIn),
            () -> "row '" + row.name() + "' has no sample to check gradients on");
      }
    }
  }

  /** {@code Unary.TANH}, {@code Reshape}, {@code SoftmaxCrossEntropy.MEAN with integer labels}. */
  static String key(Node subject) {
    Op op = subject.op();
    StringBuilder key = new StringBuilder(op.getClass().getSimpleName());
    for (RecordComponent component : components(op.getClass())) {
      if (isFamily(component.getType())) {
        key.append('.').append(((Enum<?>) read(component, op)).name());
      }
    }
    if (op instanceof Op.SoftmaxCrossEntropy) {
      key.append(" with ").append(LABEL_KINDS.get(subject.input(1).dtype().isInteger() ? 0 : 1));
    }
    return key.toString();
  }

  /** The keys of every permitted op, crossed with the members of each family enum it holds. */
  static Set<String> requiredKeys() {
    Set<String> required = new TreeSet<>();
    for (Class<?> opClass : Op.class.getPermittedSubclasses()) {
      List<String> keys = List.of(opClass.getSimpleName());
      for (RecordComponent component : components(opClass)) {
        if (isFamily(component.getType())) {
          List<String> crossed = new ArrayList<>();
          for (Object member : component.getType().getEnumConstants()) {
            keys.forEach(k -> crossed.add(k + "." + ((Enum<?>) member).name()));
          }
          keys = crossed;
        }
      }
      if (opClass == Op.SoftmaxCrossEntropy.class) {
        keys = keys.stream().flatMap(k -> LABEL_KINDS.stream().map(kind -> k + " with " + kind)).toList();
      }
      required.addAll(keys);
    }
    return required;
  }

  /** An enum declared inside {@link Op}: UnaryFn, BinaryFn, CompareFn, ReduceFn, Reduction. */
  private static boolean isFamily(Class<?> type) {
    return type.isEnum() && type.getEnclosingClass() == Op.class;
  }

  private static List<RecordComponent> components(Class<?> opClass) {
    RecordComponent[] components = opClass.getRecordComponents();
    return components == null ? List.of() : List.of(components);
  }

  private static Object read(RecordComponent component, Op op) {
    try {
      return component.getAccessor().invoke(op);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new AssertionError("cannot read " + component + " of " + op, e);
    }
  }
}
