package dev.gemma4j.hub;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.gemma4j.GemmaException;
import dev.gemma4j.internal.StrictJson;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * ModelScope ({@code modelscope.cn}) and the layout of its Python SDK's cache:
 * {@code <MODELSCOPE_CACHE>/models/<owner>/<name>/<file>}. Its default branch is {@code master}; the
 * revision {@code main} is read as {@code master}.
 */
final class ModelScopeHub {
  private final HubSettings settings;
  private final HubHttp http;
  private final String revision;

  ModelScopeHub(HubSettings settings) {
    this.settings = settings;
    this.http = new HubHttp(settings.modelScopeToken(), settings.stallTimeout());
    this.revision = settings.revision().equals("main") ? "master" : settings.revision();
  }

  private Path folder(RepoId repo) {
    return settings.modelScopeCacheDir().resolve("models").resolve(repo.owner()).resolve(repo.name());
  }

  Optional<Path> cached(RepoId repo) {
    Path folder = folder(repo);
    return CheckpointFiles.complete(folder) ? Optional.of(folder) : Optional.empty();
  }

  Path download(RepoId repo) {
    List<RemoteFile> files = list(repo).neededFiles();
    if (files.stream().noneMatch(f -> f.path().endsWith(".safetensors"))) {
      throw new GemmaException(repo + " on ModelScope (revision " + revision + ") has no safetensors weights");
    }
    Path folder = folder(repo);
    try {
      Files.createDirectories(folder);
    } catch (IOException e) {
      throw new GemmaException("cannot create the cache folder " + folder + ": " + e.getMessage(), e);
    }
    List<RemoteFile> missing = files.stream().filter(f -> !Files.isRegularFile(folder.resolve(f.path()))).toList();
    DownloadProgress progress =
        new DownloadProgress("downloading " + repo + " from ModelScope", missing.stream().mapToLong(f -> Math.max(0, f.size())).sum());
    FileDownloader downloader = new FileDownloader(http, status -> statusMessage(repo, status), settings.stallTimeout());
    for (RemoteFile file : missing) {
      downloader.download(fileUrl(repo, file.path()), file, folder.resolve(file.path()), progress);
    }
    progress.finish();
    return folder;
  }

  RepoListing list(RepoId repo) {
    URI url =
        URI.create(
            settings.modelScopeEndpoint() + "/api/v1/models/" + repo + "/repo/files?Revision=" + encode(revision)
                + "&Recursive=True");
    HubHttp.Text response;
    try {
      response = http.getText(url, HubHttp.MAX_LISTING_BYTES);
    } catch (IOException e) {
      throw new GemmaException(
          "cannot reach " + settings.modelScopeEndpoint() + " (" + e + "); check the network or MODELSCOPE_ENDPOINT", e);
    }
    if (response.status() != 200) {
      String message = statusMessage(repo, response.status());
      throw new GemmaException(message != null ? message : "listing " + repo + " failed with HTTP " + response.status());
    }
    String from = url.toString();
    JsonObject root = StrictJson.parseObject(response.body(), from, m -> new GemmaException(m + "; it is not a ModelScope file listing"));
    JsonElement data = root.get("Data");
    JsonElement listed = data != null && data.isJsonObject() ? data.getAsJsonObject().get("Files") : null;
    if (listed == null || !listed.isJsonArray()) {
      throw new GemmaException(from + " lists no files (no \"Data.Files\" array); it is not a ModelScope file listing");
    }
    List<RemoteFile> files = new ArrayList<>();
    for (JsonElement e : listed.getAsJsonArray()) {
      if (!e.isJsonObject()) {
        throw new GemmaException(from + " lists a file as " + e + "; expected an object with \"Path\"");
      }
      JsonObject f = e.getAsJsonObject();
      if (f.has("Type") && !HuggingFaceHub.stringField(f, "Type", from).equals("blob")) {
        continue;
      }
      String sha = f.has("Sha256") && !f.get("Sha256").isJsonNull() ? HuggingFaceHub.stringField(f, "Sha256", from) : null;
      files.add(new RemoteFile(HubNames.fileName(HuggingFaceHub.stringField(f, "Path", from), from),
          f.has("Size") ? HuggingFaceHub.sizeField(f, "Size", from) : -1, sha == null || sha.isEmpty() ? null : sha));
    }
    return new RepoListing(revision, files);
  }

  private URI fileUrl(RepoId repo, String path) {
    return URI.create(
        settings.modelScopeEndpoint() + "/api/v1/models/" + repo + "/repo?Revision=" + encode(revision)
            + "&FilePath=" + encode(path));
  }

  private @Nullable String statusMessage(RepoId repo, int status) {
    return switch (status) {
      case 401, 403 ->
          repo + " on ModelScope needs authorization (HTTP " + status + "): accept its license on "
              + settings.modelScopeEndpoint() + " and set MODELSCOPE_API_TOKEN";
      case 404 ->
          "repository " + repo + " or its revision \"" + revision + "\" was not found at " + settings.modelScopeEndpoint();
      default -> null;
    };
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
