package dev.gemma4j;

/** Why a generation ended. */
public enum FinishReason {
  /** The model produced a stop token ({@code <eos>}, {@code <end_of_turn>} or one of the request's). */
  STOP_TOKEN,
  /** The text reached one of the request's stop strings; the text ends before it. */
  STOP_STRING,
  /** The request's maximum of new tokens, or the model's context length, was reached. */
  LENGTH,
  /** The caller cancelled the request. */
  CANCELLED,
  /** The request's timeout passed before it finished. */
  TIMEOUT
}
