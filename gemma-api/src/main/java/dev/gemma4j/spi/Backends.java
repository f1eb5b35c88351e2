package dev.gemma4j.spi;

import dev.gemma4j.GemmaException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Finds backends with {@link ServiceLoader} and picks one: an explicit choice wins, then the system
 * property {@value #PROPERTY}, then the environment variable {@value #ENV}, then the best-ranked available
 * provider. {@link #diagnostics()} lists every provider with its availability.
 */
public final class Backends {
  /** System property that names the backend to use. */
  public static final String PROPERTY = "gemma.backend";

  /** Environment variable that names the backend to use. */
  public static final String ENV = "GEMMA_BACKEND";

  private final List<BackendProvider> providers;

  private Backends(List<BackendProvider> providers) {
    this.providers =
        providers.stream().sorted(Comparator.comparingInt(BackendProvider::rank)).toList();
  }

  /** The providers registered on the class path. */
  public static Backends discover() {
    List<BackendProvider> found = new ArrayList<>();
    ServiceLoader.load(BackendProvider.class).forEach(found::add);
    return new Backends(found);
  }

  /** A fixed set of providers, for tests and applications that wire backends themselves. */
  public static Backends of(List<BackendProvider> providers) {
    return new Backends(List.copyOf(providers));
  }

  /** The providers, best rank first. */
  public List<BackendProvider> providers() {
    return providers;
  }

  /**
   * Picks a backend.
   *
   * @param requested a backend name, or {@code null} to consult the property, the environment and the
   *     ranking in that order
   * @throws GemmaException when the requested backend is unknown or unavailable, or none is available;
   *     the message lists what was found and why each provider is unavailable
   */
  public BackendProvider select(@Nullable String requested) {
    String name = requested;
    String origin = "the option";
    if (name == null || name.isBlank()) {
      name = System.getProperty(PROPERTY);
      origin = "-D" + PROPERTY;
    }
    if (name == null || name.isBlank()) {
      name = System.getenv(ENV);
      origin = ENV;
    }
    if (name != null && !name.isBlank() && !name.equalsIgnoreCase("auto")) {
      return named(name.trim().toLowerCase(Locale.ROOT), origin);
    }
    for (BackendProvider p : providers) {
      if (p.availability().available()) {
        return p;
      }
    }
    throw new GemmaException(
        "no gemma4j backend is available; add gemma-backend-cpu to the class path. Providers found:\n"
            + diagnostics());
  }

  private BackendProvider named(String name, String origin) {
    String base = name.contains(":") ? name.substring(0, name.indexOf(':')) : name;
    for (BackendProvider p : providers) {
      if (p.name().equals(base)) {
        Availability a = p.availability();
        if (!a.available()) {
          throw new GemmaException(
              "backend \"" + base + "\" (chosen by " + origin + ") is not available: " + a.detail());
        }
        return p;
      }
    }
    throw new GemmaException(
        "unknown backend \""
            + name
            + "\" (chosen by "
            + origin
            + "); known backends: "
            + providers.stream().map(BackendProvider::name).collect(Collectors.joining(", "))
            + " (or auto)");
  }

  /** One line per provider: name, rank, and availability with its detail. */
  public String diagnostics() {
    if (providers.isEmpty()) {
      return "  (none: no META-INF/services/dev.gemma4j.spi.BackendProvider on the class path)";
    }
    StringBuilder out = new StringBuilder();
    for (BackendProvider p : providers) {
      Availability a = p.availability();
      out.append(
          String.format(
              Locale.ROOT,
              "  %-4s rank %-3d %s: %s%n",
              p.name(),
              p.rank(),
              a.available() ? "available" : "unavailable",
              a.detail()));
    }
    return out.toString().stripTrailing();
  }

  /** The device index of a name such as {@code npu:1}; 0 when none is given. */
  public static int deviceIndex(@Nullable String name) {
    if (name == null || !name.contains(":")) {
      return 0;
    }
    String index = name.substring(name.indexOf(':') + 1);
    try {
      return Integer.parseInt(index);
    } catch (NumberFormatException e) {
      throw new GemmaException(
          "\"" + name + "\" has no valid device index; write the backend as name:index, e.g. npu:1");
    }
  }
}
