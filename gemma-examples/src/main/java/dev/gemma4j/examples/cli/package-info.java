/** The {@code gemma} command-line program: {@code java -jar gemma-examples/target/gemma.jar --help}. */
@NullMarked
package dev.gemma4j.examples.cli;

import org.jspecify.annotations.NullMarked;
