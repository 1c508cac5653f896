package dev.adjoint.data;

import java.nio.file.Path;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Where Adjoint keeps downloaded data: the system property {@value #PROPERTY} if set, else the
 * environment variable {@value #ENVIRONMENT}, else {@code $XDG_CACHE_HOME/adjoint}, else {@code
 * ~/.cache/adjoint}.
 */
public final class Cache {
  public static final String PROPERTY = "adjoint.cache";
  public static final String ENVIRONMENT = "ADJOINT_CACHE";

  private Cache() {}

  /** The cache directory of this process; it may not exist yet. */
  public static Path root() {
    return root(System::getProperty, System::getenv, System.getProperty("user.home"));
  }

  /** The same rule over any property and environment lookups, for tests. */
  static Path root(Function<String, @Nullable String> property, Function<String, @Nullable String> environment, String home) {
    String configured = nonBlank(property.apply(PROPERTY));
    if (configured == null) {
      configured = nonBlank(environment.apply(ENVIRONMENT));
    }
    if (configured != null) {
      return Path.of(configured);
    }
    // The XDG spec ignores a relative XDG_CACHE_HOME.
    String xdg = nonBlank(environment.apply("XDG_CACHE_HOME"));
    if (xdg != null && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg, "adjoint");
    }
    return Path.of(home, ".cache", "adjoint");
  }

  private static @Nullable String nonBlank(@Nullable String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
