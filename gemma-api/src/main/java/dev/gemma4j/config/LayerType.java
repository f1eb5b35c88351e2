package dev.gemma4j.config;

/** The attention kind of one decoder layer. */
public enum LayerType {
  /** Attends to at most {@code sliding_window} keys, the query's own position included. */
  SLIDING,
  /** Attends to every earlier position. */
  FULL
}
