/**
 * Testing applications built on gemma4j: a bundled tiny model, a JUnit 5 extension, golden prompts and
 * timing assertions.
 */
@NullMarked
package dev.gemma4j.testkit;

import org.jspecify.annotations.NullMarked;
