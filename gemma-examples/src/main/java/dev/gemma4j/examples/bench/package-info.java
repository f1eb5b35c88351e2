/** The serving benchmark behind {@code gemma bench}, and its reports. */
@NullMarked
package dev.gemma4j.examples.bench;

import org.jspecify.annotations.NullMarked;
