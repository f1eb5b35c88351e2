package dev.gemma4j.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Turns generated ids into text one id at a time without ever splitting a UTF-8 character: bytes of an
 * incomplete sequence (Gemma spells rare characters as byte tokens {@code <0xNN>}) are held back until
 * the character is complete. Concatenating every returned chunk and {@link #finish()} gives the same text
 * as decoding all ids at once. Not thread-safe: one decoder per generation.
 */
public final class TokenTextDecoder {
  private final Vocabulary vocabulary;
  private final Set<Integer> skipped;
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private ByteBuffer pending = ByteBuffer.allocate(64);

  TokenTextDecoder(Vocabulary vocabulary, Set<Integer> skipped) {
    this.vocabulary = vocabulary;
    this.skipped = skipped;
  }

  /** Adds one id; returns the text it completes (possibly empty). */
  public String push(int id) {
    if (skipped.contains(id)) {
      return "";
    }
    String piece = vocabulary.piece(id);
    if (piece == null) {
      return "";
    }
    append(Vocabulary.outputBytes(piece));
    return drain(false);
  }

  /** Ends the text: bytes still held back (an incomplete character at the very end) become U+FFFD. */
  public String finish() {
    return drain(true);
  }

  private void append(byte[] bytes) {
    if (pending.remaining() < bytes.length) {
      ByteBuffer larger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + bytes.length));
      pending.flip();
      larger.put(pending);
      pending = larger;
    }
    pending.put(bytes);
  }

  private String drain(boolean endOfInput) {
    pending.flip();
    CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
    utf8.decode(pending, out, endOfInput);
    if (endOfInput) {
      utf8.flush(out);
      utf8.reset();
    }
    pending.compact();
    out.flip();
    return out.toString();
  }
}
