package dev.gemma4j.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.gemma4j.config.GenerationDefaults;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.config.Quantization;
import java.util.Optional;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A GGUF file of a Gemma 2 or 3 model read as a checkpoint: the config from its {@code gemma2.*} or
 * {@code gemma3.*} metadata, and its
 * tensors under the Hugging Face names with llama.cpp's conventions undone. Float tensors are read in place
 * from the mapping. A file whose linear layers are all Q4_0 is the AWQ checkpoint it exactly is (groups of
 * 32, zero point 8, float16 scales: {@link Q4_0Repacking}) and runs on the 4-bit kernels. Norms (stored as
 * {@code 1 + w}) and other quantized tensors (Q8_0, Q4_K, Q6_K, a Q4_0 embedding) are dequantized to float32 at
 * open, so such a file decodes exactly as a float32 file of its dequantized values (and takes float32's
 * memory: kernels that read those blocks in place are issue 26's next step). llama.cpp's attention scale for {@code gemma2} is kept: queries are scaled by
 * {@code 1/sqrt(head_dim)}, by {@code 1/sqrt(hidden/heads)} for the 46-layer (27B) model.
 */
final class GgufWeights implements WeightFile {
  private static final Pattern LAYER = Pattern.compile("blk\\.(\\d{1,4})\\.(.+)");
  private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
      Map.entry("attn_norm.weight", "input_layernorm.weight"),
      Map.entry("attn_q.weight", "self_attn.q_proj.weight"),
      Map.entry("attn_k.weight", "self_attn.k_proj.weight"),
      Map.entry("attn_v.weight", "self_attn.v_proj.weight"),
      Map.entry("attn_output.weight", "self_attn.o_proj.weight"),
      Map.entry("post_attention_norm.weight", "post_attention_layernorm.weight"),
      Map.entry("ffn_norm.weight", "pre_feedforward_layernorm.weight"),
      Map.entry("ffn_gate.weight", "mlp.gate_proj.weight"),
      Map.entry("ffn_up.weight", "mlp.up_proj.weight"),
      Map.entry("ffn_down.weight", "mlp.down_proj.weight"),
      Map.entry("post_ffw_norm.weight", "post_feedforward_layernorm.weight"),
      Map.entry("attn_q_norm.weight", "self_attn.q_norm.weight"),
      Map.entry("attn_k_norm.weight", "self_attn.k_norm.weight"));
  /** llama.cpp's Gemma 3: every sixth layer attends to the whole context, the others to a window. */
  private static final int GEMMA3_PATTERN = 6;

  private final GgufFile file;
  private final Arena converted;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, MemorySegment> convertedData;
  private final ModelConfig config;
  private final GenerationDefaults defaults;
  private final Optional<Quantization> quantization;

  private GgufWeights(GgufFile file, Arena converted, Map<String, TensorInfo> tensors,
      Map<String, MemorySegment> convertedData, ModelConfig config, GenerationDefaults defaults,
      Optional<Quantization> quantization) {
    this.quantization = quantization;
    this.file = file;
    this.converted = converted;
    this.tensors = tensors;
    this.convertedData = convertedData;
    this.config = config;
    this.defaults = defaults;
  }

  /**
   * The GGUF file to open for {@code path}: the path itself when it names a {@code .gguf} file, the one GGUF
   * file of a folder that holds no safetensors, else {@code null}.
   *
   * @throws ModelFormatException when a folder holds several GGUF files and no safetensors
   */
  static @Nullable Path find(Path path) {
    if (Files.isRegularFile(path) && path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
      return path;
    }
    if (!Files.isDirectory(path)) {
      return null;
    }
    try (Stream<Path> list = Files.list(path)) {
      List<Path> files = list.filter(Files::isRegularFile).sorted().toList();
      if (files.stream().anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"))) {
        return null;
      }
      List<Path> gguf = files.stream().filter(p -> p.getFileName().toString().endsWith(".gguf")).toList();
      if (gguf.size() > 1) {
        throw new ModelFormatException(path + " holds several GGUF files " + gguf.stream().map(Path::getFileName)
            .toList() + " and no safetensors; open one of them by its path");
      }
      return gguf.isEmpty() ? null : gguf.getFirst();
    } catch (IOException e) {
      throw new ModelFormatException("cannot list " + path + ": " + e.getMessage(), e);
    }
  }

  /** Opens a GGUF file as a checkpoint's weights. */
  static GgufWeights open(Path path) {
    GgufFile file = GgufFile.open(path);
    Arena arena = Arena.ofShared();
    try {
      Object architecture = file.metadata().get("general.architecture");
      if (!"gemma2".equals(architecture) && !"gemma3".equals(architecture)) {
        throw new ModelFormatException(path + " is a GGUF file of the architecture '" + architecture + "'; gemma4j"
            + " reads GGUF files of Gemma 2 and 3 ('gemma2', 'gemma3')");
      }
      ModelConfig config = ModelConfig.parse(configJson(file, (String) architecture).toString(),
          path + " (its " + architecture + " metadata)");
      Map<String, TensorInfo> tensors = new LinkedHashMap<>();
      Map<String, MemorySegment> data = new LinkedHashMap<>();
      boolean awq = allLinearQ4_0(file);
      for (GgufFile.Tensor t : file.tensors().values()) {
        String name = hfName(t.name());
        if (name == null) {
          if (t.name().equals("output.weight")) {
            continue; // an untied copy of the head; Gemma ties it to the embedding
          }
          throw new ModelFormatException(path + " has the tensor " + t.name() + ", which is not part of a Gemma"
              + " model in llama.cpp's naming");
        }
        boolean norm = t.dims().size() == 1 && name.endsWith("norm.weight");
        if (awq && isLinear(t)) {
          Q4_0Repacking.toAwq(file, t, name.substring(0, name.length() - ".weight".length()), path, arena, tensors, data);
          continue;
        }
        if (!norm && !t.type().quantized()) {
          DType dtype = switch (t.type()) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> throw new IllegalStateException(t.type().name());
          };
          tensors.put(name, new TensorInfo(name, dtype, t.shape(), path, t.offset(), t.byteLength()));
          continue;
        }
        long count = t.elementCount();
        MemorySegment floats = arena.allocate(count * 4, 64);
        GgufDequantizer.toFloat32(t.type(), file.segment(t.offset(), t.byteLength()), floats, count);
        if (norm) {
          // llama.cpp stores Gemma's RMSNorm weight as 1 + w (its norm multiplies by w)
          for (long i = 0; i < count; i++) {
            floats.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i,
                floats.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i) - 1f);
          }
        }
        tensors.put(name, new TensorInfo(name, DType.F32, t.shape(), path, 0, count * 4));
        data.put(name, floats);
      }
      Path folder = path.toAbsolutePath().getParent();
      return new GgufWeights(file, arena, java.util.Collections.unmodifiableMap(tensors), data, config,
          GenerationDefaults.load(folder, config), awq ? Optional.of(new Quantization(4, Q4_0Repacking.GROUP))
              : Optional.empty());
    } catch (OutOfMemoryError e) {
      arena.close();
      file.close();
      throw new ModelFormatException(path + " needs about " + dev.gemma4j.internal.ByteSizes.format(convertedBytes(file))
          + " of memory for the tensors gemma4j widens to float32 when it opens a GGUF file (quantized kernels that"
          + " read those blocks in place are not there yet), and the machine could not give it (" + e.getMessage()
          + "); use a Q4_0 file (it runs at 4 bits), the safetensors checkpoint, or a machine with more memory", e);
    } catch (RuntimeException e) {
      arena.close();
      file.close();
      throw e;
    }
  }

  /** Bytes of float32 that opening {@code file} allocates at most: every quantized tensor and norm, widened. */
  private static long convertedBytes(GgufFile file) {
    return file.tensors().values().stream().filter(t -> t.type().quantized() || t.dims().size() == 1)
        .mapToLong(t -> t.elementCount() * 4).sum();
  }

  /** A layer's two-dimensional weight (not the embedding, not a norm). */
  private static boolean isLinear(GgufFile.Tensor t) {
    return t.dims().size() == 2 && t.name().startsWith("blk.");
  }

  /**
   * Whether every linear layer is Q4_0: then the file runs as the AWQ 4-bit checkpoint it is exactly (groups of
   * 32 inputs, zero point 8, float16 scales), at 4 bits a weight on the 4-bit kernels.
   */
  private static boolean allLinearQ4_0(GgufFile file) {
    List<GgufFile.Tensor> linear = file.tensors().values().stream().filter(GgufWeights::isLinear).toList();
    return !linear.isEmpty() && linear.stream().allMatch(t -> t.type() == GgufType.Q4_0 && t.dims().get(1) % 8 == 0);
  }

  /** The Hugging Face name of a GGUF tensor, or {@code null} for one Gemma does not have. */
  static @Nullable String hfName(String gguf) {
    switch (gguf) {
      case "token_embd.weight" -> {
        return "model.embed_tokens.weight";
      }
      case "output_norm.weight" -> {
        return "model.norm.weight";
      }
      default -> {
        Matcher m = LAYER.matcher(gguf);
        if (!m.matches() || !LAYER_NAMES.containsKey(m.group(2))) {
          return null;
        }
        return "model.layers." + Integer.parseInt(m.group(1)) + "." + LAYER_NAMES.get(m.group(2));
      }
    }
  }

  /**
   * A {@code config.json} of the model the metadata describes, in transformers' keys, with llama.cpp's rules
   * for what GGUF leaves out: the query scale {@code 1/sqrt(head_dim)} ({@code 1/sqrt(hidden/heads)} for the
   * 27B models, 46 layers in Gemma 2 and 62 in Gemma 3); for Gemma 3, every sixth layer global, local RoPE
   * base 10,000, the file's scaling on global layers only.
   */
  private static JsonObject configJson(GgufFile file, String arch) {
    Metadata m = new Metadata(file);
    int layers = m.integer(arch + ".block_count");
    int hidden = m.integer(arch + ".embedding_length");
    int heads = m.integer(arch + ".attention.head_count");
    int headDim = m.has(arch + ".attention.key_length") ? m.integer(arch + ".attention.key_length") : hidden / heads;
    GgufFile.Tensor embedding = file.tensors().get("token_embd.weight");
    if (embedding == null || embedding.dims().size() != 2) {
      throw new ModelFormatException(file.path() + " has no two-dimensional token_embd.weight; it is not a whole model");
    }
    boolean gemma3 = arch.equals("gemma3");
    JsonObject c = new JsonObject();
    JsonArray architectures = new JsonArray();
    architectures.add(gemma3 ? "Gemma3ForCausalLM" : "Gemma2ForCausalLM");
    c.add("architectures", architectures);
    c.addProperty("model_type", gemma3 ? "gemma3_text" : "gemma2");
    c.addProperty("vocab_size", embedding.dims().get(1));
    c.addProperty("hidden_size", hidden);
    c.addProperty("intermediate_size", m.integer(arch + ".feed_forward_length"));
    c.addProperty("num_hidden_layers", layers);
    c.addProperty("num_attention_heads", heads);
    c.addProperty("num_key_value_heads", m.has(arch + ".attention.head_count_kv")
        ? m.integer(arch + ".attention.head_count_kv") : heads);
    c.addProperty("head_dim", headDim);
    c.addProperty("max_position_embeddings", m.integer(arch + ".context_length"));
    c.addProperty("rms_norm_eps", m.decimal(arch + ".attention.layer_norm_rms_epsilon", 1e-6));
    c.addProperty("sliding_window", m.integer(arch + ".attention.sliding_window"));
    boolean large = layers == (gemma3 ? 62 : 46);
    c.addProperty("query_pre_attn_scalar", large ? hidden / heads : headDim);
    c.addProperty("hidden_activation", "gelu_pytorch_tanh");
    c.addProperty("tie_word_embeddings", true);
    if (gemma3) {
      c.addProperty("rope_theta", m.decimal("gemma3.rope.freq_base", 1_000_000));
      c.addProperty("rope_local_base_freq", 10_000);
      JsonArray types = new JsonArray();
      for (int i = 0; i < layers; i++) {
        types.add((i + 1) % GEMMA3_PATTERN == 0 ? "full_attention" : "sliding_attention");
      }
      c.add("layer_types", types);
      double factor = m.decimal("gemma3.rope.scaling.factor", 1);
      if (factor != 1) {
        JsonObject scaling = new JsonObject();
        scaling.addProperty("rope_type", "linear");
        scaling.addProperty("factor", factor);
        c.add("rope_scaling", scaling);
      }
      if (file.metadata().containsKey("gemma3.final_logit_softcapping")) {
        c.addProperty("final_logit_softcapping", m.decimal("gemma3.final_logit_softcapping", 0));
      }
    } else {
      c.addProperty("rope_theta", m.decimal("gemma2.rope.freq_base", 10000));
      c.addProperty("attn_logit_softcapping", m.decimal("gemma2.attn_logit_softcapping", 50));
      c.addProperty("final_logit_softcapping", m.decimal("gemma2.final_logit_softcapping", 30));
    }
    c.addProperty("bos_token_id", m.has("tokenizer.ggml.bos_token_id") ? m.integer("tokenizer.ggml.bos_token_id") : 2);
    JsonArray eos = new JsonArray();
    eos.add(m.has("tokenizer.ggml.eos_token_id") ? m.integer("tokenizer.ggml.eos_token_id") : 1);
    int endOfTurn = endOfTurn(file);
    if (endOfTurn >= 0 && !eos.contains(new com.google.gson.JsonPrimitive(endOfTurn))) {
      eos.add(endOfTurn); // the chat turn's end, which generation_config.json lists beside <eos>
    }
    c.add("eos_token_id", eos);
    c.addProperty("pad_token_id", m.has("tokenizer.ggml.padding_token_id")
        ? m.integer("tokenizer.ggml.padding_token_id") : 0);
    c.addProperty("torch_dtype", embedding.type() == GgufType.BF16 ? "bfloat16"
        : embedding.type() == GgufType.F16 ? "float16" : "float32");
    return c;
  }

  /** The id of {@code <end_of_turn>} in the file's vocabulary, or -1. */
  private static int endOfTurn(GgufFile file) {
    if (file.metadata().get("tokenizer.ggml.eot_token_id") instanceof Number n) {
      return n.intValue();
    }
    return file.metadata().get("tokenizer.ggml.tokens") instanceof List<?> tokens ? tokens.indexOf("<end_of_turn>") : -1;
  }

  /** Typed reads of metadata, with errors that name the key. */
  private record Metadata(GgufFile file) {
    boolean has(String key) {
      return file.metadata().get(key) instanceof Number;
    }

    int integer(String key) {
      if (!(file.metadata().get(key) instanceof Number n) || n.longValue() < 0 || n.longValue() > Integer.MAX_VALUE
          || n.doubleValue() != Math.rint(n.doubleValue())) {
        throw new ModelFormatException(file.path() + ": the metadata " + key + " is "
            + (file.metadata().containsKey(key) ? "'" + file.metadata().get(key) + "'" : "missing")
            + "; a Gemma GGUF file gives it as a non-negative integer");
      }
      return n.intValue();
    }

    double decimal(String key, double absent) {
      Object v = file.metadata().get(key);
      if (v == null) {
        return absent;
      }
      if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
        throw new ModelFormatException(file.path() + ": the metadata " + key + " is '" + v + "', not a number");
      }
      return n.doubleValue();
    }
  }

  Path folder() {
    return file.path().toAbsolutePath().getParent();
  }

  ModelConfig config() {
    return config;
  }

  Map<String, Object> metadata() {
    return file.metadata();
  }

  GenerationDefaults generationDefaults() {
    return defaults;
  }

  /** AWQ 4-bit groups of 32 when every linear layer is Q4_0, else empty. */
  Optional<Quantization> quantization() {
    return quantization;
  }

  @Override
  public Path path() {
    return file.path();
  }

  @Override
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  @Override
  public MemorySegment segment(TensorInfo tensor, long offset, long length) {
    if (offset < 0 || length < 0 || offset + length > tensor.byteLength()) {
      throw new IndexOutOfBoundsException("bytes [" + offset + ", " + (offset + length) + ") of " + tensor.name());
    }
    MemorySegment own = convertedData.get(tensor.name());
    if (own != null) {
      return own.asSlice(offset, length).asReadOnly();
    }
    return file.segment(tensor.fileOffset() + offset, length).asReadOnly();
  }

  @Override
  public boolean unchanged() {
    return file.unchanged();
  }

  @Override
  public void close() {
    try {
      converted.close();
    } finally {
      file.close();
    }
  }
}
