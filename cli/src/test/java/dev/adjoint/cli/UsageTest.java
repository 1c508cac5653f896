package dev.adjoint.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Bad command-line arguments are reported by what is wrong with them, before anything runs. */
class UsageTest {
  @Test
  void demoEpochsMustBeAPositiveNumber() {
    assertEquals(1.5, MnistDemo.epochs("1.5"));
    assertEquals("demo: epochs must be a number, got 'many'",
        assertThrows(UsageException.class, () -> MnistDemo.epochs("many")).getMessage());
    assertEquals("demo: epochs must be positive and finite, got 0",
        assertThrows(UsageException.class, () -> MnistDemo.epochs("0")).getMessage());
    assertThrows(UsageException.class, () -> MnistDemo.epochs("NaN"));
    assertThrows(UsageException.class, () -> MnistDemo.epochs("Infinity"));
  }

  @Test
  void commandsRejectArgumentsTheyDoNotTake() {
    assertEquals("demo takes at most [epochs] [dir], got 1 out extra",
        assertThrows(UsageException.class, () -> MnistDemo.run(new String[] {"1", "out", "extra"}))
            .getMessage());
    assertEquals("bench takes no arguments or --only gemm|streaming|conv|models, got --help",
        assertThrows(UsageException.class, () -> ModelBenchmarks.run(new String[] {"--help"}))
            .getMessage());
    assertEquals("tour takes no arguments, got now",
        assertThrows(UsageException.class, () -> Tour.run(new String[] {"now"})).getMessage());
    assertThrows(UsageException.class, () -> FoldDemo.run(new String[] {"x"}));
  }
}
