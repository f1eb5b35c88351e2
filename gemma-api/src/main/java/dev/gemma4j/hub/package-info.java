/**
 * Finding checkpoints: local folders, the Hugging Face cache, downloads from the hub (or a mirror through
 * {@code HF_ENDPOINT}) and from ModelScope.
 */
@NullMarked
package dev.gemma4j.hub;

import org.jspecify.annotations.NullMarked;
