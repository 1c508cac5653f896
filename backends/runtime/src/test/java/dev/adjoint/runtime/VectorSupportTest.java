package dev.adjoint.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VectorSupportTest {

  /**
   * The build runs the tests three times (see the runtime's pom): with the module, with the module
   * but {@code adjoint.vector=false}, and without the module. Each run states what it expects, so a
   * run that silently took the other path fails here.
   */
  @Test
  void eachTestRunTakesThePathItWasConfiguredFor() {
    String expectVector = System.getProperty("adjoint.test.expectVector");
    String expectModule = System.getProperty("adjoint.test.expectModule");
    if (expectVector != null) {
      assertEquals(Boolean.parseBoolean(expectVector), VectorSupport.enabled());
    }
    if (expectModule != null) {
      assertEquals(
          Boolean.parseBoolean(expectModule),
          ModuleLayer.boot().findModule(VectorSupport.MODULE).isPresent());
    }
  }

  @Test
  void vectorsNeedTheModuleAndNoOptOut() {
    assertTrue(VectorSupport.decide(null, true));
    assertTrue(VectorSupport.decide("true", true));
    assertTrue(VectorSupport.decide(" TRUE ", true));
    assertFalse(VectorSupport.decide("false", true));
    assertFalse(VectorSupport.decide(null, false));
    assertFalse(VectorSupport.decide("true", false));
  }

  @Test
  void aMisspelledSettingIsAnErrorNotAGuess() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VectorSupport.decide("flase", true));
    assertTrue(e.getMessage().contains("adjoint.vector"), e.getMessage());
    assertTrue(e.getMessage().contains("flase"), e.getMessage());
  }
}
