package dev.gemma4j.hub;

import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.internal.SafeFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what the user wrote into a checkpoint folder, in this order:
 *
 * <ol>
 *   <li>an existing local folder;
 *   <li>for a model id ({@code google/gemma-2-9b-it}), the cache: the Hugging Face cache (shared with the
 *       Python tools), or ModelScope's when it is the source;
 *   <li>a download into that cache, unless offline ({@code HF_HUB_OFFLINE=1} or the option).
 * </ol>
 *
 * See {@link HubSettings} for the environment variables.
 */
public final class ModelResolver {
  private static final Logger LOG = LoggerFactory.getLogger(ModelResolver.class);

  private final HubSettings settings;

  /** A resolver with explicit settings. */
  public ModelResolver(HubSettings settings) {
    this.settings = settings;
  }

  /** A resolver configured from the options and the process environment. */
  public static ModelResolver fromEnvironment(GemmaOptions options) {
    return new ModelResolver(HubSettings.from(options));
  }

  /** The settings in use. */
  public HubSettings settings() {
    return settings;
  }

  /**
   * The checkpoint folder (or GGUF file) for a folder path, a {@code .gguf} file or a model id.
   *
   * @throws GemmaException when the folder does not exist, the id is not cached while offline, or the
   *     download fails (gated model without a token, unknown repository, corrupt transfer ...)
   */
  public Path resolve(String model) {
    Path local;
    try {
      local = Path.of(model.startsWith("~/") ? System.getProperty("user.home") + model.substring(1) : model);
    } catch (java.nio.file.InvalidPathException e) {
      throw new GemmaException("\"" + model + "\" is neither a folder nor a model id (owner/name such as google/gemma-2-2b-it)");
    }
    if (Files.isDirectory(local)) {
      return local;
    }
    if (SafeFiles.isBrokenLink(local)) {
      throw new GemmaException(local + " is a symbolic link that leads nowhere (dangling, or a loop); give"
          + " a checkpoint folder");
    }
    if (Files.isRegularFile(local) && local.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
      return local;
    }
    if (Files.exists(local)) {
      throw new GemmaException(local + " is a file, not a checkpoint folder or a .gguf file; give the folder that"
          + " holds config.json and the *.safetensors files, or a GGUF file");
    }
    if (!RepoId.looksLikeRepoId(model) || local.isAbsolute() || model.startsWith(".") || model.startsWith("~")) {
      throw new GemmaException(
          "model folder " + local + " does not exist, and \"" + model + "\" is not a model id"
              + " (owner/name such as google/gemma-2-2b-it)");
    }
    RepoId repo = RepoId.parse(model);
    boolean modelScope = settings.source() == ModelSource.MODELSCOPE;
    HuggingFaceHub hf = new HuggingFaceHub(settings);
    ModelScopeHub ms = new ModelScopeHub(settings);
    Optional<Path> cached = modelScope ? ms.cached(repo) : hf.cached(repo);
    if (cached.isPresent()) {
      LOG.info("{} found in the cache: {}", repo, cached.get());
      return cached.get();
    }
    if (settings.offline()) {
      throw new GemmaException(
          repo + " (revision " + settings.revision() + ") is not in the cache "
              + (modelScope ? settings.modelScopeCacheDir() : settings.cacheDir())
              + " and offline mode (HF_HUB_OFFLINE=1 or GemmaOptions.offline) forbids downloading it;"
              + " download it once with network access, or pass a checkpoint folder");
    }
    LOG.info("{} is not cached; downloading from {}", repo, modelScope ? settings.modelScopeEndpoint() : settings.endpoint());
    return modelScope ? ms.download(repo) : hf.download(repo);
  }
}
