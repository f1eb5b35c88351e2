package dev.gemma4j.internal.vector;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the Java Vector API ({@code jdk.incubator.vector}, an incubator module) is enabled in this JVM.
 * gemma4j's fast kernels (sampling, CPU matmuls) use it when it is; without it the library still runs, on
 * scalar code, and says once in the log how to enable the fast path. {@code -Dgemma.vector=false} forces
 * the scalar path. Internal, not API.
 */
public final class VectorSupport {
  private static final Logger LOG = LoggerFactory.getLogger(VectorSupport.class);
  private static final boolean ENABLED =
      !"false".equalsIgnoreCase(System.getProperty("gemma.vector"))
          && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  private static final AtomicBoolean TOLD = new AtomicBoolean();

  private VectorSupport() {}

  /** Whether the vector kernels may be loaded. */
  public static boolean enabled() {
    return ENABLED;
  }

  /**
   * Loads {@code vectorClass} (a class that uses {@code jdk.incubator.vector}) and instantiates it with its
   * no-argument constructor when the Vector API is enabled; otherwise logs, once, that {@code what} runs
   * on the slower scalar path and how to enable the fast one, and returns {@code scalar}.
   */
  public static <T> T load(Class<T> type, String vectorClass, T scalar, String what) {
    if (ENABLED) {
      try {
        return type.cast(Class.forName(vectorClass).getDeclaredConstructor().newInstance());
      } catch (ReflectiveOperationException | LinkageError e) {
        LOG.warn("the vector kernels for {} did not load ({}); using the scalar path", what, e.toString());
        return scalar;
      }
    }
    if (TOLD.compareAndSet(false, true)) {
      LOG.warn(
          "the Java Vector API is not enabled, so {} and other kernels run on the slower scalar path; start"
              + " the JVM with --add-modules jdk.incubator.vector for the fast one",
          what);
    }
    return scalar;
  }
}
