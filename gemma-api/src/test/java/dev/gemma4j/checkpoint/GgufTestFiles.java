package dev.gemma4j.checkpoint;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * GGUF files for tests, written here from the project's fixtures as llama.cpp's {@code convert_hf_to_gguf.py}
 * writes Gemma 2 (its names, norms as {@code 1 + w}, no {@code lm_head}, GGUF v3 aligned to 32), with gguf-py's
 * Q8_0 and Q4_0 quantizers, and a test-side dequantization ({@code d * q}, {@code d * (q - 8)}) for the
 * float32 twin of a quantized file. Not shipped: the product reads GGUF, it does not write it.
 */
public final class GgufTestFiles {
  private GgufTestFiles() {}

  /** A tensor to write: its GGUF name, type, dimensions innermost first, and its bytes. */
  public record Tensor(String name, GgufType type, long[] dims, byte[] data) {}

  /** Writes a GGUF v3 file. {@code metadata} values: String, Integer (u32), Float (f32), Boolean, List of String. */
  public static void write(Path out, Map<String, Object> metadata, List<Tensor> tensors) throws IOException {
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    int32(header, GgufFile.MAGIC);
    int32(header, 3);
    int64(header, tensors.size());
    int64(header, metadata.size());
    for (Map.Entry<String, Object> e : metadata.entrySet()) {
      string(header, e.getKey());
      value(header, e.getValue());
    }
    long offset = 0;
    List<Long> offsets = new ArrayList<>();
    for (Tensor t : tensors) {
      string(header, t.name());
      int32(header, t.dims().length);
      for (long d : t.dims()) {
        int64(header, d);
      }
      int32(header, t.type().id());
      int64(header, offset);
      offsets.add(offset);
      offset = (offset + t.data().length + 31) / 32 * 32;
    }
    try (OutputStream file = Files.newOutputStream(out)) {
      byte[] h = header.toByteArray();
      file.write(h);
      file.write(new byte[(32 - h.length % 32) % 32]);
      long written = 0;
      for (int i = 0; i < tensors.size(); i++) {
        file.write(new byte[(int) (offsets.get(i) - written)]);
        file.write(tensors.get(i).data());
        written = offsets.get(i) + tensors.get(i).data().length;
      }
    }
  }

  /**
   * Converts a Gemma 2 fixture folder to GGUF with its 2-D layer weights in {@code type} ({@code F32}: the
   * fixture's own float type; the embedding always keeps it). With {@code dequantizedTwin}, the layer weights are instead the float32 values a {@code type}
   * file dequantizes to, computed here. Queries are rescaled as the shared converter does when the config's
   * {@code query_pre_attn_scalar} is not the head size (llama.cpp scales by the head size).
   */
  public static void fromFixture(Path fixture, GgufType type, boolean dequantizedTwin, Path out) throws IOException {
    JsonObject config = JsonParser.parseString(Files.readString(fixture.resolve("config.json"))).getAsJsonObject();
    int hidden = config.get("hidden_size").getAsInt();
    int heads = config.get("num_attention_heads").getAsInt();
    int headDim = config.has("head_dim") ? config.get("head_dim").getAsInt() : hidden / heads;
    double scalar = config.has("query_pre_attn_scalar") ? config.get("query_pre_attn_scalar").getAsDouble() : headDim;
    boolean gemma3 = config.get("model_type").getAsString().startsWith("gemma3");
    String arch = gemma3 ? "gemma3" : "gemma2";
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("general.architecture", arch);
    metadata.put("general.name", fixture.getFileName().toString());
    metadata.put(arch + ".context_length", config.get("max_position_embeddings").getAsInt());
    metadata.put(arch + ".embedding_length", hidden);
    metadata.put(arch + ".block_count", config.get("num_hidden_layers").getAsInt());
    metadata.put(arch + ".feed_forward_length", config.get("intermediate_size").getAsInt());
    metadata.put(arch + ".attention.head_count", heads);
    metadata.put(arch + ".attention.head_count_kv", config.get("num_key_value_heads").getAsInt());
    metadata.put(arch + ".attention.key_length", headDim);
    metadata.put(arch + ".attention.value_length", headDim);
    metadata.put(arch + ".attention.layer_norm_rms_epsilon", config.get("rms_norm_eps").getAsFloat());
    metadata.put(arch + ".attention.sliding_window", config.get("sliding_window").getAsInt());
    if (gemma3) {
      JsonObject global = config.has("rope_parameters")
          ? config.getAsJsonObject("rope_parameters").getAsJsonObject("full_attention") : config;
      metadata.put("gemma3.rope.freq_base", global.get("rope_theta").getAsFloat());
      JsonObject scaling = config.has("rope_parameters") ? global
          : config.get("rope_scaling") instanceof JsonObject o ? o : new JsonObject();
      if (scaling.has("factor")) {
        metadata.put("gemma3.rope.scaling.type", "linear");
        metadata.put("gemma3.rope.scaling.factor", scaling.get("factor").getAsFloat());
      }
    } else {
      metadata.put("gemma2.attn_logit_softcapping", config.get("attn_logit_softcapping").getAsFloat());
      metadata.put("gemma2.final_logit_softcapping", config.get("final_logit_softcapping").getAsFloat());
      metadata.put("gemma2.rope.freq_base", 10000f);
    }
    metadata.put("tokenizer.ggml.bos_token_id", config.get("bos_token_id").getAsInt());
    metadata.put("tokenizer.ggml.eos_token_id", config.get("eos_token_id").isJsonArray()
        ? config.getAsJsonArray("eos_token_id").get(0).getAsInt() : config.get("eos_token_id").getAsInt());
    Path tokenizer = fixture.resolve("tokenizer.json");
    if (Files.isRegularFile(tokenizer)) {
      vocabulary(JsonParser.parseString(Files.readString(tokenizer)).getAsJsonObject(), metadata);
    }
    List<Tensor> tensors = new ArrayList<>();
    try (Checkpoint checkpoint = Checkpoint.open(fixture)) {
      for (TensorInfo t : checkpoint.tensors().values()) {
        String name = ggufName(t.name());
        if (name == null) {
          continue; // lm_head: tied
        }
        float[] values = floats(checkpoint, t);
        long[] dims = t.shape().size() == 1 ? new long[] {t.shape().getFirst()}
            : new long[] {t.shape().get(1), t.shape().getFirst()};
        // llama.cpp scales queries by 1/sqrt(head_dim); the config's scalar is folded into what makes q: Gemma 3's
        // q_norm weight (its norm would undo a scale of attn_q), Gemma 2's attn_q.
        float fold = (float) Math.sqrt(headDim / scalar);
        if (t.shape().size() == 1) {
          for (int i = 0; i < values.length; i++) {
            values[i] += 1f; // llama.cpp's norm multiplies by w; Gemma's by 1 + w
            if (name.endsWith("attn_q_norm.weight") && scalar != headDim) {
              values[i] *= fold;
            }
          }
          tensors.add(new Tensor(name, GgufType.F32, dims, f32(values)));
          continue;
        }
        if (!gemma3 && name.endsWith("attn_q.weight") && scalar != headDim) {
          for (int i = 0; i < values.length; i++) {
            values[i] *= fold;
          }
        }
        if (name.equals("token_embd.weight") || type == GgufType.F32) {
          tensors.add(asStored(name, dims, t, values));
        } else if (dequantizedTwin) {
          tensors.add(new Tensor(name, GgufType.F32, dims, f32(dequantized(type, values))));
        } else {
          tensors.add(new Tensor(name, type, dims, encode(type, values)));
        }
      }
    }
    write(out, metadata, tensors);
  }

  /**
   * A tokenizer.json's vocabulary as convert_hf_to_gguf.py and the shared converter write it: pieces by id,
   * a piece's score minus one less than the rank of its first merge (0 when no merge makes it), byte pieces
   * typed BYTE, added tokens CONTROL (special) or USER_DEFINED at score -1000.
   */
  static void vocabulary(JsonObject tokenizer, Map<String, Object> metadata) {
    JsonObject model = tokenizer.getAsJsonObject("model");
    JsonObject vocab = model.getAsJsonObject("vocab");
    int size = vocab.entrySet().stream().mapToInt(e -> e.getValue().getAsInt()).max().orElse(-1) + 1;
    Map<String, Integer> firstRank = new java.util.HashMap<>();
    var merges = model.getAsJsonArray("merges");
    for (int rank = 0; rank < merges.size(); rank++) {
      var m = merges.get(rank);
      String merged = m.isJsonArray() ? m.getAsJsonArray().get(0).getAsString() + m.getAsJsonArray().get(1).getAsString()
          : m.getAsString().replaceFirst(" ", "");
      firstRank.putIfAbsent(merged, rank);
    }
    String[] tokens = new String[size];
    float[] scores = new float[size];
    int[] types = new int[size];
    for (var e : vocab.entrySet()) {
      int id = e.getValue().getAsInt();
      tokens[id] = e.getKey();
      Integer rank = firstRank.get(e.getKey());
      scores[id] = rank == null ? 0f : -(rank + 1f);
      types[id] = e.getKey().matches("<0x[0-9A-F]{2}>") ? 6 : 1;
    }
    for (var t : tokenizer.getAsJsonArray("added_tokens")) {
      int id = t.getAsJsonObject().get("id").getAsInt();
      tokens[id] = t.getAsJsonObject().get("content").getAsString();
      scores[id] = -1000f;
      types[id] = t.getAsJsonObject().get("special").getAsBoolean() ? 3 : 4;
    }
    metadata.put("tokenizer.ggml.model", "llama");
    metadata.put("tokenizer.ggml.tokens", java.util.Arrays.asList(tokens));
    metadata.put("tokenizer.ggml.scores", scores);
    metadata.put("tokenizer.ggml.token_type", types);
    metadata.put("tokenizer.ggml.unknown_token_id", vocab.get(model.get("unk_token").getAsString()).getAsInt());
  }

  /** gemma4j's dequantization of blocks (checked against gguf-py by {@code GgufFileTest}), as float32 bytes. */
  public static byte[] dequantize(GgufType type, byte[] blocks, long elements) {
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      java.lang.foreign.MemorySegment out = arena.allocate(elements * 4);
      GgufDequantizer.toFloat32(type, java.lang.foreign.MemorySegment.ofArray(blocks), out, elements);
      return out.toArray(ValueLayout.JAVA_BYTE);
    }
  }

  /**
   * A random Gemma 2 model of {@code hidden} = 256 (rows the size of a K-quant super-block): the layer weights
   * as Q4_K_M files mix them (Q4_K, with Q6_K for {@code attn_v} and {@code ffn_down}), or ({@code twin}) the
   * float32 values those blocks dequantize to.
   */
  public static void randomKQuantModel(Path out, boolean twin, long seed) throws IOException {
    Random random = new Random(seed);
    int hidden = 256;
    int ffn = 512;
    int vocab = 512;
    int heads = 2;
    int headDim = 128;
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("general.architecture", "gemma2");
    metadata.put("gemma2.context_length", 128);
    metadata.put("gemma2.embedding_length", hidden);
    metadata.put("gemma2.block_count", 2);
    metadata.put("gemma2.feed_forward_length", ffn);
    metadata.put("gemma2.attention.head_count", heads);
    metadata.put("gemma2.attention.head_count_kv", 1);
    metadata.put("gemma2.attention.key_length", headDim);
    metadata.put("gemma2.attention.value_length", headDim);
    metadata.put("gemma2.attention.layer_norm_rms_epsilon", 1e-6f);
    metadata.put("gemma2.attn_logit_softcapping", 50f);
    metadata.put("gemma2.final_logit_softcapping", 30f);
    metadata.put("gemma2.attention.sliding_window", 16);
    List<Tensor> tensors = new ArrayList<>();
    float[] embedding = new float[vocab * hidden];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = (float) random.nextGaussian() * 0.5f;
    }
    tensors.add(new Tensor("token_embd.weight", GgufType.F32, new long[] {hidden, vocab}, f32(embedding)));
    for (int layer = 0; layer < 2; layer++) {
      for (String norm : List.of("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm")) {
        tensors.add(norm("blk." + layer + "." + norm + ".weight", hidden, random));
      }
      Object[][] linear = {{"attn_q", heads * headDim, hidden, GgufType.Q4_K}, {"attn_k", headDim, hidden, GgufType.Q4_K},
          {"attn_v", headDim, hidden, GgufType.Q6_K}, {"attn_output", hidden, heads * headDim, GgufType.Q4_K},
          {"ffn_gate", ffn, hidden, GgufType.Q4_K}, {"ffn_up", ffn, hidden, GgufType.Q4_K},
          {"ffn_down", hidden, ffn, GgufType.Q6_K}};
      for (Object[] l : linear) {
        int rows = (Integer) l[1];
        int cols = (Integer) l[2];
        GgufType type = (GgufType) l[3];
        byte[] blocks = randomBlocks(type, (long) rows * cols, random);
        String name = "blk." + layer + "." + l[0] + ".weight";
        long[] dims = {cols, rows};
        tensors.add(twin ? new Tensor(name, GgufType.F32, dims, dequantize(type, blocks, (long) rows * cols))
            : new Tensor(name, type, dims, blocks));
      }
    }
    tensors.add(norm("output_norm.weight", hidden, random));
    write(out, metadata, tensors);
  }

  private static Tensor norm(String name, int size, Random random) {
    float[] w = new float[size];
    for (int i = 0; i < size; i++) {
      w[i] = 1f + (float) random.nextGaussian() * 0.1f;
    }
    return new Tensor(name, GgufType.F32, new long[] {size}, f32(w));
  }

  /** A float tensor in the fixture's own type (bf16 stays bf16, bit for bit), so its goldens still hold. */
  private static Tensor asStored(String name, long[] dims, TensorInfo t, float[] values) {
    if (t.dtype() != DType.BF16) {
      return new Tensor(name, GgufType.F32, dims, f32(values));
    }
    ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putShort((short) (Float.floatToRawIntBits(v) >>> 16)); // exact: the values came from bf16
    }
    return new Tensor(name, GgufType.BF16, dims, b.array());
  }

  /** The GGUF name of a Hugging Face tensor name, or {@code null} for the tied head. */
  static String ggufName(String hf) {
    for (String gguf : candidates(hf)) {
      if (hf.equals(GgufWeights.hfName(gguf))) {
        return gguf;
      }
    }
    return null;
  }

  private static List<String> candidates(String hf) {
    List<String> out = new ArrayList<>(List.of("token_embd.weight", "output_norm.weight"));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("model\\.layers\\.(\\d+)\\..*").matcher(hf);
    if (m.matches()) {
      for (String part : List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "post_attention_norm",
          "ffn_norm", "ffn_gate", "ffn_up", "ffn_down", "post_ffw_norm", "attn_q_norm", "attn_k_norm")) {
        out.add("blk." + m.group(1) + "." + part + ".weight");
      }
    }
    return out;
  }

  static float[] floats(Checkpoint checkpoint, TensorInfo t) {
    float[] out = new float[(int) t.elementCount()];
    var segment = checkpoint.segment(t, 0, t.byteLength());
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (t.dtype()) {
        case F32 -> segment.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
        case BF16 -> Float.intBitsToFloat(segment.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i) << 16);
        case F16 -> Float.float16ToFloat(segment.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
        default -> throw new IllegalArgumentException(t.dtype().name());
      };
    }
    return out;
  }

  public static byte[] f32(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  /** gguf-py's quantizers: Q8_0 {@code d = max|x| / 127, q = round(x / d)}; Q4_0 {@code d = max / -8, q = min(15, trunc(x / d + 8.5))}. */
  static byte[] encode(GgufType type, float[] x) {
    ByteBuffer out = ByteBuffer.allocate(x.length / 32 * type.blockBytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int b = 0; b < x.length / 32; b++) {
      if (type == GgufType.Q8_0) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
          amax = Math.max(amax, Math.abs(x[b * 32 + j]));
        }
        float d = amax / 127f;
        float inv = d == 0 ? 0 : 1f / d;
        out.putShort(Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
          out.put((byte) roundf(x[b * 32 + j] * inv));
        }
      } else if (type == GgufType.Q4_0) {
        float max = 0;
        for (int j = 0; j < 32; j++) {
          if (Math.abs(x[b * 32 + j]) > Math.abs(max)) {
            max = x[b * 32 + j];
          }
        }
        float d = max / -8f;
        float inv = d == 0 ? 0 : 1f / d;
        out.putShort(Float.floatToFloat16(d));
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) {
          q[j] = Math.clamp((int) (x[b * 32 + j] * inv + 8.5f), 0, 15);
        }
        for (int j = 0; j < 16; j++) {
          out.put((byte) (q[j] | q[j + 16] << 4));
        }
      } else {
        throw new IllegalArgumentException("no test quantizer for " + type);
      }
    }
    return out.array();
  }

  private static float roundf(float v) {
    return Math.signum(v) * (float) Math.floor(Math.abs(v) + 0.5f);
  }

  /** What a file of {@code type} dequantizes {@code x} to, computed here from the stored blocks. */
  static float[] dequantized(GgufType type, float[] x) {
    ByteBuffer blocks = ByteBuffer.wrap(encode(type, x)).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[x.length];
    for (int b = 0; b < x.length / 32; b++) {
      float d = Float.float16ToFloat(blocks.getShort());
      if (type == GgufType.Q8_0) {
        for (int j = 0; j < 32; j++) {
          out[b * 32 + j] = blocks.get() * d;
        }
      } else {
        for (int j = 0; j < 16; j++) {
          int q = blocks.get() & 0xff;
          out[b * 32 + j] = ((q & 0xF) - 8) * d;
          out[b * 32 + j + 16] = ((q >> 4) - 8) * d;
        }
      }
    }
    return out;
  }

  /** Random but well-formed blocks of {@code type}: small float16 scales, any quants. */
  public static byte[] randomBlocks(GgufType type, long elements, Random random) {
    byte[] data = new byte[(int) (elements / type.blockElements() * type.blockBytes())];
    random.nextBytes(data);
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = 0; at < data.length; at += type.blockBytes()) {
      switch (type) {
        case Q4_K -> {
          b.putShort(at, Float.floatToFloat16(0.001f + random.nextFloat() * 0.002f));
          b.putShort(at + 2, Float.floatToFloat16(0.001f + random.nextFloat() * 0.002f));
        }
        case Q6_K -> b.putShort(at + 208, Float.floatToFloat16(0.0005f + random.nextFloat() * 0.001f));
        case Q8_0, Q4_0 -> b.putShort(at, Float.floatToFloat16(0.001f + random.nextFloat() * 0.004f));
        default -> throw new IllegalArgumentException(type.name());
      }
    }
    return data;
  }

  private static void int32(ByteArrayOutputStream out, int v) {
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
  }

  private static void int64(ByteArrayOutputStream out, long v) {
    out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
  }

  private static void string(ByteArrayOutputStream out, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    int64(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static void value(ByteArrayOutputStream out, Object v) {
    switch (v) {
      case String s -> {
        int32(out, 8);
        string(out, s);
      }
      case Integer i -> {
        int32(out, 4);
        int32(out, i);
      }
      case Float f -> {
        int32(out, 6);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(f).array());
      }
      case Boolean b -> {
        int32(out, 7);
        out.write(b ? 1 : 0);
      }
      case List<?> list -> {
        int32(out, 9);
        int32(out, 8);
        int64(out, list.size());
        list.forEach(s -> string(out, (String) s));
      }
      case float[] floats -> {
        int32(out, 9);
        int32(out, 6);
        int64(out, floats.length);
        for (float f : floats) {
          out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(f).array());
        }
      }
      case int[] ints -> {
        int32(out, 9);
        int32(out, 5);
        int64(out, ints.length);
        for (int i : ints) {
          int32(out, i);
        }
      }
      default -> throw new IllegalArgumentException(v.getClass().getName());
    }
  }
}
