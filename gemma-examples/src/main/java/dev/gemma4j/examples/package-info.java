/**
 * Example programs for the API's common uses; each takes a model id or folder as its first argument and
 * runs on the bundled tiny model without one.
 */
@NullMarked
package dev.gemma4j.examples;

import org.jspecify.annotations.NullMarked;
