package dev.gemma4j.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The architecture of a Gemma 2 checkpoint, read from its {@code config.json}.
 *
 * <p>Both formats in circulation are accepted: the published checkpoints' ({@code rope_theta},
 * {@code torch_dtype}, no {@code layer_types}: even layers slide) and the newer one written by
 * transformers 5 ({@code rope_parameters.rope_theta}, {@code dtype}, {@code layer_types}).
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
 * @param ropeTheta RoPE base
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
    double ropeTheta,
    double queryPreAttnScalar,
    double attnSoftcap,
    double finalSoftcap,
    int slidingWindow,
    List<LayerType> layerTypes,
    boolean tieWordEmbeddings,
    int bosId,
    List<Integer> eosIds,
    int padId,
    String storedDtype) {
  /** More layers than any Gemma 2 has by far; a larger count is a damaged config. */
  private static final int MAX_LAYERS = 1024;

  /**
   * No model's vocabulary is larger (Gemma's has 256,000 tokens): the bound for a {@code config.json}, a
   * tokenizer file and token ids from a request or a server, so a hostile number cannot size an allocation.
   */
  public static final int MAX_VOCAB_SIZE = 1 << 20;


  /** How the constructor names the file in its messages; {@link #fromJson} puts the real path there. */
  private static final String UNNAMED_SOURCE = "config.json";

  private static final String SUPPORTED_ACTIVATION = "gelu_pytorch_tanh";
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
    if (!(ropeTheta > 0) || !Double.isFinite(ropeTheta) || !(queryPreAttnScalar > 0) || !Double.isFinite(queryPreAttnScalar)) {
      throw new ModelFormatException(where + ": rope_theta and query_pre_attn_scalar must be positive and finite");
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
   * @throws ModelFormatException when the file is missing, is not JSON, is not a Gemma 2 config or
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
      throw new ModelFormatException(
          f.source() + " has no \"model_type\"; gemma4j runs Gemma 2 checkpoints (model_type \"gemma2\")");
    }
    if (!modelType.equals("gemma2")) {
      throw new ModelFormatException(
          f.source()
              + " describes a \""
              + modelType
              + "\" model; gemma4j runs Gemma 2 checkpoints (model_type \"gemma2\"),"
              + " such as google/gemma-2-2b-it, -9b-it or -27b-it");
    }
    String activation = f.stringOrNull("hidden_activation");
    if (activation == null) {
      activation = f.stringOrNull("hidden_act");
    }
    if (activation != null && !activation.equals(SUPPORTED_ACTIVATION)) {
      throw new ModelFormatException(
          f.source()
              + ": hidden_activation \""
              + activation
              + "\" is not supported; Gemma 2 uses \""
              + SUPPORTED_ACTIVATION
              + "\"");
    }
    int hidden = f.requireInt("hidden_size");
    int heads = f.requireInt("num_attention_heads");
    int layers = f.requireInt("num_hidden_layers");
    within(layers, MAX_LAYERS, "num_hidden_layers", f.source()); // before it sizes the layer list
    try {
      return fromFields(f, hidden, heads, layers);
    } catch (ModelFormatException e) {
      if (e.getMessage().startsWith(UNNAMED_SOURCE + ":")) {
        throw new ModelFormatException(f.source() + e.getMessage().substring(UNNAMED_SOURCE.length()), e);
      }
      throw e;
    }
  }

  private static ModelConfig fromFields(JsonFields f, int hidden, int heads, int layers) {
    return new ModelConfig(
        f.requireInt("vocab_size"),
        hidden,
        f.requireInt("intermediate_size"),
        layers,
        heads,
        f.intOr("num_key_value_heads", heads),
        f.intOr("head_dim", hidden / Math.max(1, heads)),
        f.intOr("max_position_embeddings", 8192),
        f.doubleOr("rms_norm_eps", 1e-6),
        ropeTheta(f),
        f.doubleOr("query_pre_attn_scalar", 256),
        f.doubleOr("attn_logit_softcapping", 0),
        f.doubleOr("final_logit_softcapping", 0),
        f.intOr("sliding_window", 4096),
        layerTypes(f, layers),
        f.booleanOr("tie_word_embeddings", true),
        f.intOr("bos_token_id", 2),
        f.intList("eos_token_id"),
        f.intOr("pad_token_id", 0),
        storedDtype(f));
  }

  private static double ropeTheta(JsonFields f) {
    JsonFields rope = f.objectOrNull("rope_parameters");
    if (rope != null) {
      String type = rope.stringOrNull("rope_type");
      if (type != null && !type.equals("default")) {
        throw new ModelFormatException(
            f.source() + ": rope_type \"" + type + "\" is not supported; Gemma 2 uses \"default\"");
      }
      if (rope.has("rope_theta")) {
        return rope.requireDouble("rope_theta");
      }
    }
    JsonFields scaling = f.objectOrNull("rope_scaling");
    if (scaling != null) {
      throw new ModelFormatException(
          f.source() + ": rope_scaling is not supported; Gemma 2 checkpoints do not use it");
    }
    return f.doubleOr("rope_theta", 10000.0);
  }

  private static List<LayerType> layerTypes(JsonFields f, int layers) {
    List<String> names = f.stringList("layer_types");
    List<LayerType> types = new ArrayList<>();
    if (names.isEmpty()) {
      // Published configs predate layer_types: Gemma 2 alternates, starting with a sliding layer.
      for (int i = 0; i < layers; i++) {
        types.add(i % 2 == 0 ? LayerType.SLIDING : LayerType.FULL);
      }
      return types;
    }
    for (String name : names) {
      types.add(
          switch (name) {
            case "sliding_attention" -> LayerType.SLIDING;
            case "full_attention" -> LayerType.FULL;
            default ->
                throw new ModelFormatException(
                    f.source()
                        + ": unknown layer type \""
                        + name
                        + "\"; expected \"sliding_attention\" or \"full_attention\"");
          });
    }
    return types;
  }

  private static String storedDtype(JsonFields f) {
    String dtype = f.stringOrNull("dtype");
    if (dtype == null) {
      dtype = f.stringOrNull("torch_dtype");
    }
    return dtype == null ? "float32" : dtype.toLowerCase(Locale.ROOT);
  }

  private static void within(int value, int max, String key, String where) {
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
    long norms = 4L * hiddenSize;
    long embed = (long) vocabSize * hiddenSize;
    return embed * (tieWordEmbeddings ? 1 : 2) + numLayers * (attention + mlp + norms) + hiddenSize;
  }

  /** A short human description, e.g. {@code gemma2 26 layers, hidden 2304, 8/4 heads x 256}. */
  public String summary() {
    return String.format(
        Locale.ROOT,
        "gemma2 %d layers, hidden %d, %d/%d heads x %d, vocab %d, %.2fB parameters, %s",
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
