package dev.gemma4j.hub;

import java.util.regex.Pattern;

/**
 * A model repository id such as {@code google/gemma-2-9b-it}.
 *
 * @param owner the organization or user
 * @param name the repository name
 */
public record RepoId(String owner, String name) {
  private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  /** Validates both parts. */
  public RepoId {
    if (!PART.matcher(owner).matches() || !PART.matcher(name).matches() || name.endsWith(".")) {
      throw new IllegalArgumentException("not a repository id: " + owner + "/" + name);
    }
  }

  /** Whether {@code text} has the form {@code owner/name}. */
  public static boolean looksLikeRepoId(String text) {
    String[] parts = text.split("/", -1);
    return parts.length == 2 && PART.matcher(parts[0]).matches() && PART.matcher(parts[1]).matches();
  }

  /** Parses {@code owner/name}. */
  public static RepoId parse(String text) {
    if (!looksLikeRepoId(text)) {
      throw new IllegalArgumentException("not a repository id (owner/name): " + text);
    }
    String[] parts = text.split("/");
    return new RepoId(parts[0], parts[1]);
  }

  /** The folder name of the Hugging Face cache: {@code models--owner--name}. */
  public String cacheFolderName() {
    return "models--" + owner + "--" + name;
  }

  @Override
  public String toString() {
    return owner + "/" + name;
  }
}
