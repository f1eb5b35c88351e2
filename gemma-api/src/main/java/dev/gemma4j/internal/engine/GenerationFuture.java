package dev.gemma4j.internal.engine;

import dev.gemma4j.Generation;
import java.util.concurrent.CompletableFuture;

/**
 * The future of a generation: cancelling it ({@code cancel(true)} or {@code cancel(false)}) also cancels
 * the generation, so its KV-cache blocks and batch slot are freed at the next step.
 */
public final class GenerationFuture extends CompletableFuture<Generation> {
  private final Runnable cancelGeneration;

  public GenerationFuture(Runnable cancelGeneration) {
    this.cancelGeneration = cancelGeneration;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    if (cancelled) {
      cancelGeneration.run();
    }
    return cancelled;
  }

  /** Dependent stages are plain futures: cancelling one of them must not reach the generation. */
  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new CompletableFuture<>();
  }
}
