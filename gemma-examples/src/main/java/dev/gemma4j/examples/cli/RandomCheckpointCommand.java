package dev.gemma4j.examples.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.GemmaException;
import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.checkpoint.SafetensorsWriter;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.testkit.BundledModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code gemma random-checkpoint}: a checkpoint of a given config with random weights, so benchmarks run
 * at the real layer shapes of 2B, 9B or 27B without the real weights.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "random-checkpoint",
    description = "Write a checkpoint of a config.json's shapes with random weights (for benchmarks).",
    sortOptions = false)
final class RandomCheckpointCommand implements Callable<Integer> {
  private static final long SHARD_BYTES = 4L << 30;

  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, paramLabel = "CONFIG.json", description = "The architecture, e.g. a published config.json.")
  Path config;

  @Option(names = "--layers", paramLabel = "L", description = "Keep only the first L layers (default: all).")
  int layers;

  @Option(names = "--dtype", paramLabel = "bf16|f32", defaultValue = "bf16", description = "Storage dtype (default bf16).")
  String dtype;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Random seed (default 0).")
  long seed;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to create.")
  Path out;

  @Override
  public Integer call() throws IOException {
    DType storage = switch (dtype.toLowerCase(Locale.ROOT)) {
      case "bf16", "bfloat16" -> DType.BF16;
      case "f32", "float32" -> DType.F32;
      default -> throw new GemmaException("--dtype must be bf16 or f32, not " + dtype);
    };
    if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
      throw new GemmaException(out + " exists and is not empty; choose another --out");
    }
    JsonObject json = configJson(storage);
    ModelConfig model = ModelConfig.parse(json.toString(), config.toString());
    Path temp = Files.createTempDirectory(out.toAbsolutePath().getParent(), out.getFileName() + ".incomplete-");
    try {
      Files.writeString(temp.resolve("config.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json));
      Files.writeString(temp.resolve("generation_config.json"), generationConfig(model));
      writeWeights(model, storage, temp);
      if (model.vocabSize() == 256000) {
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
          Files.copy(BundledModel.path().resolve(file), temp.resolve(file));
        }
      }
      Files.deleteIfExists(out);
      Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      deleteTree(temp);
      throw e;
    }
    spec.commandLine().getOut().printf(
        Locale.ROOT, "wrote %s: %s, %s weights%n", out, model.summary(), storage);
    return 0;
  }

  private JsonObject configJson(DType storage) throws IOException {
    JsonObject json;
    try {
      json = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      throw new GemmaException("cannot read --config " + config + ": " + e.getMessage(), e);
    }
    if (layers > 0) {
      json.addProperty("num_hidden_layers", layers);
      if (json.has("layer_types") && json.get("layer_types").isJsonArray()) {
        JsonArray kept = new JsonArray();
        JsonArray types = json.getAsJsonArray("layer_types");
        for (int i = 0; i < layers && i < types.size(); i++) {
          kept.add(types.get(i));
        }
        json.add("layer_types", kept);
      }
    }
    String name = storage == DType.BF16 ? "bfloat16" : "float32";
    json.addProperty(json.has("dtype") ? "dtype" : "torch_dtype", name);
    return json;
  }

  private static String generationConfig(ModelConfig model) {
    JsonObject g = new JsonObject();
    g.addProperty("bos_token_id", model.bosId());
    JsonArray eos = new JsonArray();
    model.eosIds().forEach(eos::add);
    g.add("eos_token_id", eos);
    g.addProperty("pad_token_id", model.padId());
    return g.toString();
  }

  /** Name and shape of every tensor, in checkpoint order. */
  private static Map<String, List<Long>> shapes(ModelConfig c) {
    long h = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    long inter = c.intermediateSize();
    Map<String, List<Long>> shapes = new LinkedHashMap<>();
    shapes.put("model.embed_tokens.weight", List.of((long) c.vocabSize(), h));
    for (int i = 0; i < c.numLayers(); i++) {
      String p = "model.layers." + i + ".";
      shapes.put(p + "input_layernorm.weight", List.of(h));
      shapes.put(p + "self_attn.q_proj.weight", List.of(q, h));
      shapes.put(p + "self_attn.k_proj.weight", List.of(kv, h));
      shapes.put(p + "self_attn.v_proj.weight", List.of(kv, h));
      shapes.put(p + "self_attn.o_proj.weight", List.of(h, q));
      shapes.put(p + "post_attention_layernorm.weight", List.of(h));
      shapes.put(p + "pre_feedforward_layernorm.weight", List.of(h));
      shapes.put(p + "mlp.gate_proj.weight", List.of(inter, h));
      shapes.put(p + "mlp.up_proj.weight", List.of(inter, h));
      shapes.put(p + "mlp.down_proj.weight", List.of(h, inter));
      shapes.put(p + "post_feedforward_layernorm.weight", List.of(h));
    }
    shapes.put("model.norm.weight", List.of(h));
    return shapes;
  }

  private void writeWeights(ModelConfig model, DType storage, Path folder) throws IOException {
    Map<String, List<Long>> shapes = shapes(model);
    List<List<String>> shards = new ArrayList<>(List.of(new ArrayList<>()));
    long size = 0;
    for (Map.Entry<String, List<Long>> e : shapes.entrySet()) {
      long bytes = e.getValue().stream().reduce(1L, Math::multiplyExact) * storage.bytes();
      if (size > 0 && size + bytes > SHARD_BYTES) {
        shards.add(new ArrayList<>());
        size = 0;
      }
      shards.getLast().add(e.getKey());
      size += bytes;
    }
    if (shards.size() == 1) {
      writer(shards.getFirst(), shapes, storage).write(folder.resolve("model.safetensors"));
      return;
    }
    JsonObject weightMap = new JsonObject();
    for (int s = 0; s < shards.size(); s++) {
      String file = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
      writer(shards.get(s), shapes, storage).write(folder.resolve(file));
      shards.get(s).forEach(name -> weightMap.addProperty(name, file));
    }
    JsonObject index = new JsonObject();
    index.add("metadata", new JsonObject());
    index.add("weight_map", weightMap);
    Files.writeString(folder.resolve("model.safetensors.index.json"), index.toString());
  }

  private SafetensorsWriter writer(List<String> names, Map<String, List<Long>> shapes, DType storage) {
    SafetensorsWriter writer = new SafetensorsWriter();
    for (String name : names) {
      boolean norm = name.endsWith("norm.weight");
      SplittableRandom random = new SplittableRandom(seed * 1_000_003L + name.hashCode());
      // Uniform values of standard deviation 0.02 (the initializer range of the published configs);
      // norm weights are 0, i.e. a scale of 1 + 0.
      float bound = (float) (0.02 * Math.sqrt(3));
      writer.add(name, storage, shapes.get(name), (offset, target) -> fill(target, storage, norm, bound, random));
    }
    return writer;
  }

  private static void fill(ByteBuffer target, DType storage, boolean zero, float bound, SplittableRandom random) {
    while (target.hasRemaining()) {
      float v = zero ? 0f : (float) (random.nextDouble() * 2 - 1) * bound;
      if (storage == DType.F32) {
        target.putFloat(v);
      } else {
        target.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
