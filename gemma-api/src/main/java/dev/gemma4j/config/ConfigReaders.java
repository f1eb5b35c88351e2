package dev.gemma4j.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One {@code config.json} reader per {@link Architecture}: each knows its architecture's keys and the
 * defaults transformers' config class fills in for keys a file leaves out.
 */
final class ConfigReaders {
  private ConfigReaders() {}

  static ModelConfig read(String modelType, JsonFields f) {
    return switch (modelType) {
      case "gemma2" -> gemma2(f);
      case "gemma3_text" -> gemma3(f, f);
      case "gemma3" -> {
        JsonFields text = f.objectOrNull("text_config");
        if (text == null) {
          throw f.missing("text_config");
        }
        yield gemma3(text, f);
      }
      default -> throw new ModelFormatException(f.source() + " describes a \"" + modelType + "\" model; gemma4j runs"
          + " the model types " + Architecture.supportedModelTypes() + ", such as google/gemma-2-9b-it,"
          + " google/gemma-3-1b-it or google/gemma-3-4b-it");
    };
  }

  /** Gemma 2, with {@code Gemma2Config}'s defaults. */
  private static ModelConfig gemma2(JsonFields f) {
    int hidden = f.requireInt("hidden_size");
    int heads = f.requireInt("num_attention_heads");
    int layers = layerCount(f, f.requireInt("num_hidden_layers"));
    RopeParameters rope = gemma2Rope(f);
    return ModelConfig.builder()
        .vocabSize(f.requireInt("vocab_size"))
        .hiddenSize(hidden)
        .intermediateSize(f.requireInt("intermediate_size"))
        .numLayers(layers)
        .numHeads(heads)
        .numKvHeads(f.intOr("num_key_value_heads", heads))
        .headDim(f.intOr("head_dim", hidden / Math.max(1, heads)))
        .maxPositions(f.intOr("max_position_embeddings", 8192))
        .rmsNormEps(f.doubleOr("rms_norm_eps", 1e-6))
        .globalRope(rope)
        .localRope(rope)
        .queryPreAttnScalar(f.doubleOr("query_pre_attn_scalar", 256))
        .attnSoftcap(f.doubleOr("attn_logit_softcapping", 0))
        .finalSoftcap(f.doubleOr("final_logit_softcapping", 0))
        .slidingWindow(f.intOr("sliding_window", 4096))
        .layerTypes(layerTypes(f, layers, i -> i % 2 == 0)) // published configs predate layer_types: even layers slide
        .tieWordEmbeddings(f.booleanOr("tie_word_embeddings", true))
        .bosId(f.intOr("bos_token_id", 2))
        .eosIds(f.intList("eos_token_id"))
        .padId(f.intOr("pad_token_id", 0))
        .storedDtype(storedDtype(f, f))
        .architecture(Architecture.GEMMA2)
        .activation(activation(f))
        .build();
  }

  private static RopeParameters gemma2Rope(JsonFields f) {
    if (f.objectOrNull("rope_scaling") != null) {
      throw new ModelFormatException(f.source() + ": rope_scaling is not supported; Gemma 2 checkpoints do not use it");
    }
    JsonFields rope = f.objectOrNull("rope_parameters");
    RopeParameters parameters =
        rope != null ? RopeParameters.read(rope, f.doubleOr("rope_theta", 10000.0))
            : new RopeParameters(f.doubleOr("rope_theta", 10000.0), 1);
    if (parameters.linearFactor() != 1) {
      throw new ModelFormatException(f.source() + ": rope_type \"linear\" is not supported; Gemma 2 uses \"default\"");
    }
    return parameters;
  }

  /**
   * Gemma 3's language model, with {@code Gemma3TextConfig}'s defaults: the text keys from {@code text}
   * ({@code text_config} of a multimodal config, else the file itself), the dtype and token ids from the
   * top level where the text part lacks them.
   */
  private static ModelConfig gemma3(JsonFields text, JsonFields top) {
    if (text.booleanOr("use_bidirectional_attention", false)) {
      throw new ModelFormatException(text.source() + ": use_bidirectional_attention is true (an embedding model such"
          + " as EmbeddingGemma); gemma4j generates with causal Gemma 3 models only");
    }
    int layers = layerCount(text, text.intOr("num_hidden_layers", 26));
    int pattern = text.intOr("sliding_window_pattern", text.intOr("_sliding_window_pattern", 6));
    ModelConfig.within(pattern, ModelConfig.MAX_LAYERS, "sliding_window_pattern", text.source());
    RopeParameters global;
    RopeParameters local;
    JsonFields parameters = text.objectOrNull("rope_parameters");
    // transformers 5 writes rope_parameters per layer kind, sometimes keeping the bases at the top level.
    double globalTheta = text.doubleOr("rope_theta", 1_000_000.0);
    double localTheta = text.doubleOr("rope_local_base_freq", 10_000.0);
    if (parameters != null && parameters.has("full_attention")) {
      global = RopeParameters.read(requireObject(parameters, "full_attention"), globalTheta);
      local = RopeParameters.read(requireObject(parameters, "sliding_attention"), localTheta);
    } else {
      JsonFields scaling = text.objectOrNull("rope_scaling");
      global = scaling == null ? new RopeParameters(globalTheta, 1) : RopeParameters.read(scaling, globalTheta);
      local = new RopeParameters(localTheta, 1);
    }
    return ModelConfig.builder()
        .vocabSize(text.intOr("vocab_size", 262_208))
        .hiddenSize(text.intOr("hidden_size", 2304))
        .intermediateSize(text.intOr("intermediate_size", 9216))
        .numLayers(layers)
        .numHeads(text.intOr("num_attention_heads", 8))
        .numKvHeads(text.intOr("num_key_value_heads", 4))
        .headDim(text.intOr("head_dim", 256))
        .maxPositions(text.intOr("max_position_embeddings", 131_072))
        .rmsNormEps(text.doubleOr("rms_norm_eps", 1e-6))
        .globalRope(global)
        .localRope(local)
        .queryPreAttnScalar(text.doubleOr("query_pre_attn_scalar", 256))
        .attnSoftcap(0) // transformers' Gemma 3 attention passes no soft-cap, whatever attn_logit_softcapping says
        .finalSoftcap(text.doubleOr("final_logit_softcapping", 0))
        .slidingWindow(text.intOr("sliding_window", 4096))
        .layerTypes(layerTypes(text, layers, i -> (i + 1) % pattern != 0))
        .tieWordEmbeddings(text.booleanOr("tie_word_embeddings", top.booleanOr("tie_word_embeddings", true)))
        .bosId(text.intOr("bos_token_id", top.intOr("bos_token_id", 2)))
        .eosIds(text.has("eos_token_id") ? text.intList("eos_token_id") : top.intList("eos_token_id"))
        .padId(text.intOr("pad_token_id", top.intOr("pad_token_id", 0)))
        .storedDtype(storedDtype(top, text))
        .architecture(Architecture.GEMMA3)
        .activation(activation(text))
        .build();
  }

  private static JsonFields requireObject(JsonFields f, String key) {
    JsonFields object = f.objectOrNull(key);
    if (object == null) {
      throw f.missing(key);
    }
    return object;
  }

  private static int layerCount(JsonFields f, int layers) {
    ModelConfig.within(layers, ModelConfig.MAX_LAYERS, "num_hidden_layers", f.source()); // before it sizes a list
    return layers;
  }

  /** The activation {@code hidden_activation} (or the older {@code hidden_act}) names; Gemma's when absent. */
  private static Activation activation(JsonFields f) {
    String name = f.stringOrNull("hidden_activation");
    if (name == null) {
      name = f.stringOrNull("hidden_act");
    }
    if (name == null) {
      return Activation.GELU_TANH;
    }
    for (Activation a : Activation.values()) {
      if (a.configName().equals(name)) {
        return a;
      }
    }
    throw new ModelFormatException(f.source() + ": hidden_activation \"" + name + "\" is not supported; Gemma 2 and"
        + " Gemma 3 use \"" + Activation.GELU_TANH.configName() + "\"");
  }

  private static List<LayerType> layerTypes(JsonFields f, int layers, java.util.function.IntPredicate slidesByDefault) {
    List<String> names = f.stringList("layer_types");
    List<LayerType> types = new ArrayList<>();
    if (names.isEmpty()) {
      for (int i = 0; i < layers; i++) {
        types.add(slidesByDefault.test(i) ? LayerType.SLIDING : LayerType.FULL);
      }
      return types;
    }
    for (String name : names) {
      types.add(switch (name) {
        case "sliding_attention" -> LayerType.SLIDING;
        case "full_attention" -> LayerType.FULL;
        default -> throw new ModelFormatException(f.source() + ": unknown layer type \"" + name
            + "\"; expected \"sliding_attention\" or \"full_attention\"");
      });
    }
    return types;
  }

  private static String storedDtype(JsonFields first, JsonFields second) {
    for (JsonFields f : List.of(first, second)) {
      String dtype = f.stringOrNull("dtype");
      if (dtype == null) {
        dtype = f.stringOrNull("torch_dtype");
      }
      if (dtype != null) {
        return dtype.toLowerCase(Locale.ROOT);
      }
    }
    return "float32";
  }
}
