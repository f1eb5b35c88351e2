package dev.gemma4j.engine;

import dev.gemma4j.GenerationConfig;
import dev.gemma4j.config.ModelConfig;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * What an engine serves and where: fixed once the engine is open.
 *
 * @param model the model as the caller named it: an id, a folder, or a remote model name
 * @param folder the checkpoint folder of a local model; {@code null} for a remote one
 * @param config the architecture, when known ({@code null} for a remote model)
 * @param revision what identifies the weights: a hub commit, a content fingerprint, or the server's
 *     model name
 * @param backend the backend's name ({@code cpu}, {@code npu}, {@code remote})
 * @param device the device in words
 * @param defaults the generation defaults of the model's {@code generation_config.json}
 * @param memoryAfterLoadBytes the process's (or device's) memory right after loading; 0 when unknown
 */
public record EngineInfo(
    String model,
    @Nullable Path folder,
    @Nullable ModelConfig config,
    String revision,
    String backend,
    String device,
    GenerationConfig defaults,
    long memoryAfterLoadBytes) {}
