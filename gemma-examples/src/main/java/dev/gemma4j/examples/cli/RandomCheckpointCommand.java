package dev.gemma4j.examples.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.GemmaException;
import dev.gemma4j.checkpoint.DType;
import dev.gemma4j.checkpoint.SafetensorsWriter;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.config.Quantization;
import dev.gemma4j.internal.model.ModelRegistry;
import dev.gemma4j.internal.model.WeightSpec;
import dev.gemma4j.testkit.BundledModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code gemma random-checkpoint}: a checkpoint of a given config with random weights, so benchmarks run
 * at the real layer shapes of Gemma 2 (2B, 9B, 27B) or Gemma 3 (1B to 27B) without the real weights.
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

  @Option(names = "--quantize", paramLabel = "awq",
      description = "Write AWQ 4-bit linear layers (AutoAWQ's gemm layout, float16 embedding and norms).")
  @Nullable String quantize;

  @Option(names = "--group-size", paramLabel = "G", defaultValue = "128",
      description = "AWQ group size: 32, 64 or 128 (default 128).")
  int groupSize = 128;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Random seed (default 0).")
  long seed;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to create.")
  Path out;

  @Override
  public Integer call() throws IOException {
    DType storage = switch (dtype.toLowerCase(Locale.ROOT)) {
      case "bf16", "bfloat16" -> DType.BF16;
      case "f32", "float32" -> DType.F32;
      default -> throw GemmaCli.usage(spec, "--dtype must be bf16 or f32, not " + dtype);
    };
    boolean awq = quantize != null;
    if (awq && !quantize.equalsIgnoreCase("awq")) {
      throw GemmaCli.usage(spec, "--quantize " + quantize + ": the one quantized layout written is awq");
    }
    if (awq && !Quantization.GROUP_SIZES.contains(groupSize)) {
      throw GemmaCli.usage(spec, "--group-size " + groupSize + ": use 32, 64 or 128");
    }
    if (awq) {
      storage = DType.F16; // AWQ checkpoints keep the embedding and norms in float16
    }
    if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
      throw new GemmaException(out + " exists and is not empty; choose another --out");
    }
    JsonObject json = configJson(storage);
    if (awq) {
      JsonObject q = new JsonObject();
      q.addProperty("quant_method", "awq");
      q.addProperty("bits", 4);
      q.addProperty("group_size", groupSize);
      q.addProperty("zero_point", true);
      q.addProperty("version", "gemm");
      json.add("quantization_config", q);
    }
    ModelConfig model = ModelConfig.parse(json.toString(), config.toString());
    Path temp = Files.createTempDirectory(out.toAbsolutePath().getParent(), out.getFileName() + ".incomplete-");
    try {
      Files.writeString(temp.resolve("config.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json));
      Files.writeString(temp.resolve("generation_config.json"), generationConfig(model));
      writeWeights(model, storage, awq ? groupSize : 0, temp);
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
        Locale.ROOT, "wrote %s: %s, %s weights%n", out, model.summary(),
        awq ? "AWQ 4-bit (group " + groupSize + ")" : storage);
    return 0;
  }

  private JsonObject configJson(DType storage) throws IOException {
    JsonObject json;
    try {
      json = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      throw new GemmaException("cannot read --config " + config + ": " + e.getMessage(), e);
    }
    // A multimodal config (Gemma 3 4B and up) keeps the language model's keys in text_config.
    JsonObject text = json.has("text_config") && json.get("text_config").isJsonObject()
        ? json.getAsJsonObject("text_config") : json;
    if (layers > 0) {
      text.addProperty("num_hidden_layers", layers);
      if (text.has("layer_types") && text.get("layer_types").isJsonArray()) {
        JsonArray kept = new JsonArray();
        JsonArray types = text.getAsJsonArray("layer_types");
        for (int i = 0; i < layers && i < types.size(); i++) {
          kept.add(types.get(i));
        }
        text.add("layer_types", kept);
      }
    }
    String name = switch (storage) {
      case BF16 -> "bfloat16";
      case F16 -> "float16";
      default -> "float32";
    };
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

  /** How a tensor's random values are made. */
  private enum Fill {
    NORM,
    FLOAT,
    PACKED_WEIGHTS,
    PACKED_ZEROS,
    SCALES
  }

  private record Tensor(String name, DType dtype, List<Long> shape, Fill fill) {
    long bytes() {
      return shape.stream().reduce(1L, Math::multiplyExact) * dtype.bytes();
    }
  }

  /**
   * Every tensor, in checkpoint order, as the model registry lays them out; with {@code group > 0} the linear
   * layers are AWQ's three tensors.
   */
  private static List<Tensor> tensors(ModelConfig c, DType storage, int group) {
    List<Tensor> tensors = new ArrayList<>();
    for (WeightSpec spec : ModelRegistry.layout(c)) {
      switch (spec.role()) {
        case EMBEDDING -> tensors.add(new Tensor(spec.name(), storage, spec.shape(), Fill.FLOAT));
        case NORM -> tensors.add(new Tensor(spec.name(), storage, spec.shape(), Fill.NORM));
        case LINEAR -> linear(tensors, spec.name().substring(0, spec.name().length() - ".weight".length()),
            spec.shape().get(0), spec.shape().get(1), storage, group);
      }
    }
    return tensors;
  }

  private static void linear(List<Tensor> tensors, String layer, long out, long in, DType storage, int group) {
    if (group == 0) {
      tensors.add(new Tensor(layer + ".weight", storage, List.of(out, in), Fill.FLOAT));
      return;
    }
    if (in % group != 0 || out % 8 != 0) {
      throw new GemmaException(layer + " is " + out + " x " + in + ", which AWQ group " + group + " cannot cover");
    }
    tensors.add(new Tensor(layer + ".qweight", DType.I32, List.of(in, out / 8), Fill.PACKED_WEIGHTS));
    tensors.add(new Tensor(layer + ".qzeros", DType.I32, List.of(in / group, out / 8), Fill.PACKED_ZEROS));
    tensors.add(new Tensor(layer + ".scales", DType.F16, List.of(in / group, out), Fill.SCALES));
  }

  private void writeWeights(ModelConfig model, DType storage, int group, Path folder) throws IOException {
    List<Tensor> tensors = tensors(model, storage, group);
    List<List<Tensor>> shards = new ArrayList<>(List.of(new ArrayList<>()));
    long size = 0;
    for (Tensor t : tensors) {
      if (size > 0 && size + t.bytes() > SHARD_BYTES) {
        shards.add(new ArrayList<>());
        size = 0;
      }
      shards.getLast().add(t);
      size += t.bytes();
    }
    if (shards.size() == 1) {
      writer(shards.getFirst()).write(folder.resolve("model.safetensors"));
      return;
    }
    JsonObject weightMap = new JsonObject();
    for (int s = 0; s < shards.size(); s++) {
      String file = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
      writer(shards.get(s)).write(folder.resolve(file));
      shards.get(s).forEach(t -> weightMap.addProperty(t.name(), file));
    }
    JsonObject index = new JsonObject();
    index.add("metadata", new JsonObject());
    index.add("weight_map", weightMap);
    Files.writeString(folder.resolve("model.safetensors.index.json"), index.toString());
  }

  private SafetensorsWriter writer(List<Tensor> tensors) {
    SafetensorsWriter writer = new SafetensorsWriter();
    for (Tensor t : tensors) {
      SplittableRandom random = new SplittableRandom(seed * 1_000_003L + t.name().hashCode());
      writer.add(t.name(), t.dtype(), t.shape(), (offset, target) -> fill(target, t, random));
    }
    return writer;
  }

  /**
   * Random values of standard deviation 0.02 (the initializer range of the published configs) for float
   * weights, norm weights 0 (a scale of 1 + 0); AWQ: uniform 4-bit weights, zero points near 8 and scales
   * that give the same spread.
   */
  private static void fill(ByteBuffer target, Tensor t, SplittableRandom random) {
    float bound = (float) (0.02 * Math.sqrt(3));
    while (target.hasRemaining()) {
      switch (t.fill()) {
        case NORM, FLOAT -> {
          float v = t.fill() == Fill.NORM ? 0f : (float) (random.nextDouble() * 2 - 1) * bound;
          switch (t.dtype()) {
            case F32 -> target.putFloat(v);
            case F16 -> target.putShort(Float.floatToFloat16(v));
            default -> target.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
          }
        }
        case PACKED_WEIGHTS -> target.putInt(random.nextInt());
        case PACKED_ZEROS -> {
          int word = 0;
          for (int k = 0; k < 8; k++) {
            word |= (7 + random.nextInt(3)) << (4 * k);
          }
          target.putInt(word);
        }
        case SCALES -> target.putShort(Float.floatToFloat16((float) (0.0043 * (0.9 + 0.2 * random.nextDouble()))));
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
