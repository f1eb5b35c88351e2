package dev.gemma4j.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local HTTP server in the Hugging Face hub's file layout (and ModelScope's), for tests:
 * {@code /api/models/{repo}/revision/{rev}} lists {@code siblings}, {@code /{repo}/resolve/{rev}/{file}}
 * serves files with {@code ETag}, {@code X-Repo-Commit} and {@code Range}; gated repositories answer 401
 * without the right {@code Authorization: Bearer} token and 403 with a wrong one. Faults can be injected:
 * a connection cut after some bytes, a corrupted body; and it can {@linkplain #lie lie} as a hostile
 * server would.
 */
public final class LocalHub implements AutoCloseable {
  /** How a hostile hub departs from the truth. */
  public enum Lie {
    /** The listing's {@code "sha"} is the given text instead of the commit. */
    COMMIT,
    /** Every file carries the given {@code ETag}. */
    ETAG,
    /** Every file carries the given {@code X-Linked-Etag}. */
    LINKED_ETAG,
    /** The listing names one more weight file, under the given name. */
    EXTRA_FILE,
    /** The listing has no {@code "siblings"} (no {@code "Data.Files"} on ModelScope). */
    NO_SIBLINGS,
    /** The listing's body is the given text. */
    LISTING_BODY,
    /** The listing sends its headers and then nothing. */
    STALLED_LISTING,
    /** The listing never ends. */
    ENDLESS_LISTING,
    /** File requests are redirected to the given location. */
    REDIRECT,
    /** File bodies send their headers and then nothing. */
    STALLED_FILE,
    /** File bodies send a byte now and then, never enough to finish. */
    TRICKLING_FILE,
    /** File bodies never end. */
    ENDLESS_FILE
  }

  /** One request as the server saw it. */
  public record Request(String method, String path, String range, String authorization) {}

  private record Repo(String commit, Map<String, byte[]> files, String token) {}

  private static final Pattern API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/?]+)");
  private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
  private static final Pattern MS_FILES = Pattern.compile("/api/v1/models/([^/]+/[^/]+)/repo/files");
  private static final Pattern MS_FILE = Pattern.compile("/api/v1/models/([^/]+/[^/]+)/repo");

  private final HttpServer server;
  private final Map<String, Repo> repos = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> cuts = new ConcurrentHashMap<>();
  private final Map<String, Long> cutAfter = new ConcurrentHashMap<>();
  private final Map<String, Boolean> corrupt = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final Map<Lie, String> lies = new ConcurrentHashMap<>();
  private volatile long delayMillis;
  private volatile boolean closed;

  /** Starts a server on a free loopback port. */
  public LocalHub() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
  }

  /** {@code http://127.0.0.1:port}: what {@code HF_ENDPOINT} is set to. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Serves every file of {@code folder} as {@code repo} at {@code commit}; a non-null token gates it. */
  public LocalHub add(String repo, String commit, Path folder, String token) {
    Map<String, byte[]> files = new TreeMap<>();
    try (var list = Files.list(folder)) {
      for (Path f : list.toList()) {
        files.put(f.getFileName().toString(), Files.readAllBytes(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    repos.put(repo, new Repo(commit, files, token));
    return this;
  }

  /** The next {@code times} downloads of {@code file} stop after {@code bytes} bytes. */
  public void cut(String file, long bytes, int times) {
    cutAfter.put(file, bytes);
    cuts.put(file, new AtomicInteger(times));
  }

  /** Serves {@code file} with one byte changed, while listing the true size and SHA-256. */
  public void corrupt(String file) {
    corrupt.put(file, true);
  }

  /** From now on, tells {@code lie} with {@code value} (see each {@link Lie}). */
  public LocalHub lie(Lie lie, String value) {
    lies.put(lie, value);
    return this;
  }

  /** From now on, tells {@code lie}. */
  public LocalHub lie(Lie lie) {
    return lie(lie, "");
  }

  /** Slows every file response down, so that parallel downloads overlap. */
  public void delay(long millis) {
    delayMillis = millis;
  }

  /** Every request so far. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The most file responses that were in flight at once. */
  public int maxConcurrentDownloads() {
    return maxInFlight.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().toString(),
        String.valueOf(ex.getRequestHeaders().getFirst("Range")), String.valueOf(auth)));
    try {
      Matcher m;
      if ((m = API.matcher(path)).matches()) {
        Repo repo = authorized(ex, m.group(1), m.group(2), auth);
        if (repo != null && !lyingListing(ex)) {
          json(ex, listing(m.group(1), repo));
        }
      } else if ((m = RESOLVE.matcher(path)).matches()) {
        Repo repo = authorized(ex, m.group(1), m.group(2), auth);
        if (repo != null) {
          file(ex, repo, m.group(3), Map.of("X-Repo-Commit", repo.commit()));
        }
      } else if ((m = MS_FILES.matcher(path)).matches()) {
        Repo repo = authorized(ex, m.group(1), query(ex, "Revision"), auth);
        if (repo != null && !lyingListing(ex)) {
          json(ex, modelScopeListing(repo));
        }
      } else if ((m = MS_FILE.matcher(path)).matches()) {
        Repo repo = authorized(ex, m.group(1), query(ex, "Revision"), auth);
        if (repo != null) {
          file(ex, repo, query(ex, "FilePath"), Map.of());
        }
      } else {
        status(ex, 404);
      }
    } finally {
      ex.close();
    }
  }

  private Repo authorized(HttpExchange ex, String name, String revision, String auth) throws IOException {
    Repo repo = repos.get(name);
    if (repo == null || !(revision.equals("main") || revision.equals("master") || revision.equals(repo.commit()))) {
      status(ex, 404);
      return null;
    }
    if (repo.token() != null && auth == null) {
      status(ex, 401);
      return null;
    }
    if (repo.token() != null && !auth.equals("Bearer " + repo.token())) {
      status(ex, 403);
      return null;
    }
    return repo;
  }

  private static String query(HttpExchange ex, String key) {
    for (String part : ex.getRequestURI().getRawQuery().split("&")) {
      String[] kv = part.split("=", 2);
      if (kv[0].equals(key)) {
        return URLDecoder.decode(kv[1], StandardCharsets.UTF_8);
      }
    }
    return "";
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Answers a listing request the hostile way, if one is set; whether it did. */
  private boolean lyingListing(HttpExchange ex) throws IOException {
    if (lies.containsKey(Lie.LISTING_BODY)) {
      byte[] body = lies.get(Lie.LISTING_BODY).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      return true;
    }
    if (lies.containsKey(Lie.STALLED_LISTING)) {
      ex.sendResponseHeaders(200, 1000);
      ex.getResponseBody().flush();
      stall();
      return true;
    }
    if (lies.containsKey(Lie.ENDLESS_LISTING)) {
      ex.sendResponseHeaders(200, 0);
      sendForever(ex, (byte) '[');
      return true;
    }
    return false;
  }

  /** Whether the client has hung up, after writing for as long as it reads. */
  private void sendForever(HttpExchange ex, byte fill) {
    byte[] chunk = new byte[1 << 16];
    java.util.Arrays.fill(chunk, fill);
    try (OutputStream out = ex.getResponseBody()) {
      for (long sent = 0; sent < (8L << 30) && !closed; sent += chunk.length) {
        out.write(chunk);
      }
    } catch (IOException expectedWhenTheClientGivesUp) {
      // the client closed the connection
    }
  }

  /** Holds a response open without sending, until the client gives up or the server closes. */
  private void stall() {
    for (int i = 0; i < 300 && !closed; i++) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private Map<String, byte[]> listedFiles(Repo repo) {
    Map<String, byte[]> files = new TreeMap<>(repo.files());
    String extra = lies.get(Lie.EXTRA_FILE);
    if (extra != null) {
      files.put(extra, "hostile".getBytes(StandardCharsets.UTF_8));
    }
    return files;
  }

  private JsonObject listing(String name, Repo repo) {
    JsonObject o = new JsonObject();
    o.addProperty("id", name);
    o.addProperty("sha", lies.getOrDefault(Lie.COMMIT, repo.commit()));
    JsonArray siblings = new JsonArray();
    listedFiles(repo).forEach((file, data) -> {
      JsonObject s = new JsonObject();
      s.addProperty("rfilename", file);
      s.addProperty("size", data.length);
      if (file.endsWith(".safetensors")) {
        JsonObject lfs = new JsonObject();
        lfs.addProperty("sha256", sha256(data));
        lfs.addProperty("size", data.length);
        s.add("lfs", lfs);
      }
      siblings.add(s);
    });
    if (!lies.containsKey(Lie.NO_SIBLINGS)) {
      o.add("siblings", siblings);
    }
    return o;
  }

  private JsonObject modelScopeListing(Repo repo) {
    JsonArray files = new JsonArray();
    listedFiles(repo).forEach((file, data) -> {
      JsonObject f = new JsonObject();
      f.addProperty("Path", file);
      f.addProperty("Name", file);
      f.addProperty("Size", data.length);
      f.addProperty("Sha256", sha256(data));
      f.addProperty("Type", "blob");
      files.add(f);
    });
    JsonObject data = new JsonObject();
    if (!lies.containsKey(Lie.NO_SIBLINGS)) {
      data.add("Files", files);
    }
    JsonObject o = new JsonObject();
    o.addProperty("Code", 200);
    o.add("Data", data);
    return o;
  }

  private void file(HttpExchange ex, Repo repo, String name, Map<String, String> headers) throws IOException {
    byte[] data = repo.files().get(name);
    if (data == null) {
      status(ex, 404);
      return;
    }
    if (lies.containsKey(Lie.REDIRECT)) {
      ex.getResponseHeaders().add("Location", lies.get(Lie.REDIRECT));
      ex.sendResponseHeaders(302, -1);
      return;
    }
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    String etag = name.endsWith(".safetensors") ? sha256(data) : sha256(data).substring(0, 40);
    ex.getResponseHeaders().add("ETag", "\"" + lies.getOrDefault(Lie.ETAG, etag) + "\"");
    if (lies.containsKey(Lie.LINKED_ETAG)) {
      ex.getResponseHeaders().add("X-Linked-Etag", "\"" + lies.get(Lie.LINKED_ETAG) + "\"");
    }
    ex.getResponseHeaders().add("Accept-Ranges", "bytes");
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.getResponseHeaders().add("Content-Length", String.valueOf(data.length));
      ex.sendResponseHeaders(200, -1);
      return;
    }
    if (lies.containsKey(Lie.STALLED_FILE)) {
      ex.sendResponseHeaders(200, data.length);
      ex.getResponseBody().flush();
      stall();
      return;
    }
    if (lies.containsKey(Lie.TRICKLING_FILE)) {
      ex.sendResponseHeaders(200, data.length);
      for (int i = 0; i < data.length && !closed; i++) {
        ex.getResponseBody().write(data[i]);
        ex.getResponseBody().flush();
        sleep(50);
      }
      return;
    }
    if (lies.containsKey(Lie.ENDLESS_FILE)) {
      ex.sendResponseHeaders(200, 0);
      sendForever(ex, (byte) 0);
      return;
    }
    int concurrent = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(concurrent, Math::max);
    try {
      sleep(delayMillis);
      if (corrupt.getOrDefault(name, false)) {
        data = data.clone();
        data[data.length / 2] ^= 0x55;
      }
      int from = 0;
      String range = ex.getRequestHeaders().getFirst("Range");
      if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
        from = Integer.parseInt(range.substring(6, range.length() - 1));
        if (from >= data.length) {
          status(ex, 416);
          return;
        }
        ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        ex.sendResponseHeaders(206, data.length - from);
      } else {
        ex.sendResponseHeaders(200, data.length);
      }
      ex.getResponseBody().flush(); // headers out now, even when no body byte follows
      AtomicInteger remainingCuts = cuts.get(name);
      long limit = data.length - from;
      if (remainingCuts != null && remainingCuts.getAndDecrement() > 0) {
        limit = Math.min(limit, Math.max(0, cutAfter.get(name) - from));
      }
      // A body closed before Content-Length bytes: the JDK server then leaves the connection open
      // without sending more, which is what a stalled transfer looks like to the client.
      try (OutputStream out = ex.getResponseBody()) {
        out.write(data, from, (int) limit);
      } catch (IOException expectedWhenCut) {
        // "insufficient bytes written to stream"
      }
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private static void sleep(long millis) {
    if (millis > 0) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void json(HttpExchange ex, JsonObject body) throws IOException {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(200, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private static void status(HttpExchange ex, int code) throws IOException {
    ex.sendResponseHeaders(code, -1);
  }

  /** Paths of the files of {@code repo} that a request asked for. */
  public List<String> fileRequests(String method) {
    List<String> out = new ArrayList<>();
    for (Request r : requests) {
      if (r.method().equals(method) && (r.path().contains("/resolve/") || r.path().contains("FilePath="))) {
        out.add(r.path());
      }
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
  }
}
