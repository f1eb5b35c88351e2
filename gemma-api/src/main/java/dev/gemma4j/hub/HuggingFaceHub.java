package dev.gemma4j.hub;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.GemmaException;
import dev.gemma4j.internal.StrictJson;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * The Hugging Face hub (or a mirror) and its cache layout, shared with the Python tools:
 * {@code models--owner--name/refs/<revision>} holds a commit, {@code snapshots/<commit>/<file>} links to
 * {@code blobs/<etag>}.
 */
final class HuggingFaceHub {
  private final HubSettings settings;
  private final HubHttp http;

  HuggingFaceHub(HubSettings settings) {
    this.settings = settings;
    this.http = new HubHttp(settings.token(), settings.stallTimeout());
  }

  private Path repoDir(RepoId repo) {
    return settings.cacheDir().resolve(repo.cacheFolderName());
  }

  /** The complete snapshot of {@code revision} in the cache, if there is one. */
  Optional<Path> cached(RepoId repo) {
    Optional<String> commit = commitOf(repo, settings.revision());
    return commit
        .map(c -> repoDir(repo).resolve("snapshots").resolve(c))
        .filter(CheckpointFiles::complete);
  }

  private Optional<String> commitOf(RepoId repo, String revision) {
    if (HubNames.isCommit(revision)) {
      return Optional.of(revision);
    }
    Path ref = repoDir(repo).resolve("refs").resolve(revision);
    try {
      if (!Files.isRegularFile(ref) || Files.size(ref) > 128) {
        return Optional.empty();
      }
      String commit = Files.readString(ref).strip();
      return HubNames.isCommit(commit) ? Optional.of(commit) : Optional.empty(); // a tampered ref is ignored
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Downloads what the cache lacks of {@code revision} and returns its snapshot folder. */
  Path download(RepoId repo) {
    RepoListing listing = list(repo);
    List<RemoteFile> files = listing.neededFiles();
    if (files.stream().noneMatch(f -> f.path().endsWith(".safetensors"))) {
      throw new GemmaException(
          repo + " at revision " + settings.revision() + " has no safetensors weights; gemma4j loads"
              + " Hugging Face checkpoints in safetensors format");
    }
    Path repoDir = repoDir(repo);
    Path snapshot = repoDir.resolve("snapshots").resolve(listing.commit());
    Path blobs = repoDir.resolve("blobs");
    try {
      Files.createDirectories(snapshot);
      Files.createDirectories(blobs);
    } catch (IOException e) {
      throw new GemmaException("cannot create the cache folder " + repoDir + ": " + e.getMessage(), e);
    }
    List<RemoteFile> missing = files.stream().filter(f -> !Files.isRegularFile(snapshot.resolve(f.path()))).toList();
    long total = missing.stream().mapToLong(f -> Math.max(0, f.size())).sum();
    DownloadProgress progress = new DownloadProgress("downloading " + repo, total);
    FileDownloader downloader = new FileDownloader(http, status -> statusMessage(repo, status), settings.stallTimeout());
    try (ExecutorService pool = Executors.newFixedThreadPool(settings.parallelDownloads())) {
      List<Future<?>> running = new ArrayList<>();
      for (RemoteFile file : missing) {
        running.add(pool.submit(() -> fetch(repo, listing.commit(), file, blobs, snapshot, downloader, progress)));
      }
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          running.forEach(r -> r.cancel(true));
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          throw new GemmaException("downloading " + repo + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new GemmaException("interrupted while downloading " + repo, e);
        }
      }
    }
    progress.finish();
    writeRef(repoDir, listing.commit());
    return snapshot;
  }

  private void fetch(
      RepoId repo, String commit, RemoteFile file, Path blobs, Path snapshot, FileDownloader downloader,
      DownloadProgress progress) {
    URI url = fileUrl(repo, commit, file.path());
    String from = settings.endpoint() + " (" + repo + "/" + file.path() + ")";
    String blobName = file.sha256() != null ? HubNames.blobName(file.sha256(), from) : etag(url, repo, commit, file);
    Path blob = blobs.resolve(blobName);
    if (!Files.isRegularFile(blob)) {
      downloader.download(url, file, blob, progress);
    } else {
      progress.alreadyHave(Math.max(0, file.size()));
    }
    link(snapshot.resolve(file.path()), blob);
  }

  private String etag(URI url, RepoId repo, String commit, RemoteFile file) {
    try {
      HttpResponse<Void> head = http.send("HEAD", url, Map.of(), HttpResponse.BodyHandlers.discarding());
      if (head.statusCode() >= 400) {
        String message = statusMessage(repo, head.statusCode());
        throw new GemmaException(message != null ? message : "HEAD " + url + " failed with HTTP " + head.statusCode());
      }
      String etag =
          head.headers().firstValue("X-Linked-Etag").or(() -> head.headers().firstValue("ETag")).orElse(null);
      if (etag == null) {
        // A mirror without ETags: name the blob after what it is, as a digest like every other blob.
        return FileDownloader.sha256Hex((commit + "/" + file.path()).getBytes(StandardCharsets.UTF_8));
      }
      return HubNames.blobName(etag, settings.endpoint() + " (" + repo + "/" + file.path() + ")");
    } catch (IOException e) {
      throw unreachable(e);
    }
  }

  private static void link(Path link, Path blob) {
    try {
      Files.createDirectories(link.getParent());
      Files.deleteIfExists(link);
      try {
        Files.createSymbolicLink(link, link.getParent().relativize(blob));
      } catch (UnsupportedOperationException | IOException e) {
        Files.copy(blob, link); // file systems without symbolic links get a copy
      }
    } catch (IOException e) {
      throw new GemmaException("cannot link " + link + " to " + blob + ": " + e.getMessage(), e);
    }
  }

  private void writeRef(Path repoDir, String commit) {
    if (HubNames.isCommit(settings.revision())) {
      return;
    }
    Path refs = repoDir.resolve("refs");
    if (!dev.gemma4j.internal.SafeFiles.staysInside(refs, settings.revision())) {
      throw new GemmaException("the revision \"" + settings.revision() + "\" is not a branch or tag name");
    }
    Path ref = refs.resolve(settings.revision());
    try {
      Files.createDirectories(ref.getParent());
      Path temp = ref.resolveSibling(ref.getFileName() + FileDownloader.INCOMPLETE);
      Files.writeString(temp, commit);
      Files.move(temp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new GemmaException("cannot write " + ref + ": " + e.getMessage(), e);
    }
  }

  RepoListing list(RepoId repo) {
    URI url =
        URI.create(
            settings.endpoint() + "/api/models/" + repo + "/revision/" + encode(settings.revision()) + "?blobs=true");
    HubHttp.Text response;
    try {
      response = http.getText(url, HubHttp.MAX_LISTING_BYTES);
    } catch (IOException e) {
      throw unreachable(e);
    }
    if (response.status() != 200) {
      String message = statusMessage(repo, response.status());
      throw new GemmaException(
          message != null ? message : "listing " + repo + " at " + settings.endpoint() + " failed with HTTP " + response.status());
    }
    String from = url.toString();
    JsonObject o = StrictJson.parseObject(response.body(), from, m -> new GemmaException(m + "; it is not a model listing"));
    String commit;
    if (o.has("sha")) {
      commit = HubNames.commit(stringField(o, "sha", from), from);
    } else if (HubNames.isCommit(settings.revision())) {
      commit = settings.revision();
    } else {
      throw new GemmaException(from + " did not say which commit the revision " + settings.revision()
          + " is (no \"sha\"); it is not a Hugging Face model listing");
    }
    JsonElement siblings = o.get("siblings");
    if (siblings == null || !siblings.isJsonArray()) {
      throw new GemmaException(from + " lists no files (no \"siblings\" array); it is not a Hugging Face model listing");
    }
    List<RemoteFile> files = new ArrayList<>();
    for (JsonElement e : siblings.getAsJsonArray()) {
      if (!e.isJsonObject()) {
        throw new GemmaException(from + " lists a file as " + e + "; expected an object with \"rfilename\"");
      }
      JsonObject sibling = e.getAsJsonObject();
      long size = sibling.has("size") ? sizeField(sibling, "size", from) : -1;
      String sha256 = null;
      if (sibling.has("lfs") && sibling.get("lfs").isJsonObject()) {
        JsonObject lfs = sibling.getAsJsonObject("lfs");
        sha256 = lfs.has("sha256") ? stringField(lfs, "sha256", from) : null;
        size = lfs.has("size") ? sizeField(lfs, "size", from) : size;
      }
      files.add(new RemoteFile(HubNames.fileName(stringField(sibling, "rfilename", from), from), size, sha256));
    }
    return new RepoListing(commit, files);
  }

  static String stringField(JsonObject o, String key, String from) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw new GemmaException(from + ": \"" + key + "\" must be a string, found " + e);
    }
    return e.getAsString();
  }

  static long sizeField(JsonObject o, String key, String from) {
    JsonElement e = o.get(key);
    if (e == null || !StrictJson.isInteger(e) || e.getAsLong() < 0) {
      throw new GemmaException(from + ": \"" + key + "\" must be a size in bytes, found " + e);
    }
    return e.getAsLong();
  }

  private URI fileUrl(RepoId repo, String commit, String path) {
    return URI.create(settings.endpoint() + "/" + repo + "/resolve/" + commit + "/" + path);
  }

  @Nullable String statusMessage(RepoId repo, int status) {
    return switch (status) {
      case 401, 403 ->
          repo + " is gated (HTTP " + status + " from " + settings.endpoint() + "): accept its license at "
              + settings.endpoint() + "/" + repo + " with your account, then set HF_TOKEN to an access token"
              + " with read permission (" + settings.endpoint() + "/settings/tokens)"
              + (settings.token() == null ? "; no token is set now" : "; the token set now is not accepted");
      case 404 ->
          "repository " + repo + " or its revision \"" + settings.revision() + "\" was not found at "
              + settings.endpoint() + "; check the model id and the revision (GemmaOptions.revision)";
      default -> null;
    };
  }

  private GemmaException unreachable(IOException e) {
    return new GemmaException(
        "cannot reach " + settings.endpoint() + " (" + e + "); check the network or HF_ENDPOINT, or set"
            + " HF_HUB_OFFLINE=1 to use only the local cache",
        e);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
