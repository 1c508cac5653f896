package dev.adjoint.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class JitDirectivesTest {
  @Test
  void onHotSpotTheDirectiveIsInstalled() {
    assumeTrue(System.getProperty("java.vm.name", "").contains("HotSpot"), "a HotSpot JVM");
    assertTrue(JitDirectives.installed(), "the DiagnosticCommand MBean took the compiler directive");
  }
}
