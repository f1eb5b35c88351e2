package dev.gemma4j.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.config.GenerationDefaults;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.config.Quantization;
import dev.gemma4j.config.ModelFormatException;
import dev.gemma4j.internal.SafeFiles;
import dev.gemma4j.internal.StrictJson;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A checkpoint folder in Hugging Face format: {@code config.json}, optionally
 * {@code generation_config.json}, and the weights in one {@code model.safetensors} or in shards listed by
 * {@code model.safetensors.index.json}. Every file is memory-mapped; closing unmaps them.
 */
public final class Checkpoint implements AutoCloseable {
  static final String INDEX_FILE = "model.safetensors.index.json";
  static final String SINGLE_FILE = "model.safetensors";

  private final Path folder;
  private final ModelConfig config;
  private final GenerationDefaults generationDefaults;
  private final Optional<Quantization> quantization;
  private final List<WeightFile> files;
  private final Map<String, TensorInfo> tensors;
  private final Map<Path, WeightFile> fileByPath;
  private boolean closed;

  private Checkpoint(
      Path folder, ModelConfig config, GenerationDefaults defaults, Optional<Quantization> quantization,
      List<? extends WeightFile> files) {
    this.folder = folder;
    this.config = config;
    this.generationDefaults = defaults;
    this.quantization = quantization;
    this.files = List.copyOf(files);
    Map<String, TensorInfo> all = new TreeMap<>();
    Map<Path, WeightFile> byPath = new LinkedHashMap<>();
    for (WeightFile f : files) {
      all.putAll(f.tensors());
      byPath.put(f.path(), f);
    }
    this.tensors = Collections.unmodifiableMap(all);
    this.fileByPath = byPath;
  }

  /**
   * Opens a checkpoint folder, or a GGUF file (or a folder holding one and no safetensors): its weights are
   * read under the Hugging Face names, its config from its metadata.
   *
   * @throws ModelFormatException when the folder, {@code config.json} or the weights are missing or
   *     invalid; the message names the file and the problem
   */
  public static Checkpoint open(Path folder) {
    Path gguf = GgufWeights.find(folder);
    if (gguf != null) {
      GgufWeights weights = GgufWeights.open(gguf);
      try {
        Checkpoint checkpoint = new Checkpoint(weights.folder(), weights.config(), weights.generationDefaults(),
            weights.quantization(), List.of(weights));
        checkpoint.checkLayers();
        return checkpoint;
      } catch (RuntimeException e) {
        weights.close();
        throw e;
      }
    }
    if (!Files.isDirectory(folder)) {
      throw new ModelFormatException(
          "model folder " + folder + " does not exist or is not a folder; pass a Hugging Face checkpoint"
              + " folder (config.json + *.safetensors) or a model id such as google/gemma-2-2b-it");
    }
    ModelConfig config = ModelConfig.load(folder.resolve("config.json"));
    GenerationDefaults defaults = GenerationDefaults.load(folder, config);
    Optional<Quantization> quantization = Quantization.load(folder.resolve("config.json"));
    List<Path> paths = weightFiles(folder);
    List<SafetensorsFile> opened = new ArrayList<>();
    try {
      for (Path p : paths) {
        opened.add(SafetensorsFile.open(p));
      }
      Checkpoint checkpoint = new Checkpoint(folder, config, defaults, quantization, opened);
      checkpoint.checkIndex();
      checkpoint.checkLayers();
      return checkpoint;
    } catch (RuntimeException e) {
      opened.forEach(SafetensorsFile::close);
      throw e;
    }
  }

  private static List<Path> weightFiles(Path folder) {
    Path index = folder.resolve(INDEX_FILE);
    if (Files.exists(index)) {
      List<Path> shards = new ArrayList<>();
      for (String name : new LinkedHashSet<>(readIndex(index).values())) {
        Path shard = folder.resolve(name);
        if (!Files.exists(shard)) {
          throw new ModelFormatException(
              index + " lists the shard " + name + " but " + shard + " does not exist;"
                  + " the download is incomplete: fetch the missing shard");
        }
        shards.add(shard);
      }
      return shards;
    }
    Path single = folder.resolve(SINGLE_FILE);
    if (Files.exists(single)) {
      return List.of(single);
    }
    try (Stream<Path> list = Files.list(folder)) {
      List<Path> found =
          list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
      if (found.isEmpty()) {
        throw new ModelFormatException(
            folder + " holds no weights: expected " + SINGLE_FILE + " or " + INDEX_FILE
                + " with its shards");
      }
      return found;
    } catch (IOException e) {
      throw new ModelFormatException("cannot list " + folder + ": " + e.getMessage(), e);
    }
  }

  /**
   * The shard files a {@code model.safetensors.index.json} names, checked to be plain file names.
   *
   * @throws ModelFormatException when the index is not valid
   */
  public static java.util.Set<String> shardNames(Path index) {
    return new LinkedHashSet<>(readIndex(index).values());
  }

  /**
   * The index's {@code weight_map}: tensor name to shard file. Every shard must be a plain file name in the
   * checkpoint's folder: an index that names {@code ../x} or {@code /etc/...} is refused, never opened.
   */
  static Map<String, String> readIndex(Path index) {
    JsonObject root =
        StrictJson.parseObject(
            SafeFiles.readText(index, 64L << 20, "safetensors index", ModelFormatException::new),
            index.toString(), ModelFormatException::new);
    JsonElement map = root.get("weight_map");
    if (map == null || !map.isJsonObject()) {
      throw new ModelFormatException(index + ": \"weight_map\" must be an object of tensor name to shard file, found "
          + map + "; the index is corrupt: download it again");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : map.getAsJsonObject().entrySet()) {
      JsonElement shard = e.getValue();
      if (!shard.isJsonPrimitive() || !shard.getAsJsonPrimitive().isString()) {
        throw new ModelFormatException(index + ": the shard of tensor " + e.getKey() + " must be a file name, found "
            + shard + "; the index is corrupt: download it again");
      }
      String name = shard.getAsString();
      if (name.contains("/") || !SafeFiles.staysInside(index.getParent(), name)) {
        throw new ModelFormatException(index + ": the shard of tensor " + e.getKey() + " is \"" + name + "\"; a shard"
            + " must be a file name in the checkpoint's folder, never a path");
      }
      out.put(e.getKey(), name);
    }
    return out;
  }

  /** Weights for layers the config does not declare mean the config and the weights disagree. */
  private void checkLayers() {
    dev.gemma4j.internal.model.ModelRegistry.strayLayerTensor(config, tensors.keySet()).ifPresent(name -> {
      throw new ModelFormatException(
          tensors.get(name).file() + " holds " + name + " but config.json declares " + config.numLayers()
              + " layers (num_hidden_layers); config.json and the weights belong to different models");
    });
  }

  /**
   * Whether every weight file on disk is still the one mapped (same size and modification time).
   * Mapped checkpoint files must not change while a model is loaded; this names what did.
   */
  public Optional<Path> changedFile() {
    return files.stream().filter(f -> !f.unchanged()).map(WeightFile::path).findFirst();
  }

  private void checkIndex() {
    Path index = folder.resolve(INDEX_FILE);
    if (!Files.isRegularFile(index)) {
      return;
    }
    for (Map.Entry<String, String> e : readIndex(index).entrySet()) {
      TensorInfo t = tensors.get(e.getKey());
      if (t == null || !t.file().getFileName().toString().equals(e.getValue())) {
        throw new ModelFormatException(
            index + " places tensor " + e.getKey() + " in " + e.getValue()
                + " but that shard does not hold it; the shard is corrupt or from another model");
      }
    }
  }

  /** The folder. */
  public Path folder() {
    return folder;
  }

  /** The metadata of a checkpoint read from a GGUF file, or empty for safetensors. */
  public Optional<Map<String, Object>> ggufMetadata() {
    return files.size() == 1 && files.getFirst() instanceof GgufWeights gguf ? Optional.of(gguf.metadata())
        : Optional.empty();
  }

  /** The parsed {@code config.json}. */
  public ModelConfig config() {
    return config;
  }

  /** How the linear layers are quantized ({@code quantization_config}), or empty for float weights. */
  public Optional<Quantization> quantization() {
    return quantization;
  }

  /** The parsed {@code generation_config.json}, or defaults derived from the config. */
  public GenerationDefaults generationDefaults() {
    return generationDefaults;
  }

  /** Every tensor of every file, by name. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** Total bytes of tensor data as stored. */
  public long storedBytes() {
    return tensors.values().stream().mapToLong(TensorInfo::byteLength).sum();
  }

  /**
   * The tensor called {@code name}, checked against the shape the architecture expects.
   *
   * @throws ModelFormatException when it is absent or its shape differs
   */
  public TensorInfo tensor(String name, long... expectedShape) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new ModelFormatException(
          "checkpoint " + folder + " lacks the tensor " + name
              + "; the weights are incomplete or not a Gemma 2 checkpoint");
    }
    List<Long> expected = new ArrayList<>();
    for (long d : expectedShape) {
      expected.add(d);
    }
    if (!t.shape().equals(expected)) {
      throw new ModelFormatException(
          t.file() + ": tensor " + name + " has shape " + t.shape() + " but config.json implies "
              + expected + "; config.json and the weights belong to different models");
    }
    if (!t.dtype().isFloat()) {
      throw new ModelFormatException(
          t.file() + ": tensor " + name + " is " + t.dtype() + " where gemma4j expects floats (F32, BF16 or F16);"
              + " packed int32 weights belong to quantized linear layers only");
    }
    return t;
  }

  /**
   * An int32 tensor of packed 4-bit values (AWQ's {@code qweight} and {@code qzeros}), checked against
   * the shape the architecture expects.
   *
   * @throws ModelFormatException when it is absent, its shape differs or it is not int32
   */
  public TensorInfo packedTensor(String name, long... expectedShape) {
    TensorInfo t = tensors.get(name);
    if (t != null && t.dtype() == DType.I32) {
      List<Long> expected = new ArrayList<>();
      for (long d : expectedShape) {
        expected.add(d);
      }
      if (!t.shape().equals(expected)) {
        throw new ModelFormatException(
            t.file() + ": tensor " + name + " has shape " + t.shape() + " but config.json implies " + expected
                + "; config.json and the weights belong to different models");
      }
      return t;
    }
    if (t == null) {
      throw new ModelFormatException("checkpoint " + folder + " lacks the tensor " + name + "; config.json declares"
          + " an AWQ checkpoint, whose linear layers are qweight, qzeros and scales");
    }
    throw new ModelFormatException(t.file() + ": tensor " + name + " is " + t.dtype() + "; AWQ packs it in I32");
  }

  /** Whether the checkpoint has a tensor of this name. */
  public boolean has(String name) {
    return tensors.containsKey(name);
  }

  /** A read-only, zero-copy view of bytes {@code [offset, offset + length)} of a tensor's data. */
  public MemorySegment segment(TensorInfo tensor, long offset, long length) {
    WeightFile file = fileByPath.get(tensor.file());
    if (file == null) {
      throw new IllegalArgumentException(tensor.name() + " is not part of " + folder);
    }
    return file.segment(tensor, offset, length);
  }

  /** Unmaps every file; later calls do nothing. Tensor metadata stays readable, tensor data does not. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    files.forEach(WeightFile::close);
  }
}
