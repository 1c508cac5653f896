package dev.adjoint.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The F64 GEMM sources are the F32 ones with the element type swapped: {@code float} becomes
 * {@code double}, {@code Float} {@code Double}, {@code F32} {@code F64}, and float literals double
 * ones. Primitive specializations cannot share code in Java, so the F32 file is the one to edit and
 * this test keeps its twin in step: it fails with the first differing line, and rewrites the twins
 * when run with {@code -Dadjoint.twins.update=true}:
 *
 * <pre>
 * mvn -o -q -pl backends/runtime test -Dtest=TwinSourcesTest -Dadjoint.twins.update=true
 * </pre>
 */
class TwinSourcesTest {
  private static final boolean UPDATE = Boolean.getBoolean("adjoint.twins.update");
  private static final Path LINALG = Path.of("src/main/java/dev/adjoint/runtime/linalg");
  private static final List<String> F32_SOURCES = List.of(
      "FloatGemm", "FloatMicroKernel", "FloatPanelSource", "FloatTransposes",
      "ScalarFloatKernel", "VectorFloatKernel");
  private static final Pattern FLOAT_LITERAL = Pattern.compile("\\b(\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)f\\b");

  /** The F64 source text of an F32 source. */
  static String twin(String f32) {
    Matcher literals = FLOAT_LITERAL.matcher(f32);
    StringBuilder sb = new StringBuilder();
    while (literals.find()) {
      String digits = literals.group(1);
      literals.appendReplacement(sb, digits.matches("\\d+") ? digits + ".0" : digits);
    }
    literals.appendTail(sb);
    return sb.toString().replace("float", "double").replace("Float", "Double").replace("F32", "F64");
  }

  @Test
  void theDoubleGemmSourcesAreTheFloatOnesWithTheTypeSwapped() throws IOException {
    assertTrue(Files.isDirectory(LINALG), "run from the module folder: " + LINALG.toAbsolutePath());
    for (String name : F32_SOURCES) {
      Path source = LINALG.resolve(name + ".java");
      Path twinPath = LINALG.resolve(twin(name) + ".java");
      String expected = twin(Files.readString(source));
      if (UPDATE) {
        Files.writeString(twinPath, expected);
        continue;
      }
      List<String> want = expected.lines().toList();
      List<String> have = Files.readString(twinPath).lines().toList();
      for (int i = 0; i < Math.max(want.size(), have.size()); i++) {
        String w = i < want.size() ? want.get(i) : "<end of file>";
        String h = i < have.size() ? have.get(i) : "<end of file>";
        if (!w.equals(h)) {
          fail(twinPath + " line " + (i + 1) + " is\n  " + h + "\nbut the twin of " + source + " has\n  " + w
              + "\nEdit the F32 file and rerun with -Dadjoint.twins.update=true to regenerate the F64 one.");
        }
      }
    }
  }

  @Test
  void theTwinSwapsTypesAndLiterals() {
    String f32 = "float x = 0f; FloatVector v; // F32, 1.5f, 1e-3f, 2e3, x0f";
    assertEquals("double x = 0.0; DoubleVector v; // F64, 1.5, 1e-3, 2e3, x0f", twin(f32));
  }
}
