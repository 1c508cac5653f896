package dev.adjoint.jvm;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class JitDirectivesTest {
  @Test
  void onHotSpotTheDirectiveIsInstalled() {
    // HotSpot calls itself "OpenJDK 64-Bit Server VM" in OpenJDK builds, "Java HotSpot(TM) …" in
    // Oracle's.
    String vm = System.getProperty("java.vm.name", "");
    assumeTrue(vm.contains("HotSpot") || vm.contains("OpenJDK"), "a HotSpot JVM");
    assertTrue(JitDirectives.installed(), "the DiagnosticCommand MBean took the compiler directive");
  }
}
