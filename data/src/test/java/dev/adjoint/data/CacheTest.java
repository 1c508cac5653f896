package dev.adjoint.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheTest {
  private static Path root(Map<String, String> properties, Map<String, String> environment) {
    return Cache.root(properties::get, environment::get, "/home/ada");
  }

  @Test
  void thePropertyWinsThenTheEnvironmentThenXdgThenHome() {
    Map<String, String> env = Map.of("ADJOINT_CACHE", "/env/cache", "XDG_CACHE_HOME", "/xdg");
    assertEquals(Path.of("/prop/cache"), root(Map.of("adjoint.cache", "/prop/cache"), env));
    assertEquals(Path.of("/env/cache"), root(Map.of(), env));
    assertEquals(Path.of("/xdg/adjoint"), root(Map.of(), Map.of("XDG_CACHE_HOME", "/xdg")));
    assertEquals(Path.of("/home/ada/.cache/adjoint"), root(Map.of(), Map.of()));
  }

  @Test
  void blankSettingsAndARelativeXdgDirectoryAreIgnored() {
    assertEquals(Path.of("/home/ada/.cache/adjoint"),
        root(Map.of("adjoint.cache", " "), Map.of("ADJOINT_CACHE", "", "XDG_CACHE_HOME", "relative/cache")));
  }
}
