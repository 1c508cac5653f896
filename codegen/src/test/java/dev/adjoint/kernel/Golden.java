package dev.adjoint.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files under {@code src/test/resources/golden/kernels}, read from the source tree (tests
 * run in the module directory). To accept a deliberate change, regenerate and review the diff:
 *
 * <pre>
 * mvn -o -q -pl codegen test -Dtest='KernelGoldenTest,JvmEmitterTest' -Dadjoint.golden.update=true
 * </pre>
 */
public final class Golden {
  private static final Path DIRECTORY = Path.of("src/test/resources/golden/kernels");
  private static final boolean UPDATE = Boolean.getBoolean("adjoint.golden.update");

  private Golden() {}

  public static void assertGolden(String name, String text) throws IOException {
    Path file = DIRECTORY.resolve(name);
    if (UPDATE) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    }
    assertTrue(Files.exists(file),
        file.toAbsolutePath() + " is missing; run with -Dadjoint.golden.update=true to create it");
    assertEquals(Files.readString(file, StandardCharsets.UTF_8), text, "text differs from " + file);
  }
}
