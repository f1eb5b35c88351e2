package dev.gemma4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.gemma4j.Gemma;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The extension injects one model per class; the bundled model is the default. */
@GemmaModel(backend = "cpu")
class GemmaExtensionTest {
  static final AtomicReference<Gemma> SEEN = new AtomicReference<>();

  @AfterEach
  void clear() {
    System.clearProperty(GemmaExtension.MODEL_PROPERTY);
  }

  @Test
  void injectsTheBundledModel(Gemma gemma) {
    assertEquals(BundledModel.path(), gemma.folder());
    SEEN.compareAndSet(null, gemma);
    assertSame(SEEN.get(), gemma, "one model for the class");
  }

  @Test
  void injectsTheSameModelIntoEveryMethod(Gemma gemma) {
    SEEN.compareAndSet(null, gemma);
    assertSame(SEEN.get(), gemma, "one model for the class");
  }

  @Test
  void thePropertyWinsOverTheAnnotation() {
    GemmaModel annotation = GemmaExtensionTest.class.getAnnotation(GemmaModel.class);
    assertEquals(BundledModel.path().toString(), GemmaExtension.modelName(annotation));
    System.setProperty(GemmaExtension.MODEL_PROPERTY, "/models/gemma-2-2b-it");
    assertEquals("/models/gemma-2-2b-it", GemmaExtension.modelName(annotation));
  }
}
