/** The service-provider interface that backends implement, and their discovery with {@link java.util.ServiceLoader}. */
@NullMarked
package dev.gemma4j.spi;

import org.jspecify.annotations.NullMarked;
