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
 * <p>Immutable; made by the readers of {@code config.json} or by {@link #builder()}, so that a new field
 * never breaks a caller.
 */
public final class ModelConfig {
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
  private final int vocabSize;
  private final int hiddenSize;
  private final int intermediateSize;
  private final int numLayers;
  private final int numHeads;
  private final int numKvHeads;
  private final int headDim;
  private final int maxPositions;
  private final double rmsNormEps;
  private final RopeParameters globalRope;
  private final RopeParameters localRope;
  private final double queryPreAttnScalar;
  private final double attnSoftcap;
  private final double finalSoftcap;
  private final int slidingWindow;
  private final List<LayerType> layerTypes;
  private final boolean tieWordEmbeddings;
  private final int bosId;
  private final List<Integer> eosIds;
  private final int padId;
  private final String storedDtype;
  private final Architecture architecture;
  private final Activation activation;

  private ModelConfig(Builder b) {
    this.vocabSize = b.vocabSize;
    this.hiddenSize = b.hiddenSize;
    this.intermediateSize = b.intermediateSize;
    this.numLayers = b.numLayers;
    this.numHeads = b.numHeads;
    this.numKvHeads = b.numKvHeads;
    this.headDim = b.headDim;
    this.maxPositions = b.maxPositions;
    this.rmsNormEps = b.rmsNormEps;
    this.globalRope = java.util.Objects.requireNonNull(b.globalRope, "globalRope");
    this.localRope = java.util.Objects.requireNonNull(b.localRope, "localRope");
    this.queryPreAttnScalar = b.queryPreAttnScalar;
    this.attnSoftcap = b.attnSoftcap;
    this.finalSoftcap = b.finalSoftcap;
    this.slidingWindow = b.slidingWindow;
    this.layerTypes = List.copyOf(b.layerTypes);
    this.tieWordEmbeddings = b.tieWordEmbeddings;
    this.bosId = b.bosId;
    this.eosIds = List.copyOf(b.eosIds);
    this.padId = b.padId;
    this.storedDtype = java.util.Objects.requireNonNull(b.storedDtype, "storedDtype");
    this.architecture = java.util.Objects.requireNonNull(b.architecture, "architecture");
    this.activation = java.util.Objects.requireNonNull(b.activation, "activation");
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

  /** A builder with no values set (the readers of {@code config.json} fill it; tests and tools may too). */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    return new Builder()
        .vocabSize(vocabSize)
        .hiddenSize(hiddenSize)
        .intermediateSize(intermediateSize)
        .numLayers(numLayers)
        .numHeads(numHeads)
        .numKvHeads(numKvHeads)
        .headDim(headDim)
        .maxPositions(maxPositions)
        .rmsNormEps(rmsNormEps)
        .globalRope(globalRope)
        .localRope(localRope)
        .queryPreAttnScalar(queryPreAttnScalar)
        .attnSoftcap(attnSoftcap)
        .finalSoftcap(finalSoftcap)
        .slidingWindow(slidingWindow)
        .layerTypes(layerTypes)
        .tieWordEmbeddings(tieWordEmbeddings)
        .bosId(bosId)
        .eosIds(eosIds)
        .padId(padId)
        .storedDtype(storedDtype)
        .architecture(architecture)
        .activation(activation);
  }

  /** Rows of the embedding matrix. */
  public int vocabSize() {
    return vocabSize;
  }

  /** Width of the residual stream. */
  public int hiddenSize() {
    return hiddenSize;
  }

  /** Width of the MLP's hidden layer. */
  public int intermediateSize() {
    return intermediateSize;
  }

  /** Decoder layers. */
  public int numLayers() {
    return numLayers;
  }

  /** Query heads. */
  public int numHeads() {
    return numHeads;
  }

  /** Key/value heads; {@code numHeads} is a multiple of it (grouped-query attention). */
  public int numKvHeads() {
    return numKvHeads;
  }

  /** Width of one head; not always {@code hiddenSize / numHeads}. */
  public int headDim() {
    return headDim;
  }

  /** Longest sequence (prompt plus generated tokens) the model supports. */
  public int maxPositions() {
    return maxPositions;
  }

  /** Epsilon of every RMSNorm. */
  public double rmsNormEps() {
    return rmsNormEps;
  }

  /** The RoPE of full-attention layers. */
  public RopeParameters globalRope() {
    return globalRope;
  }

  /** The RoPE of sliding-window layers (Gemma 2: the same as {@code globalRope}). */
  public RopeParameters localRope() {
    return localRope;
  }

  /** Attention scores are scaled by its inverse square root. */
  public double queryPreAttnScalar() {
    return queryPreAttnScalar;
  }

  /** Attention-score soft-cap, {@code 0} when disabled. */
  public double attnSoftcap() {
    return attnSoftcap;
  }

  /** Final-logit soft-cap, {@code 0} when disabled. */
  public double finalSoftcap() {
    return finalSoftcap;
  }

  /** Keys a sliding layer attends to, the query included. */
  public int slidingWindow() {
    return slidingWindow;
  }

  /** The attention kind of each layer. */
  public List<LayerType> layerTypes() {
    return layerTypes;
  }

  /** Whether the output head is the embedding matrix. */
  public boolean tieWordEmbeddings() {
    return tieWordEmbeddings;
  }

  /** The beginning-of-sequence token. */
  public int bosId() {
    return bosId;
  }

  /** Tokens that end generation by default. */
  public List<Integer> eosIds() {
    return eosIds;
  }

  /** The padding token. */
  public int padId() {
    return padId;
  }

  /** The dtype the checkpoint declares ({@code bfloat16}, {@code float32}, ...). */
  public String storedDtype() {
    return storedDtype;
  }

  /** Which forward pass runs it. */
  public Architecture architecture() {
    return architecture;
  }

  /** The gated MLP's activation. */
  public Activation activation() {
    return activation;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ModelConfig o
        && vocabSize == o.vocabSize
        && hiddenSize == o.hiddenSize
        && intermediateSize == o.intermediateSize
        && numLayers == o.numLayers
        && numHeads == o.numHeads
        && numKvHeads == o.numKvHeads
        && headDim == o.headDim
        && maxPositions == o.maxPositions
        && Double.compare(rmsNormEps, o.rmsNormEps) == 0
        && globalRope.equals(o.globalRope)
        && localRope.equals(o.localRope)
        && Double.compare(queryPreAttnScalar, o.queryPreAttnScalar) == 0
        && Double.compare(attnSoftcap, o.attnSoftcap) == 0
        && Double.compare(finalSoftcap, o.finalSoftcap) == 0
        && slidingWindow == o.slidingWindow
        && layerTypes.equals(o.layerTypes)
        && tieWordEmbeddings == o.tieWordEmbeddings
        && bosId == o.bosId
        && eosIds.equals(o.eosIds)
        && padId == o.padId
        && storedDtype.equals(o.storedDtype)
        && architecture.equals(o.architecture)
        && activation.equals(o.activation);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, maxPositions, rmsNormEps, globalRope, localRope, queryPreAttnScalar, attnSoftcap, finalSoftcap, slidingWindow, layerTypes, tieWordEmbeddings, bosId, eosIds, padId, storedDtype, architecture, activation);
  }

  @Override
  public String toString() {
    return "ModelConfig[" + summary() + ", layers " + layerTypes + ", rope " + globalRope + " / " + localRope + "]";
  }

  /** Builds a {@link ModelConfig}; {@link #build()} validates every field as {@link #load} does. */
  public static final class Builder {
    private int vocabSize;
    private int hiddenSize;
    private int intermediateSize;
    private int numLayers;
    private int numHeads;
    private int numKvHeads;
    private int headDim;
    private int maxPositions;
    private double rmsNormEps;
    private RopeParameters globalRope;
    private RopeParameters localRope;
    private double queryPreAttnScalar;
    private double attnSoftcap;
    private double finalSoftcap;
    private int slidingWindow;
    private List<LayerType> layerTypes = List.of();
    private boolean tieWordEmbeddings;
    private int bosId;
    private List<Integer> eosIds = List.of();
    private int padId;
    private String storedDtype;
    private Architecture architecture;
    private Activation activation = Activation.GELU_TANH;

    private Builder() {}

    /** Sets {@link ModelConfig#vocabSize()}. */
    public Builder vocabSize(int value) {
      this.vocabSize = value;
      return this;
    }

    /** Sets {@link ModelConfig#hiddenSize()}. */
    public Builder hiddenSize(int value) {
      this.hiddenSize = value;
      return this;
    }

    /** Sets {@link ModelConfig#intermediateSize()}. */
    public Builder intermediateSize(int value) {
      this.intermediateSize = value;
      return this;
    }

    /** Sets {@link ModelConfig#numLayers()}. */
    public Builder numLayers(int value) {
      this.numLayers = value;
      return this;
    }

    /** Sets {@link ModelConfig#numHeads()}. */
    public Builder numHeads(int value) {
      this.numHeads = value;
      return this;
    }

    /** Sets {@link ModelConfig#numKvHeads()}. */
    public Builder numKvHeads(int value) {
      this.numKvHeads = value;
      return this;
    }

    /** Sets {@link ModelConfig#headDim()}. */
    public Builder headDim(int value) {
      this.headDim = value;
      return this;
    }

    /** Sets {@link ModelConfig#maxPositions()}. */
    public Builder maxPositions(int value) {
      this.maxPositions = value;
      return this;
    }

    /** Sets {@link ModelConfig#rmsNormEps()}. */
    public Builder rmsNormEps(double value) {
      this.rmsNormEps = value;
      return this;
    }

    /** Sets {@link ModelConfig#globalRope()}. */
    public Builder globalRope(RopeParameters value) {
      this.globalRope = value;
      return this;
    }

    /** Sets {@link ModelConfig#localRope()}. */
    public Builder localRope(RopeParameters value) {
      this.localRope = value;
      return this;
    }

    /** Sets {@link ModelConfig#queryPreAttnScalar()}. */
    public Builder queryPreAttnScalar(double value) {
      this.queryPreAttnScalar = value;
      return this;
    }

    /** Sets {@link ModelConfig#attnSoftcap()}. */
    public Builder attnSoftcap(double value) {
      this.attnSoftcap = value;
      return this;
    }

    /** Sets {@link ModelConfig#finalSoftcap()}. */
    public Builder finalSoftcap(double value) {
      this.finalSoftcap = value;
      return this;
    }

    /** Sets {@link ModelConfig#slidingWindow()}. */
    public Builder slidingWindow(int value) {
      this.slidingWindow = value;
      return this;
    }

    /** Sets {@link ModelConfig#layerTypes()}. */
    public Builder layerTypes(List<LayerType> value) {
      this.layerTypes = value;
      return this;
    }

    /** Sets {@link ModelConfig#tieWordEmbeddings()}. */
    public Builder tieWordEmbeddings(boolean value) {
      this.tieWordEmbeddings = value;
      return this;
    }

    /** Sets {@link ModelConfig#bosId()}. */
    public Builder bosId(int value) {
      this.bosId = value;
      return this;
    }

    /** Sets {@link ModelConfig#eosIds()}. */
    public Builder eosIds(List<Integer> value) {
      this.eosIds = value;
      return this;
    }

    /** Sets {@link ModelConfig#padId()}. */
    public Builder padId(int value) {
      this.padId = value;
      return this;
    }

    /** Sets {@link ModelConfig#storedDtype()}. */
    public Builder storedDtype(String value) {
      this.storedDtype = value;
      return this;
    }

    /** Sets {@link ModelConfig#architecture()}. */
    public Builder architecture(Architecture value) {
      this.architecture = value;
      return this;
    }

    /** Sets {@link ModelConfig#activation()}. */
    public Builder activation(Activation value) {
      this.activation = value;
      return this;
    }

    /**
     * The config.
     *
     * @throws ModelFormatException when a value is out of its range, naming the {@code config.json} key
     */
    public ModelConfig build() {
      return new ModelConfig(this);
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
                + " open such a folder"));
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
