package dev.gemma4j.hub;

import org.jspecify.annotations.Nullable;

/**
 * A file of a remote repository.
 *
 * @param path the path inside the repository
 * @param size its size in bytes, or -1 when the listing does not say
 * @param sha256 its SHA-256 in hex when the listing gives it (large files), else {@code null}
 */
record RemoteFile(String path, long size, @Nullable String sha256) {

  /** Whether gemma4j needs this file to run the model: configs, tokenizer and safetensors weights. */
  boolean needed() {
    if (path.contains("/")) {
      return false;
    }
    return path.endsWith(".safetensors")
        || path.equals("model.safetensors.index.json")
        || path.equals("config.json")
        || path.equals("generation_config.json")
        || path.equals("tokenizer.json")
        || path.equals("tokenizer_config.json")
        || path.equals("special_tokens_map.json");
  }
}
