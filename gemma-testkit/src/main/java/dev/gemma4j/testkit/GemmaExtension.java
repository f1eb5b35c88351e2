package dev.gemma4j.testkit;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.spi.Precision;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link GemmaModel}: resolves {@link Gemma} parameters, opening the model
 * once per test class (or per run when shared) and closing it when the class (or run) ends.
 */
public final class GemmaExtension implements ParameterResolver {
  /** System property naming the model for every {@link GemmaModel} test. */
  public static final String MODEL_PROPERTY = "gemma.testkit.model";

  /** Environment variable naming the model for every {@link GemmaModel} test. */
  public static final String MODEL_ENV = "GEMMA_TESTKIT_MODEL";

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(GemmaExtension.class);

  /** Creates the extension; JUnit does. */
  public GemmaExtension() {}

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Gemma.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    GemmaModel settings = settings(context);
    String model = modelName(settings);
    String key = model + "|" + settings.backend() + "|" + settings.dtype();
    ExtensionContext owner = settings.shared() ? context.getRoot() : classContext(context);
    return owner
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(key, k -> open(model, settings), OpenModel.class)
        .gemma();
  }

  /** The model's name after the property, the environment and the annotation have had their say. */
  static String modelName(GemmaModel settings) {
    String property = System.getProperty(MODEL_PROPERTY);
    if (property != null && !property.isBlank()) {
      return property;
    }
    String env = System.getenv(MODEL_ENV);
    if (env != null && !env.isBlank()) {
      return env;
    }
    return settings.value().isBlank() ? BundledModel.path().toString() : settings.value();
  }

  private static OpenModel open(String model, GemmaModel settings) {
    GemmaOptions options =
        GemmaOptions.builder()
            .backend(settings.backend().isBlank() ? null : settings.backend())
            .precision(Precision.parse(settings.dtype()))
            .build();
    return new OpenModel(Gemma.open(model, options));
  }

  private static GemmaModel settings(ExtensionContext context) {
    Class<?> type = context.getRequiredTestClass();
    for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
      Optional<GemmaModel> found = AnnotationSupport.findAnnotation(c, GemmaModel.class);
      if (found.isPresent()) {
        return found.get();
      }
    }
    return Defaults.class.getAnnotation(GemmaModel.class);
  }

  private static ExtensionContext classContext(ExtensionContext context) {
    ExtensionContext c = context;
    while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
      c = c.getParent().get();
    }
    return c;
  }

  /** The annotation's defaults, for classes that register the extension without it. */
  @GemmaModel
  private static final class Defaults {}

  /** A model in a JUnit store; JUnit closes it when the store's context ends. */
  private record OpenModel(Gemma gemma) implements AutoCloseable {
    @Override
    public void close() {
      gemma.close();
    }
  }
}
