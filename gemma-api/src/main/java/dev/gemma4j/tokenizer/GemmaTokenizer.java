package dev.gemma4j.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.ChatMessage;
import dev.gemma4j.Prompt;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.internal.SafeFiles;
import dev.gemma4j.internal.StrictJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Map;
import java.util.Set;

/**
 * The Gemma tokenizer of a checkpoint, through DJL's Hugging Face tokenizers ({@code tokenizer.json}).
 *
 * <p>Encoding adds BOS (the {@code post_processor} of Gemma's tokenizer does; a tokenizer that does not
 * gets it prepended here) and never truncates or pads. Decoding with special tokens skipped drops the
 * tokenizer's named special tokens ({@code <bos>}, {@code <eos>}, {@code <pad>}, {@code <unk>}, as
 * {@code tokenizer_config.json} names them) and keeps control tokens such as {@code <start_of_turn>},
 * as the reference does.
 */
public final class GemmaTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final Vocabulary vocabulary;
  private final int bosId;
  private final int eosId;
  private final Set<Integer> namedSpecialIds;

  private GemmaTokenizer(
      HuggingFaceTokenizer tokenizer, Vocabulary vocabulary, int bosId, int eosId, Set<Integer> specials) {
    this.tokenizer = tokenizer;
    this.vocabulary = vocabulary;
    this.bosId = bosId;
    this.eosId = eosId;
    this.namedSpecialIds = Set.copyOf(specials);
  }

  /**
   * Loads {@code tokenizer.json} (and {@code tokenizer_config.json} when present) from a checkpoint
   * folder.
   *
   * @throws ModelFormatException when {@code tokenizer.json} is missing or unreadable
   */
  public static GemmaTokenizer load(Path folder) {
    Path file = folder.resolve("tokenizer.json");
    if (!presentIn(folder)) {
      throw new ModelFormatException(
          folder + " has no tokenizer.json; copy it from the model's repository (every Gemma 2"
              + " checkpoint ships one), or pass prompts as token ids");
    }
    SafeFiles.requireRegularFile(file, "the tokenizer", ModelFormatException::new);
    Vocabulary vocabulary = Vocabulary.read(file);
    SpecialTokens names = SpecialTokens.read(folder.resolve("tokenizer_config.json"));
    int bos = idOf(vocabulary, names.bos(), 2);
    int eos = idOf(vocabulary, names.eos(), 1);
    Set<Integer> specials = new LinkedHashSet<>();
    for (String name : names.all()) {
      Integer id = vocabulary.id(name);
      if (id != null) {
        specials.add(id);
      }
    }
    try {
      HuggingFaceTokenizer tokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(file)
              .optAddSpecialTokens(true)
              .optTruncation(false)
              .optPadding(false)
              .build();
      return new GemmaTokenizer(tokenizer, vocabulary, bos, eos, specials);
    } catch (IOException | RuntimeException e) {
      throw new ModelFormatException("cannot load " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The tokenizer of a GGUF file's vocabulary (its {@code tokenizer.ggml.*} metadata), for a file with no
   * {@code tokenizer.json} beside it; see {@link GgufVocabulary}.
   *
   * @throws ModelFormatException when the file has no usable SentencePiece vocabulary
   */
  public static GemmaTokenizer fromGguf(Map<String, Object> metadata, Path source) {
    String json = GgufVocabulary.tokenizerJson(metadata, source);
    Path folder = null;
    try {
      folder = Files.createTempDirectory("gemma4j-gguf-tokenizer");
      Files.writeString(folder.resolve("tokenizer.json"), json);
      return load(folder);
    } catch (IOException e) {
      throw new ModelFormatException("cannot build the tokenizer of " + source + ": " + e.getMessage(), e);
    } finally {
      if (folder != null) {
        try {
          Files.deleteIfExists(folder.resolve("tokenizer.json"));
          Files.deleteIfExists(folder);
        } catch (IOException ignored) {
          // a temporary file the system cleans up
        }
      }
    }
  }

  /**
   * Whether {@code folder} has anything named {@code tokenizer.json}, a link or a FIFO included: such an
   * entry is loaded, and refused for what it is, rather than taken for missing.
   */
  public static boolean presentIn(Path folder) {
    return Files.exists(folder.resolve("tokenizer.json"), java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  private static int idOf(Vocabulary vocabulary, String piece, int fallback) {
    Integer id = vocabulary.id(piece);
    return id != null ? id : fallback;
  }

  /**
   * The token ids a prompt runs as: given ids unchanged; text with BOS first; a chat rendered with Gemma 2's
   * template (see {@link ChatTemplate}), BOS first.
   */
  public int[] encode(Prompt prompt) {
    int[] ids = prompt.tokenIds();
    if (ids != null) {
      return ids;
    }
    List<ChatMessage> messages = prompt.messages();
    if (messages == null) {
      String text = prompt.plainText();
      return encode(text == null ? "" : text);
    }
    return encodeChat(messages, prompt.specialTokensInMessages());
  }

  /**
   * A chat's token ids, BOS first. With {@code specialTokensInMessages} false (the default of
   * {@link Prompt#chat}), special-token text inside a message ({@code <end_of_turn>}, {@code <bos>}, ...)
   * is encoded as the plain characters it is made of, never as the token: the rendered chat is encoded in
   * pieces cut just after the first character of each such occurrence, so the tokenizer cannot match it.
   */
  public int[] encodeChat(List<ChatMessage> messages, boolean specialTokensInMessages) {
    List<ChatTemplate.Segment> segments = ChatTemplate.segments(messages);
    StringBuilder rendered = new StringBuilder();
    List<Integer> cuts = new ArrayList<>();
    for (ChatTemplate.Segment segment : segments) {
      if (segment.message() && !specialTokensInMessages) {
        for (String special : vocabulary.specialTexts()) {
          for (int at = segment.text().indexOf(special); at >= 0; at = segment.text().indexOf(special, at + 1)) {
            cuts.add(rendered.length() + at + 1);
          }
        }
      }
      rendered.append(segment.text());
    }
    if (cuts.isEmpty()) {
      return encode(rendered.toString());
    }
    Collections.sort(cuts);
    List<int[]> pieces = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      if (cut > from) {
        pieces.add(encode(rendered.substring(from, cut), from == 0));
        from = cut;
      }
    }
    pieces.add(encode(rendered.substring(from), false));
    return pieces.stream().flatMapToInt(Arrays::stream).toArray();
  }

  /** The text of the tokens marked special in {@code tokenizer.json}. */
  public Set<String> specialTokenTexts() {
    return vocabulary.specialTexts();
  }

  /** Token ids of {@code text}, starting with BOS. */
  public int[] encode(String text) {
    return encode(text, true);
  }

  /** Token ids of {@code text}, with or without a leading BOS. */
  public int[] encode(String text, boolean addBos) {
    Encoding encoding = tokenizer.encode(text, addBos, false);
    int[] ids = Arrays.stream(encoding.getIds()).mapToInt(Math::toIntExact).toArray();
    if (addBos && (ids.length == 0 || ids[0] != bosId)) {
      int[] withBos = new int[ids.length + 1];
      withBos[0] = bosId;
      System.arraycopy(ids, 0, withBos, 1, ids.length);
      return withBos;
    }
    return ids;
  }

  /**
   * The text of {@code ids}.
   *
   * @param skipSpecialTokens drop {@code <bos>}, {@code <eos>}, {@code <pad>} and {@code <unk>}
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] kept =
        Arrays.stream(ids)
            .filter(id -> !(skipSpecialTokens && namedSpecialIds.contains(id)))
            .filter(id -> id >= 0 && id < vocabulary.size())
            .asLongStream()
            .toArray();
    return tokenizer.decode(kept, false);
  }

  /** A decoder that turns ids into text one at a time, for streaming. */
  public TokenTextDecoder newStreamDecoder(boolean skipSpecialTokens) {
    return new TokenTextDecoder(vocabulary, skipSpecialTokens ? namedSpecialIds : Set.of());
  }

  /** The id of a token such as {@code <end_of_turn>}, if the vocabulary has it. */
  public OptionalInt tokenId(String piece) {
    Integer id = vocabulary.id(piece);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  /** The piece of one id as the vocabulary spells it (e.g. {@code ▁capital}), or empty. */
  public String piece(int id) {
    String piece = vocabulary.piece(id);
    return piece == null ? "" : piece;
  }

  /**
   * What each token adds to the output on its own, by id: its piece with {@code ▁} as a space, or
   * {@code null} for a token that is special, a byte piece (part of a character) or undefined. A grammar
   * can allow exactly the tokens with text.
   */
  public java.util.List<@org.jspecify.annotations.Nullable String> tokenTexts() {
    java.util.List<String> texts = new java.util.ArrayList<>(vocabulary.size());
    Set<String> special = vocabulary.specialTexts();
    for (int id = 0; id < vocabulary.size(); id++) {
      String piece = vocabulary.piece(id);
      texts.add(piece == null || Vocabulary.isBytePiece(piece) || special.contains(piece) || namedSpecialIds.contains(id)
          ? null : piece.replace('\u2581', ' '));
    }
    return texts;
  }

  /**
   * A token as people read it in a list of tokens (OpenAI's log probabilities): its piece with {@code ▁} as a
   * space, a byte piece as written ({@code <0xE2>}); empty for an undefined id.
   */
  public String pieceText(int id) {
    String piece = piece(id);
    return Vocabulary.isBytePiece(piece) ? piece : piece.replace('\u2581', ' ');
  }

  /** The bytes a token adds to the output: one byte for a byte piece, else its text in UTF-8. */
  public byte[] pieceBytes(int id) {
    return Vocabulary.outputBytes(piece(id));
  }

  /** The beginning-of-sequence id. */
  public int bosId() {
    return bosId;
  }

  /** The end-of-sequence id. */
  public int eosId() {
    return eosId;
  }

  /** Ids the vocabulary defines. */
  public int vocabularySize() {
    return vocabulary.size();
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /** The named special tokens of {@code tokenizer_config.json}. */
  private record SpecialTokens(String bos, String eos, String pad, String unk) {
    static SpecialTokens read(Path config) {
      SpecialTokens defaults = new SpecialTokens("<bos>", "<eos>", "<pad>", "<unk>");
      if (!Files.exists(config)) {
        return defaults;
      }
      try {
        JsonObject o = StrictJson.parseObject(
            SafeFiles.readText(config, 16 << 20, "tokenizer config", ModelFormatException::new),
            config.toString(), ModelFormatException::new);
        return new SpecialTokens(
            name(o, "bos_token", defaults.bos()),
            name(o, "eos_token", defaults.eos()),
            name(o, "pad_token", defaults.pad()),
            name(o, "unk_token", defaults.unk()));
      } catch (ModelFormatException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new ModelFormatException(config + " is not a valid tokenizer config: " + e.getMessage(), e);
      }
    }

    private static String name(JsonObject o, String key, String fallback) {
      JsonElement e = o.get(key);
      if (e == null || e.isJsonNull()) {
        return fallback;
      }
      if (e.isJsonObject() && e.getAsJsonObject().has("content")) {
        return e.getAsJsonObject().get("content").getAsString();
      }
      return e.isJsonPrimitive() ? e.getAsString() : fallback;
    }

    /**
     * The named tokens and Gemma's four, whatever the config names: Gemma 3's names {@code <end_of_turn>} its
     * eos_token, and its {@code <eos>} is skipped all the same.
     */
    Set<String> all() {
      return new LinkedHashSet<>(List.of(bos, eos, pad, unk, "<bos>", "<eos>", "<pad>", "<unk>"));
    }
  }
}
