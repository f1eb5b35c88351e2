package dev.gemma4j.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class with a {@link dev.gemma4j.Gemma} model: parameters of type {@code Gemma} (in
 * constructors, lifecycle and test methods) receive it. The model is opened once per test class, or once
 * for the whole run with {@link #shared()}, and closed afterwards.
 *
 * <p>Which model: the system property {@value GemmaExtension#MODEL_PROPERTY}, else the environment
 * variable {@value GemmaExtension#MODEL_ENV}, else {@link #value()}, else the bundled tiny model; so a CI
 * job can switch every test to a real model without touching the code.
 *
 * <pre>{@code
 * @GemmaModel(backend = "cpu")
 * class AnswersTest {
 *   @Test
 *   void goldens(Gemma gemma) {
 *     GoldenFile.forModel(gemma).verify(GoldenPrompts.builtIn());
 *   }
 * }
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(GemmaExtension.class)
public @interface GemmaModel {
  /** A model id or folder; empty for the bundled tiny model (unless the property or variable is set). */
  String value() default "";

  /** A backend name ({@code cpu}, {@code npu}); empty for the best available one. */
  String backend() default "";

  /** Math precision: {@code f32} or {@code bf16}. */
  String dtype() default "f32";

  /** Open the model once for every test class that asks for the same one, and close it at the end. */
  boolean shared() default false;
}
