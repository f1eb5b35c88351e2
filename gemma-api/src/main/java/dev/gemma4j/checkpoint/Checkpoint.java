package dev.gemma4j.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.gemma4j.config.GenerationDefaults;
import dev.gemma4j.config.ModelConfig;
import dev.gemma4j.config.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
  private final List<SafetensorsFile> files;
  private final Map<String, TensorInfo> tensors;
  private final Map<Path, SafetensorsFile> fileByPath;
  private boolean closed;

  private Checkpoint(
      Path folder, ModelConfig config, GenerationDefaults defaults, List<SafetensorsFile> files) {
    this.folder = folder;
    this.config = config;
    this.generationDefaults = defaults;
    this.files = List.copyOf(files);
    Map<String, TensorInfo> all = new TreeMap<>();
    Map<Path, SafetensorsFile> byPath = new LinkedHashMap<>();
    for (SafetensorsFile f : files) {
      all.putAll(f.tensors());
      byPath.put(f.path(), f);
    }
    this.tensors = Collections.unmodifiableMap(all);
    this.fileByPath = byPath;
  }

  /**
   * Opens a checkpoint folder.
   *
   * @throws ModelFormatException when the folder, {@code config.json} or the weights are missing or
   *     invalid; the message names the file and the problem
   */
  public static Checkpoint open(Path folder) {
    if (!Files.isDirectory(folder)) {
      throw new ModelFormatException(
          "model folder " + folder + " does not exist or is not a folder; pass a Hugging Face checkpoint"
              + " folder (config.json + *.safetensors) or a model id such as google/gemma-2-2b-it");
    }
    ModelConfig config = ModelConfig.load(folder.resolve("config.json"));
    GenerationDefaults defaults = GenerationDefaults.load(folder, config);
    List<Path> paths = weightFiles(folder);
    List<SafetensorsFile> opened = new ArrayList<>();
    try {
      for (Path p : paths) {
        opened.add(SafetensorsFile.open(p));
      }
      Checkpoint checkpoint = new Checkpoint(folder, config, defaults, opened);
      checkpoint.checkIndex();
      return checkpoint;
    } catch (RuntimeException e) {
      opened.forEach(SafetensorsFile::close);
      throw e;
    }
  }

  private static List<Path> weightFiles(Path folder) {
    Path index = folder.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      List<Path> shards = new ArrayList<>();
      for (String name : new LinkedHashSet<>(readIndex(index).values())) {
        Path shard = folder.resolve(name);
        if (!Files.isRegularFile(shard)) {
          throw new ModelFormatException(
              index + " lists the shard " + name + " but " + shard + " does not exist;"
                  + " the download is incomplete: fetch the missing shard");
        }
        shards.add(shard);
      }
      return shards;
    }
    Path single = folder.resolve(SINGLE_FILE);
    if (Files.isRegularFile(single)) {
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
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, String> readIndex(Path index) {
    try {
      JsonElement root = JsonParser.parseString(Files.readString(index));
      JsonObject map = root.getAsJsonObject().getAsJsonObject("weight_map");
      if (map == null) {
        throw new ModelFormatException(index + " has no \"weight_map\"");
      }
      Map<String, String> out = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : map.entrySet()) {
        out.put(e.getKey(), e.getValue().getAsString());
      }
      return out;
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + index + ": " + e.getMessage(), e);
    } catch (JsonParseException | IllegalStateException | ClassCastException e) {
      throw new ModelFormatException(index + " is not a valid safetensors index: " + e.getMessage(), e);
    }
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

  /** The parsed {@code config.json}. */
  public ModelConfig config() {
    return config;
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
    return t;
  }

  /** A read-only, zero-copy view of bytes {@code [offset, offset + length)} of a tensor's data. */
  public MemorySegment segment(TensorInfo tensor, long offset, long length) {
    SafetensorsFile file = fileByPath.get(tensor.file());
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
    files.forEach(SafetensorsFile::close);
  }
}
