package dev.gemma4j.hub;

import dev.gemma4j.GemmaException;

import dev.gemma4j.GemmaOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where and how model ids are resolved, read from the options and the same environment variables the
 * Python tools use, so that their caches and settings are shared:
 *
 * <ul>
 *   <li>{@code HF_ENDPOINT} (default {@code https://huggingface.co}; mirrors such as hf-mirror are set
 *       this way), {@code HF_TOKEN} (else {@code HUGGING_FACE_HUB_TOKEN}, else the token file the
 *       {@code huggingface-cli login} writes), {@code HF_HUB_OFFLINE=1};
 *   <li>the cache: the option, else {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else
 *       {@code ~/.cache/huggingface/hub};
 *   <li>ModelScope when {@code GEMMA_MODEL_SOURCE=modelscope} or {@code VLLM_USE_MODELSCOPE=true}:
 *       {@code MODELSCOPE_ENDPOINT} (default {@code https://www.modelscope.cn}),
 *       {@code MODELSCOPE_API_TOKEN}, {@code MODELSCOPE_CACHE} (default {@code ~/.cache/modelscope/hub}).
 * </ul>
 *
 * @param source where ids are downloaded from
 * @param endpoint the Hugging Face endpoint
 * @param token the Hugging Face token, or {@code null}
 * @param cacheDir the Hugging Face cache
 * @param modelScopeEndpoint the ModelScope endpoint
 * @param modelScopeToken the ModelScope token, or {@code null}
 * @param modelScopeCacheDir the ModelScope cache
 * @param offline never touch the network
 * @param revision the revision to resolve
 * @param parallelDownloads files downloaded at once
 * @param stallTimeout a transfer that delivers no byte for this long is aborted and resumed
 */
public record HubSettings(
    ModelSource source,
    URI endpoint,
    @Nullable String token,
    Path cacheDir,
    URI modelScopeEndpoint,
    @Nullable String modelScopeToken,
    Path modelScopeCacheDir,
    boolean offline,
    String revision,
    int parallelDownloads,
    Duration stallTimeout) {

  /** Settings from the options and the process environment. */
  public static HubSettings from(GemmaOptions options) {
    return from(options, System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** Settings from the options, an environment and a home folder (for tests). */
  public static HubSettings from(GemmaOptions options, Map<String, String> env, Path home) {
    Path hfHome = path(env, "HF_HOME", home.resolve(".cache").resolve("huggingface"));
    Path cache = options.cacheDir();
    if (cache == null) {
      cache = path(env, "HF_HUB_CACHE", hfHome.resolve("hub"));
    }
    String token = value(env, "HF_TOKEN");
    if (token == null) {
      token = value(env, "HUGGING_FACE_HUB_TOKEN");
    }
    if (token == null) {
      token = tokenFile(path(env, "HF_TOKEN_PATH", hfHome.resolve("token")));
    }
    String sourceName = value(env, "GEMMA_MODEL_SOURCE");
    boolean modelScope =
        sourceName != null
            ? sourceName.equalsIgnoreCase("modelscope")
            : truthy(value(env, "VLLM_USE_MODELSCOPE"));
    if (sourceName != null && !modelScope && !sourceName.equalsIgnoreCase("huggingface")
        && !sourceName.equalsIgnoreCase("hf")) {
      throw new IllegalArgumentException(
          "GEMMA_MODEL_SOURCE=" + sourceName + " is not known; use huggingface or modelscope");
    }
    String revision = options.revision();
    return new HubSettings(
        modelScope ? ModelSource.MODELSCOPE : ModelSource.HUGGING_FACE,
        uri(env, "HF_ENDPOINT", "https://huggingface.co"),
        token,
        cache,
        uri(env, "MODELSCOPE_ENDPOINT", "https://www.modelscope.cn"),
        value(env, "MODELSCOPE_API_TOKEN"),
        path(env, "MODELSCOPE_CACHE", home.resolve(".cache").resolve("modelscope").resolve("hub")),
        options.offline() || truthy(value(env, "HF_HUB_OFFLINE")),
        revision,
        4,
        Duration.ofSeconds(60));
  }

  /** These settings with another stall timeout. */
  public HubSettings withStallTimeout(Duration timeout) {
    return new HubSettings(source, endpoint, token, cacheDir, modelScopeEndpoint, modelScopeToken,
        modelScopeCacheDir, offline, revision, parallelDownloads, timeout);
  }

  private static @Nullable String value(Map<String, String> env, String key) {
    String v = env.get(key);
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static boolean truthy(@Nullable String v) {
    return v != null && switch (v.toLowerCase(Locale.ROOT)) {
      case "1", "true", "yes", "on" -> true;
      default -> false;
    };
  }

  private static Path path(Map<String, String> env, String key, Path fallback) {
    String v = value(env, key);
    return v == null ? fallback : Path.of(v);
  }

  private static URI uri(Map<String, String> env, String key, String fallback) {
    String v = value(env, key);
    String text = v == null ? fallback : v;
    while (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    URI uri;
    try {
      uri = URI.create(text);
    } catch (IllegalArgumentException e) {
      throw new GemmaException(key + "=" + v + " is not a URL; set it to an http(s) address such as " + fallback, e);
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new GemmaException(key + "=" + v + " is not an http(s) URL with a host; set it to an address such as " + fallback);
    }
    return uri;
  }

  private static @Nullable String tokenFile(Path file) {
    try {
      return Files.isRegularFile(file) && Files.size(file) < 4096 ? Files.readString(file).strip() : null;
    } catch (IOException e) {
      return null;
    }
  }
}
