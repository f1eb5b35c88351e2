package dev.gemma4j.hub;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.gemma4j.GemmaException;
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
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The Hugging Face hub (or a mirror) and its cache layout, shared with the Python tools:
 * {@code models--owner--name/refs/<revision>} holds a commit, {@code snapshots/<commit>/<file>} links to
 * {@code blobs/<etag>}.
 */
final class HuggingFaceHub {
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

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
    if (COMMIT.matcher(revision).matches()) {
      return Optional.of(revision);
    }
    Path ref = repoDir(repo).resolve("refs").resolve(revision);
    try {
      return Files.isRegularFile(ref) ? Optional.of(Files.readString(ref).strip()) : Optional.empty();
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
    String blobName = file.sha256() != null ? file.sha256() : etag(url, repo, commit, file);
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
        return commit + "-" + file.path(); // a mirror without ETags: name the blob after what it is
      }
      return etag.replace("W/", "").replace("\"", "");
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
    if (COMMIT.matcher(settings.revision()).matches()) {
      return;
    }
    Path ref = repoDir.resolve("refs").resolve(settings.revision());
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
    HttpResponse<String> response;
    try {
      response = http.send("GET", url, Map.of(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw unreachable(e);
    }
    if (response.statusCode() != 200) {
      String message = statusMessage(repo, response.statusCode());
      throw new GemmaException(
          message != null ? message : "listing " + repo + " at " + settings.endpoint() + " failed with HTTP " + response.statusCode());
    }
    try {
      JsonObject o = JsonParser.parseString(response.body()).getAsJsonObject();
      String commit = o.has("sha") ? o.get("sha").getAsString() : settings.revision();
      List<RemoteFile> files = new ArrayList<>();
      for (JsonElement e : o.getAsJsonArray("siblings")) {
        JsonObject s = e.getAsJsonObject();
        long size = s.has("size") ? s.get("size").getAsLong() : -1;
        String sha256 = null;
        if (s.has("lfs") && s.get("lfs").isJsonObject()) {
          JsonObject lfs = s.getAsJsonObject("lfs");
          sha256 = lfs.has("sha256") ? lfs.get("sha256").getAsString() : null;
          size = lfs.has("size") ? lfs.get("size").getAsLong() : size;
        }
        files.add(new RemoteFile(s.get("rfilename").getAsString(), size, sha256));
      }
      return new RepoListing(commit, files);
    } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException e) {
      throw new GemmaException(url + " did not return a model listing: " + e.getMessage(), e);
    }
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
              + settings.endpoint() + "; check the model id and --revision";
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
