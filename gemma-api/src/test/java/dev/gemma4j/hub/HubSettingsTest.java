package dev.gemma4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.GemmaOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubSettingsTest {
  @TempDir Path home;

  private HubSettings settings(Map<String, String> env) {
    return HubSettings.from(GemmaOptions.defaults(), env, home);
  }

  @Test
  void defaultsFollowThePythonTools() {
    HubSettings s = settings(Map.of());
    assertEquals(URI.create("https://huggingface.co"), s.endpoint());
    assertEquals(home.resolve(".cache/huggingface/hub"), s.cacheDir());
    assertEquals(home.resolve(".cache/modelscope/hub"), s.modelScopeCacheDir());
    assertEquals(ModelSource.HUGGING_FACE, s.source());
    assertFalse(s.offline());
    assertNull(s.token());
    assertEquals("main", s.revision());
  }

  @Test
  void theCacheComesFromTheOptionThenHfHubCacheThenHfHome() {
    assertEquals(Path.of("/h/hub"), settings(Map.of("HF_HOME", "/h")).cacheDir());
    assertEquals(Path.of("/c"), settings(Map.of("HF_HOME", "/h", "HF_HUB_CACHE", "/c")).cacheDir());
    GemmaOptions withDir = GemmaOptions.builder().cacheDir(Path.of("/o")).build();
    assertEquals(Path.of("/o"), HubSettings.from(withDir, Map.of("HF_HUB_CACHE", "/c"), home).cacheDir());
  }

  @Test
  void theTokenComesFromHfTokenThenTheLegacyNameThenTheLoginFile() throws IOException {
    Files.createDirectories(home.resolve(".cache/huggingface"));
    Files.writeString(home.resolve(".cache/huggingface/token"), "hf_file\n");
    assertEquals("hf_file", settings(Map.of()).token());
    assertEquals("hf_legacy", settings(Map.of("HUGGING_FACE_HUB_TOKEN", "hf_legacy")).token());
    assertEquals("hf_env", settings(Map.of("HF_TOKEN", "hf_env", "HUGGING_FACE_HUB_TOKEN", "hf_legacy")).token());
  }

  @Test
  void mirrorsOfflineModeAndModelScope() {
    HubSettings mirror = settings(Map.of("HF_ENDPOINT", "https://hf-mirror.com/", "HF_HUB_OFFLINE", "1"));
    assertEquals(URI.create("https://hf-mirror.com"), mirror.endpoint());
    assertTrue(mirror.offline());
    assertFalse(settings(Map.of("HF_HUB_OFFLINE", "0")).offline());
    assertEquals(ModelSource.MODELSCOPE, settings(Map.of("GEMMA_MODEL_SOURCE", "modelscope")).source());
    assertEquals(ModelSource.MODELSCOPE, settings(Map.of("VLLM_USE_MODELSCOPE", "true")).source());
    assertEquals(
        ModelSource.HUGGING_FACE,
        settings(Map.of("GEMMA_MODEL_SOURCE", "huggingface", "VLLM_USE_MODELSCOPE", "true")).source());
    assertEquals(URI.create("http://ms.local"), settings(Map.of("MODELSCOPE_ENDPOINT", "http://ms.local")).modelScopeEndpoint());
    assertThrows(IllegalArgumentException.class, () -> settings(Map.of("GEMMA_MODEL_SOURCE", "ftp")));
  }
}
