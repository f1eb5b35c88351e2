package dev.gemma4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.testing.LocalHub;
import dev.gemma4j.GemmaException;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.testing.LocalHub.Lie;
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

/**
 * A hub that lies, as anything posing as {@code HF_ENDPOINT} could: nothing it says becomes a path
 * outside the cache, nothing it does makes the client wait forever or exhaust the heap, and every
 * refusal says what the server did.
 */
@Timeout(60)
class HostileHubTest {
  static final String COMMIT = ModelResolverTest.COMMIT;
  static final String REPO = "google/tiny-gemma2";

  /** Everything the test may write lies under root; the cache is two levels down. */
  @TempDir Path root;
  Path cache;
  LocalHub hub;
  final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void start() {
    cache = root.resolve("home/cache");
    hub = new LocalHub().add(REPO, COMMIT, TestFixtures.path("tiny-gemma2"), null);
    env.put("HF_ENDPOINT", hub.endpoint().toString());
    env.put("HF_HUB_CACHE", cache.resolve("hub").toString());
    env.put("MODELSCOPE_ENDPOINT", hub.endpoint().toString());
    env.put("MODELSCOPE_CACHE", cache.resolve("modelscope").toString());
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  private String fails(GemmaOptions options) {
    HubSettings settings = HubSettings.from(options, env, root.resolve("home")).withStallTimeout(Duration.ofMillis(700));
    return assertThrows(GemmaException.class, () -> new ModelResolver(settings).resolve(REPO)).getMessage();
  }

  private String fails() {
    return fails(GemmaOptions.defaults());
  }

  /** Every file and folder under root outside the cache's own folders. */
  private List<Path> outsideTheCache() throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> !p.startsWith(cache.resolve("hub")) && !p.startsWith(cache.resolve("modelscope")))
          .filter(p -> !root.resolve("home").startsWith(p) && !cache.startsWith(p) && !p.equals(cache))
          .toList();
    }
  }

  @Test
  void aCommitThatIsAPathIsRefused() throws IOException {
    hub.lie(Lie.COMMIT, "../../../../escaped");
    String message = fails();
    assertTrue(message.contains("\"../../../../escaped\" as the commit") && message.contains("40 hexadecimal"), message);
    assertEquals(List.of(), outsideTheCache());
    assertFalse(Files.exists(cache.resolve("hub/models--google--tiny-gemma2/refs/main")));
  }

  @Test
  void anETagThatIsAPathIsNeverABlobName() throws IOException {
    hub.lie(Lie.ETAG, "../../../../escaped-relative");
    String relative = fails();
    assertTrue(relative.contains("ETag") && relative.contains("escaped-relative") && relative.contains("digest"), relative);
    assertEquals(List.of(), outsideTheCache());

    hub.lie(Lie.LINKED_ETAG, root.resolve("escaped-absolute").toString());
    String absolute = fails();
    assertTrue(absolute.contains("escaped-absolute") && absolute.contains("nothing was written"), absolute);
    assertEquals(List.of(), outsideTheCache());
  }

  @Test
  void aListedFileOutsideTheSnapshotIsRefusedBeforeAnyDownload() throws IOException {
    hub.lie(Lie.EXTRA_FILE, "../../../../escaped.safetensors");
    String message = fails();
    assertTrue(message.contains("../../../../escaped.safetensors") && message.contains("outside"), message);
    assertEquals(List.of(), hub.fileRequests("GET"), "nothing is downloaded from a listing that lies");
    assertEquals(List.of(), outsideTheCache());

    env.put("GEMMA_MODEL_SOURCE", "modelscope");
    hub.lie(Lie.EXTRA_FILE, "/absolute/escaped.safetensors");
    String modelScope = fails();
    assertTrue(modelScope.contains("/absolute/escaped.safetensors") && modelScope.contains("outside"), modelScope);
    assertEquals(List.of(), outsideTheCache());
  }

  @Test
  void aRevisionIsNeverAPath() throws IOException {
    Path victim = Files.writeString(root.resolve("victim.txt"), "precious");
    String revision = "../../../../../victim.txt";
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> GemmaOptions.builder().revision(revision).build());
    assertTrue(e.getMessage().contains("never a path"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GemmaOptions.builder().revision("/etc/hostname").build());
    assertEquals("v1.0-rc/2", GemmaOptions.builder().revision("v1.0-rc/2").build().revision(), "tags with dots and slashes stay valid");
    assertEquals("precious", Files.readString(victim));
  }

  @Test
  void aTamperedRefIsIgnored() throws IOException {
    new ModelResolver(HubSettings.from(GemmaOptions.defaults(), env, root.resolve("home"))).resolve(REPO);
    Path ref = cache.resolve("hub/models--google--tiny-gemma2/refs/main");
    Files.writeString(ref, "../../../../../home");
    Path snapshot = new ModelResolver(HubSettings.from(GemmaOptions.defaults(), env, root.resolve("home"))).resolve(REPO);
    assertEquals(cache.resolve("hub/models--google--tiny-gemma2/snapshots/" + COMMIT), snapshot);
    assertEquals(COMMIT, Files.readString(ref), "the ref is written anew from the hub's answer");
  }

  @Test
  void aListingWithoutFilesIsNamed() {
    hub.lie(Lie.NO_SIBLINGS);
    String hf = fails();
    assertTrue(hf.contains("no \"siblings\" array"), hf);
    env.put("GEMMA_MODEL_SOURCE", "modelscope");
    String ms = fails();
    assertTrue(ms.contains("no \"Data.Files\" array"), ms);
  }

  @Test
  void aListingThatIsNotJsonIsNamedWithoutParserHints() {
    hub.lie(Lie.LISTING_BODY, "{sha: 'abc', siblings: [}");
    String message = fails();
    assertTrue(message.contains("not a model listing") && message.contains("/api/models/"), message);
    assertFalse(message.toLowerCase().contains("gson") || message.contains("LENIENT"), message);

    hub.lie(Lie.LISTING_BODY, "{\"sha\": \"" + COMMIT + "\", \"siblings\": [{\"rfilename\": null}]}");
    String nullName = fails();
    assertTrue(nullName.contains("\"rfilename\" must be a string"), nullName);

    hub.lie(Lie.LISTING_BODY, "{\"sha\": \"" + COMMIT + "\", \"siblings\": [{\"rfilename\": \"model.safetensors\", \"size\": -5}]}");
    String negative = fails();
    assertTrue(negative.contains("\"size\" must be a size in bytes"), negative);
  }

  @Test
  void aStalledListingEnds() {
    hub.lie(Lie.STALLED_LISTING);
    String message = fails();
    assertTrue(message.contains("stalled") && message.contains("cannot reach"), message);
  }

  @Test
  void anEndlessListingEndsAtItsSizeLimit() {
    hub.lie(Lie.ENDLESS_LISTING);
    String message = fails();
    assertTrue(message.contains("more than 16 MiB") && message.contains("not a model hub"), message);
  }

  @Test
  void aStalledOrTricklingFileEndsAfterItsAttempts() throws IOException {
    hub.lie(Lie.STALLED_FILE);
    String stalled = fails();
    assertTrue(stalled.contains("failed 3 times") && stalled.contains("stalled"), stalled);
    hub = restart();
    hub.lie(Lie.TRICKLING_FILE);
    String trickle = fails();
    assertTrue(trickle.contains("failed 3 times") && trickle.contains("stalled"), trickle);
    assertFalse(Files.exists(cache.resolve("hub/models--google--tiny-gemma2/refs/main")));
  }

  private LocalHub restart() {
    hub.close();
    LocalHub fresh = new LocalHub().add(REPO, COMMIT, TestFixtures.path("tiny-gemma2"), null);
    env.put("HF_ENDPOINT", fresh.endpoint().toString());
    return fresh;
  }

  @Test
  void anEndlessFileStopsAtItsListedSizeAndIsDeleted() throws IOException {
    hub.lie(Lie.ENDLESS_FILE);
    String message = fails();
    assertTrue(message.contains("sent more than") && message.contains("deleted"), message);
    long largest;
    try (Stream<Path> fixture = Files.list(TestFixtures.path("tiny-gemma2"))) {
      largest = fixture.mapToLong(p -> p.toFile().length()).max().orElseThrow();
    }
    try (Stream<Path> all = Files.walk(cache.resolve("hub/models--google--tiny-gemma2/blobs"))) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        // Transfers cancelled alongside the failed one stay resumable; none holds more than a file's size.
        assertTrue(p.toString().endsWith(".incomplete") && Files.size(p) <= largest, p + " " + Files.size(p));
      }
    }
  }

  @Test
  void aRedirectToAFileIsNotFollowed() {
    hub.lie(Lie.REDIRECT, "file:///etc/passwd");
    String message = fails();
    assertTrue(message.contains("redirected to a file: address") && message.contains("only http and https"), message);
    assertFalse(message.contains("invalid URI scheme"), message);
  }
}
