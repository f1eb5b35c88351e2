package dev.gemma4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.testing.LocalHub;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Model ids resolved against a local server in the hub's layout. */
@Timeout(60)
class ModelResolverTest {
  static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
  static final String SHARD = "model-00002-of-00005.safetensors";

  @TempDir Path home;
  LocalHub hub;
  final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void start() {
    hub = new LocalHub()
        .add("google/tiny-gemma2", COMMIT, TestFixtures.path("tiny-gemma2"), null)
        .add("google/gated-gemma2", COMMIT, TestFixtures.path("tiny-gemma2-bf16"), "hf_secret")
        .add("google/gemma-3-4b-it", COMMIT, TestFixtures.path("shape-gemma3-mm-bf16"), "hf_secret");
    env.put("HF_ENDPOINT", hub.endpoint().toString());
    env.put("HF_HUB_CACHE", home.resolve("hub").toString());
    env.put("MODELSCOPE_ENDPOINT", hub.endpoint().toString());
    env.put("MODELSCOPE_CACHE", home.resolve("modelscope").toString());
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  private Path resolve(String id) {
    return new ModelResolver(settings(GemmaOptions.defaults())).resolve(id);
  }

  /** Settings from {@link #env}; a cut connection stalls, so the stall timeout is short. */
  private HubSettings settings(GemmaOptions options) {
    return HubSettings.from(options, env, home).withStallTimeout(Duration.ofMillis(700));
  }

  private String fails(String id) {
    return assertThrows(GemmaException.class, () -> resolve(id)).getMessage();
  }

  private static List<Path> leftovers(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.toString().endsWith(".incomplete")).toList();
    }
  }

  @Test
  void downloadsIntoTheStandardCacheLayout() throws IOException {
    Path snapshot = resolve("google/tiny-gemma2");
    Path repo = home.resolve("hub/models--google--tiny-gemma2");
    assertEquals(repo.resolve("snapshots").resolve(COMMIT), snapshot);
    assertEquals(COMMIT, Files.readString(repo.resolve("refs/main")));
    assertTrue(Files.isSymbolicLink(snapshot.resolve("config.json")), "snapshot files link to blobs");
    assertTrue(Files.readSymbolicLink(snapshot.resolve(SHARD)).toString().startsWith("../../blobs/"));
    try (Checkpoint c = Checkpoint.open(snapshot)) {
      assertEquals(46, c.tensors().size());
    }
    assertEquals(List.of(), leftovers(home));
    assertFalse(Files.exists(snapshot.resolve("golden.json")), "only the files a model needs are fetched");
  }

  /** A Gemma 3 multimodal checkpoint as the hub serves gemma-3-4b-it: gated, sharded, config with a text_config. */
  @Test
  void downloadsAGemma3CheckpointAndReadsItsLanguageModel() {
    assertTrue(fails("google/gemma-3-4b-it").contains("HF_TOKEN"), "gated like the real one");
    env.put("HF_TOKEN", "hf_secret");
    Path snapshot = resolve("google/gemma-3-4b-it");
    try (Checkpoint c = Checkpoint.open(snapshot)) {
      assertEquals(dev.gemma4j.config.Architecture.GEMMA3, c.config().architecture());
      assertTrue(c.tensors().containsKey("language_model.model.layers.6.self_attn.k_norm.weight"));
    }
  }

  @Test
  void reusesTheCacheWithoutTheNetwork() {
    Path first = resolve("google/tiny-gemma2");
    int requests = hub.requests().size();
    assertEquals(first, resolve("google/tiny-gemma2"));
    assertEquals(requests, hub.requests().size(), "a cached model needs no request");
    hub.close();
    env.put("HF_HUB_OFFLINE", "1");
    assertEquals(first, resolve("google/tiny-gemma2"));
  }

  @Test
  void reusesACacheThatPythonToolsFilled() throws IOException {
    // huggingface_hub's layout: refs/main holds the commit, snapshot files link to blobs.
    Path repo = home.resolve("hub/models--google--py-gemma2");
    Path snapshot = Files.createDirectories(repo.resolve("snapshots/" + COMMIT));
    Path blobs = Files.createDirectories(repo.resolve("blobs"));
    for (String name : List.of("config.json", "model.safetensors")) {
      Path blob = Files.copy(TestFixtures.path("tiny-gemma2-bf16").resolve(name), blobs.resolve("etag-" + name));
      Files.createSymbolicLink(snapshot.resolve(name), snapshot.relativize(blob));
    }
    Files.createDirectories(repo.resolve("refs"));
    Files.writeString(repo.resolve("refs/main"), COMMIT);
    env.put("HF_HUB_OFFLINE", "1");
    assertEquals(snapshot, resolve("google/py-gemma2"));
    assertEquals(List.of(), hub.requests());
  }

  @Test
  void offlineModeNeverTouchesTheNetwork() {
    env.put("HF_HUB_OFFLINE", "1");
    String message = fails("google/tiny-gemma2");
    assertTrue(message.contains("not in the cache") && message.contains("HF_HUB_OFFLINE"), message);
    assertEquals(List.of(), hub.requests());
  }

  @Test
  void resumesAnInterruptedDownload() throws IOException {
    hub.cut(SHARD, 50_000, 1);
    Path snapshot = resolve("google/tiny-gemma2");
    assertTrue(
        hub.requests().stream().anyMatch(r -> r.path().endsWith(SHARD) && r.range().equals("bytes=50000-")),
        () -> "no range request: " + hub.requests());
    assertEquals(
        Files.size(TestFixtures.path("tiny-gemma2").resolve(SHARD)), Files.size(snapshot.resolve(SHARD)));
    try (Checkpoint c = Checkpoint.open(snapshot)) {
      assertEquals(46, c.tensors().size());
    }
  }

  @Test
  void keepsWhatArrivedAndResumesOnTheNextRun() throws IOException {
    hub.cut(SHARD, 60_000, 3);
    String message = fails("google/tiny-gemma2");
    assertTrue(message.contains("failed 3 times") && message.contains(".incomplete"), message);
    assertFalse(Files.exists(home.resolve("hub/models--google--tiny-gemma2/refs/main")), "no ref to an incomplete snapshot");
    List<Path> partial = leftovers(home);
    assertEquals(1, partial.size());
    assertEquals(60_000, Files.size(partial.getFirst()));
    resolve("google/tiny-gemma2");
    assertTrue(hub.requests().stream().anyMatch(r -> r.range().equals("bytes=60000-")));
    assertEquals(List.of(), leftovers(home));
  }

  @Test
  void rejectsACorruptedFile() throws IOException {
    hub.corrupt(SHARD);
    String message = fails("google/tiny-gemma2");
    assertTrue(message.contains(SHARD) && message.contains("corrupt") && message.contains("SHA-256"), message);
    String sha = FileDownloader.sha256(TestFixtures.path("tiny-gemma2").resolve(SHARD));
    Path blobs = home.resolve("hub/models--google--tiny-gemma2/blobs");
    assertFalse(Files.exists(blobs.resolve(sha)), "the corrupt file is not moved into place");
    assertFalse(Files.exists(blobs.resolve(sha + ".incomplete")), "the corrupt file is deleted");
    Path snapshot = home.resolve("hub/models--google--tiny-gemma2/snapshots/" + COMMIT);
    assertFalse(Files.exists(snapshot.resolve(SHARD)));
    assertFalse(Files.exists(home.resolve("hub/models--google--tiny-gemma2/refs/main")));
  }

  @Test
  void aGatedModelNeedsTheRightToken() {
    String missing = fails("google/gated-gemma2");
    assertTrue(missing.contains("gated") && missing.contains("HTTP 401") && missing.contains("HF_TOKEN"), missing);
    env.put("HF_TOKEN", "hf_wrong");
    String wrong = fails("google/gated-gemma2");
    assertTrue(wrong.contains("HTTP 403") && wrong.contains("not accepted"), wrong);
    env.put("HF_TOKEN", "hf_secret");
    assertTrue(Files.isDirectory(resolve("google/gated-gemma2")));
    assertTrue(hub.requests().stream().allMatch(r -> r.authorization().equals("null") || r.authorization().startsWith("Bearer ")));
  }

  @Test
  void aMissingRepositoryOrRevisionIsNamed() {
    String repo = fails("google/no-such-model");
    assertTrue(repo.contains("google/no-such-model") && repo.contains("\"main\"") && repo.contains("not found"), repo);
    String revision =
        assertThrows(
                GemmaException.class,
                () -> new ModelResolver(settings(GemmaOptions.builder().revision("v9").build()))
                    .resolve("google/tiny-gemma2"))
            .getMessage();
    assertTrue(revision.contains("\"v9\""), revision);
    String folder = fails("./not/a/folder");
    assertTrue(folder.contains("does not exist"), folder);
  }

  @Test
  void downloadsShardsInParallel() {
    hub.delay(300);
    resolve("google/tiny-gemma2");
    assertTrue(hub.maxConcurrentDownloads() >= 2, "max concurrent " + hub.maxConcurrentDownloads());
  }

  @Test
  void downloadsFromModelScopeWhenItIsTheSource() throws IOException {
    env.put("GEMMA_MODEL_SOURCE", "modelscope");
    Path folder = resolve("google/tiny-gemma2");
    assertEquals(home.resolve("modelscope/models/google/tiny-gemma2"), folder);
    assertTrue(hub.fileRequests("GET").stream().allMatch(p -> p.contains("Revision=master")));
    try (Checkpoint c = Checkpoint.open(folder)) {
      assertEquals(46, c.tensors().size());
    }
    int requests = hub.requests().size();
    assertEquals(folder, resolve("google/tiny-gemma2"));
    assertEquals(requests, hub.requests().size());
  }
}
