package dev.gemma4j;

/**
 * One generated token, as streaming delivers it.
 *
 * @param index 0 for the first generated token
 * @param id the token id
 * @param text the text this token completes; may be empty (part of a multi-byte character, a skipped
 *     special token, or text held back because it may begin a stop string) and never splits a character
 */
public record TokenEvent(int index, int id, String text) {}
