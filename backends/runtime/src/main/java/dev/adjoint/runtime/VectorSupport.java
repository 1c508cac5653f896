package dev.adjoint.runtime;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Whether runtime kernels (and generated code) use the Vector API. Decided once, when this class
 * loads: the incubator module {@code jdk.incubator.vector} must be in the boot layer (the JVM was
 * started with {@code --add-modules jdk.incubator.vector}), and the system property {@code
 * adjoint.vector} must not be {@code false}. Classes that touch {@code jdk.incubator.vector} are
 * only loaded after this says yes, so everything still runs, on scalar code, without the module.
 *
 * <p>The pattern for a kernel with both paths: a {@code static final} field set to {@code
 * enabled() ? new VectorThing() : new ScalarThing()}, where {@code VectorThing} is the only
 * class that names Vector API types. The JVM resolves {@code VectorThing} when that expression
 * first runs, so it never loads where the module is absent, and the JIT inlines through the
 * constant field.
 */
public final class VectorSupport {
  /** The module that holds the Vector API while it incubates. */
  public static final String MODULE = "jdk.incubator.vector";

  /** Set to {@code false} to force the scalar kernels even where the module is present. */
  public static final String PROPERTY = "adjoint.vector";

  private static final boolean ENABLED =
      decide(System.getProperty(PROPERTY), ModuleLayer.boot().findModule(MODULE).isPresent());

  private VectorSupport() {}

  /** True when the Vector API kernels run; false when the scalar fallbacks do. */
  public static boolean enabled() {
    return ENABLED;
  }

  /**
   * The decision itself: vectors when the module is present, unless {@code property} is {@code
   * "false"}. Any value other than {@code true} or {@code false} is an error, so a typo does not
   * silently pick a path.
   */
  static boolean decide(@Nullable String property, boolean modulePresent) {
    if (property == null) {
      return modulePresent;
    }
    return switch (property.strip().toLowerCase(Locale.ROOT)) {
      case "true", "" -> modulePresent;
      case "false" -> false;
      default ->
          throw new IllegalArgumentException(
              "system property " + PROPERTY + " must be true or false, got '" + property + "'");
    };
  }
}
