/** Parsing of a checkpoint's {@code config.json} and {@code generation_config.json}. */
@NullMarked
package dev.gemma4j.config;

import org.jspecify.annotations.NullMarked;
