package dev.gemma4j.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of a checkpoint, read from its {@code config.json}: Gemma 2 or Gemma 3 (see
 * {@link Architecture}), each by its own reader.
 *
 * <p>Both formats in circulation are accepted: the published checkpoints' ({@code rope_theta},
 * {@code torch_dtype}, no {@code layer_types}) and the newer one written by transformers 5
 * ({@code rope_parameters}, {@code dtype}, {@code layer_types}).
 *
 * @param vocabSize rows of the embedding matrix
 * @param hiddenSize width of the residual stream
 * @param intermediateSize width of the MLP's hidden layer
 * @param numLayers decoder layers
 * @param numHeads query heads
 * @param numKvHeads key/value heads; {@code numHeads} is a multiple of it (grouped-query attention)
 * @param headDim width of one head; not always {@code hiddenSize / numHeads}
 * @param maxPositions longest sequence (prompt plus generated tokens) the model supports
 * @param rmsNormEps epsilon of every RMSNorm
 * @param globalRope the RoPE of full-attention layers
 * @param localRope the RoPE of sliding-window layers (Gemma 2: the same as {@code globalRope})
 * @param queryPreAttnScalar attention scores are scaled by its inverse square root
 * @param attnSoftcap attention-score soft-cap, {@code 0} when disabled
 * @param finalSoftcap final-logit soft-cap, {@code 0} when disabled
 * @param slidingWindow keys a sliding layer attends to, the query included
 * @param layerTypes the attention kind of each layer
 * @param tieWordEmbeddings whether the output head is the embedding matrix
 * @param bosId the beginning-of-sequence token
 * @param eosIds tokens that end generation by default
 * @param padId the padding token
 * @param storedDtype the dtype the checkpoint declares ({@code bfloat16}, {@code float32}, ...)
 * @param architecture which forward pass runs it
 */
public record ModelConfig(
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int maxPositions,
    double rmsNormEps,
    RopeParameters globalRope,
    RopeParameters localRope,
    double queryPreAttnScalar,
    double attnSoftcap,
    double finalSoftcap,
    int slidingWindow,
    List<LayerType> layerTypes,
    boolean tieWordEmbeddings,
    int bosId,
    List<Integer> eosIds,
    int padId,
    String storedDtype,
    Architecture architecture) {
  /** More layers than any Gemma 2 has by far; a larger count is a damaged config. */
  static final int MAX_LAYERS = 1024;

  /**
   * No model's vocabulary is larger (Gemma's has 256,000 tokens): the bound for a {@code config.json}, a
   * tokenizer file and token ids from a request or a server, so a hostile number cannot size an allocation.
   */
  public static final int MAX_VOCAB_SIZE = 1 << 20;


  /** How the constructor names the file in its messages; {@link #fromJson} puts the real path there. */
  private static final String UNNAMED_SOURCE = "config.json";

  private static final List<String> SUPPORTED_DTYPES = List.of("float32", "bfloat16", "float16");

  /** Validates the fields; see {@link #load(Path)} for the messages a bad file gets. */
  public ModelConfig {
    layerTypes = List.copyOf(layerTypes);
    eosIds = List.copyOf(eosIds);
    String where = UNNAMED_SOURCE;
    // Bounded far above any Gemma 2 (27B: 46 layers, hidden 4608, 256000 tokens), so that a corrupt or
    // hostile file cannot size an allocation.
    within(vocabSize, MAX_VOCAB_SIZE, "vocab_size", where);
    within(hiddenSize, 1 << 16, "hidden_size", where);
    within(intermediateSize, 1 << 18, "intermediate_size", where);
    within(numLayers, MAX_LAYERS, "num_hidden_layers", where);
    within(numHeads, 1024, "num_attention_heads", where);
    within(numKvHeads, 1024, "num_key_value_heads", where);
    within(headDim, 4096, "head_dim", where);
    within(maxPositions, 1 << 22, "max_position_embeddings", where);
    within(slidingWindow, Integer.MAX_VALUE, "sliding_window", where);
    if (headDim % 2 != 0) {
      throw new ModelFormatException(where + ": head_dim " + headDim + " must be even for RoPE");
    }
    if (numHeads % numKvHeads != 0) {
      throw new ModelFormatException(
          where
              + ": num_attention_heads ("
              + numHeads
              + ") must be a multiple of num_key_value_heads ("
              + numKvHeads
              + ")");
    }
    if (layerTypes.size() != numLayers) {
      throw new ModelFormatException(
          where
              + ": layer_types has "
              + layerTypes.size()
              + " entries but num_hidden_layers is "
              + numLayers);
    }
    if (!(rmsNormEps > 0 && rmsNormEps < 1)) {
      throw new ModelFormatException(where + ": rms_norm_eps must be a small positive number (Gemma 2 uses 1e-6), found "
          + rmsNormEps);
    }
    java.util.Objects.requireNonNull(globalRope, "globalRope");
    java.util.Objects.requireNonNull(localRope, "localRope");
    java.util.Objects.requireNonNull(architecture, "architecture");
    if (!(queryPreAttnScalar > 0) || !Double.isFinite(queryPreAttnScalar)) {
      throw new ModelFormatException(where + ": query_pre_attn_scalar must be positive and finite");
    }
    if (!(attnSoftcap >= 0) || !(finalSoftcap >= 0) || !Double.isFinite(attnSoftcap) || !Double.isFinite(finalSoftcap)) {
      throw new ModelFormatException(where + ": soft-capping values must be finite and not negative (0 is off)");
    }
    requireToken(bosId, vocabSize, "bos_token_id", where);
    requireToken(padId, vocabSize, "pad_token_id", where);
    for (int eos : eosIds) {
      requireToken(eos, vocabSize, "eos_token_id", where);
    }
    if (!SUPPORTED_DTYPES.contains(storedDtype)) {
      throw new ModelFormatException(where + ": dtype (torch_dtype) \"" + storedDtype + "\" is not supported; gemma4j"
          + " reads checkpoints stored as " + String.join(", ", SUPPORTED_DTYPES));
    }
  }

  /**
   * Reads {@code config.json} from a file.
   *
   * @throws ModelFormatException when the file is missing, is not JSON, is not a config gemma4j runs or
   *     lacks a required key; the message names the file and the key
   */
  public static ModelConfig load(Path configJson) {
    return fromJson(
        JsonFields.read(
            configJson,
            "a Hugging Face checkpoint folder holds config.json next to its *.safetensors files;"
                + " point --model at such a folder"));
  }

  /** Parses the text of a {@code config.json}; {@code source} names it in error messages. */
  public static ModelConfig parse(String json, String source) {
    return fromJson(JsonFields.parse(json, source));
  }

  private static ModelConfig fromJson(JsonFields f) {
    String modelType = f.stringOrNull("model_type");
    if (modelType == null) {
      throw new ModelFormatException(f.source() + " has no \"model_type\"; gemma4j runs the model types "
          + Architecture.supportedModelTypes());
    }
    try {
      return ConfigReaders.read(modelType, f);
    } catch (ModelFormatException e) {
      if (e.getMessage().startsWith(UNNAMED_SOURCE + ":")) {
        throw new ModelFormatException(f.source() + e.getMessage().substring(UNNAMED_SOURCE.length()), e);
      }
      throw e;
    }
  }

  static void within(int value, int max, String key, String where) {
    if (value <= 0 || value > max) {
      throw new ModelFormatException(where + ": " + key + " must be from 1 to " + max + ", found " + value);
    }
  }

  /** A token id field (bos, eos, pad) must name a token of the vocabulary. */
  static void requireToken(int id, int vocabSize, String key, String where) {
    if (id < 0 || id >= vocabSize) {
      throw new ModelFormatException(where + ": " + key + " " + id + " is outside the vocabulary [0, " + vocabSize + ")");
    }
  }

  /** The rotary embedding of layers of kind {@code type}. */
  public RopeParameters rope(LayerType type) {
    return type == LayerType.FULL ? globalRope : localRope;
  }

  /** The attention kind of layer {@code layer}. */
  public LayerType layerType(int layer) {
    return layerTypes.get(layer);
  }

  /** Query heads that share one key/value head. */
  public int queriesPerKvHead() {
    return numHeads / numKvHeads;
  }

  /** The factor attention scores are multiplied by: {@code query_pre_attn_scalar ^ -0.5}. */
  public double attentionScale() {
    return 1.0 / Math.sqrt(queryPreAttnScalar);
  }

  /** Bytes of keys and values that one token occupies in the cache over all layers. */
  public long kvBytesPerToken(int bytesPerElement) {
    return 2L * numKvHeads * headDim * bytesPerElement * numLayers;
  }

  /** Number of weights, embedding included once (it is tied to the output head). */
  public long parameterCount() {
    long attention = (long) hiddenSize * headDim * (2L * numHeads + 2L * numKvHeads);
    long mlp = 3L * hiddenSize * intermediateSize;
    long norms = 4L * hiddenSize + (architecture == Architecture.GEMMA3 ? 2L * headDim : 0);
    long embed = (long) vocabSize * hiddenSize;
    return embed * (tieWordEmbeddings ? 1 : 2) + numLayers * (attention + mlp + norms) + hiddenSize;
  }

  /** A short human description, e.g. {@code gemma2 26 layers, hidden 2304, 8/4 heads x 256}. */
  public String summary() {
    return String.format(
        Locale.ROOT,
        "%s %d layers, hidden %d, %d/%d heads x %d, vocab %d, %.2fB parameters, %s",
        architecture.displayName(),
        numLayers,
        hiddenSize,
        numHeads,
        numKvHeads,
        headDim,
        vocabSize,
        parameterCount() / 1e9,
        storedDtype);
  }
}
