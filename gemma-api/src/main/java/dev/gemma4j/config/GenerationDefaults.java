package dev.gemma4j.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The defaults a checkpoint's {@code generation_config.json} declares.
 *
 * @param eosIds tokens that stop generation ({@code [1, 107]} for the {@code -it} models)
 * @param doSample whether the checkpoint asks for sampling rather than greedy decoding
 * @param temperature default temperature, or {@code null}
 * @param topK default top-k, or {@code null}
 * @param topP default top-p, or {@code null}
 */
public record GenerationDefaults(
    List<Integer> eosIds,
    boolean doSample,
    @Nullable Double temperature,
    @Nullable Integer topK,
    @Nullable Double topP) {

  /** Copies the list. */
  public GenerationDefaults {
    eosIds = List.copyOf(eosIds);
  }

  /** Reads {@code generation_config.json} from a folder; falls back to the model config's EOS ids. */
  public static GenerationDefaults load(Path folder, ModelConfig config) {
    Path file = folder.resolve("generation_config.json");
    if (!Files.exists(file)) {
      return new GenerationDefaults(config.eosIds(), false, null, null, null);
    }
    JsonFields f = JsonFields.read(file, "");
    List<Integer> eos = f.intList("eos_token_id");
    for (int id : eos) {
      ModelConfig.requireToken(id, config.vocabSize(), "eos_token_id", file.toString());
    }
    Double temperature = f.has("temperature") ? f.requireDouble("temperature") : null;
    Integer topK = f.has("top_k") ? f.requireInt("top_k") : null;
    Double topP = f.has("top_p") ? f.requireDouble("top_p") : null;
    if (temperature != null && !(temperature > 0)) {
      throw new ModelFormatException(file + ": temperature must be positive, found " + temperature);
    }
    if (topK != null && topK < 0) {
      throw new ModelFormatException(file + ": top_k must be 0 (off) or positive, found " + topK);
    }
    if (topP != null && !(topP > 0 && topP <= 1)) {
      throw new ModelFormatException(file + ": top_p must be in (0, 1], found " + topP);
    }
    return new GenerationDefaults(eos.isEmpty() ? config.eosIds() : eos, f.booleanOr("do_sample", false), temperature, topK, topP);
  }
}
