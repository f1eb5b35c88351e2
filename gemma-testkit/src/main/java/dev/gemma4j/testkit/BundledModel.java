package dev.gemma4j.testkit;

import dev.gemma4j.GemmaException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The model that ships inside this jar: {@code tiny-gemma2-tok}, a 2-layer Gemma 2 with random bf16
 * weights and the real 256000-token Gemma tokenizer (19 MB). Its text is gibberish, but it is exactly the
 * text the reference implementation produces, so it serves demos and tests on machines without a real
 * checkpoint or a network.
 */
public final class BundledModel {
  /** The bundled model's name. */
  public static final String NAME = "tiny-gemma2-tok";

  private static final String RESOURCES = "/dev/gemma4j/testkit/bundled/" + NAME + "/";
  private static final List<String> FILES =
      List.of("config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json", "model.safetensors");
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

  private static Path verified;

  private BundledModel() {}

  /**
   * The bundled model as a checkpoint folder. It is extracted once into a folder only this user can
   * write ({@code ~/.cache/gemma4j/bundled/<digest>/}, else {@code gemma4j-<user>} in the temporary
   * folder, created with owner-only permissions and checked to be owned by this user), through a
   * temporary folder moved into place when complete; before it is used, every file's SHA-256 is checked
   * against the copy in this jar, so files someone else placed there are never loaded.
   */
  public static synchronized Path path() {
    if (verified == null) {
      verified = extractInto(privateFolder());
    }
    return verified;
  }

  /** Extracts (or checks an earlier extraction of) the model under {@code privateFolder}. */
  static Path extractInto(Path privateFolder) {
    try {
      createPrivate(privateFolder);
    } catch (IOException e) {
      throw new GemmaException("cannot create " + privateFolder + " for the bundled model: " + e.getMessage(), e);
    }
    Map<String, String> expected = digests();
    String fingerprint = HexFormat.of().formatHex(sha256(String.join(",", expected.values()).getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0, 8);
    Path root = privateFolder.resolve(fingerprint);
    Path target = root.resolve(NAME);
    try {
      if (Files.isDirectory(target) && !matches(target, expected)) {
        deleteTree(target); // damaged or replaced: extract it anew
      }
      if (!Files.isDirectory(target)) {
        extract(root, target);
      }
      if (!matches(target, expected)) {
        throw new GemmaException("the bundled model extracted to " + target + " does not match the copy in the"
            + " gemma-testkit jar; something else writes to that folder: remove it and run again");
      }
      return target;
    } catch (IOException e) {
      throw new GemmaException("cannot extract the bundled model to " + target + ": " + e.getMessage(), e);
    }
  }

  private static void extract(Path root, Path target) throws IOException {
    createPrivate(root);
    Path temp = Files.createTempDirectory(root, NAME + ".incomplete-");
    for (String file : FILES) {
      try (InputStream in = resource(file)) {
        Files.copy(in, temp.resolve(file), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException raced) {
      deleteTree(temp); // another process of this user extracted it first: it is verified like ours
    }
  }

  /** {@code ~/.cache/gemma4j/bundled}, or {@code gemma4j-<user>/bundled} in the temporary folder. */
  private static Path privateFolder() {
    String home = System.getProperty("user.home");
    if (home != null && !home.isBlank() && Files.isWritable(Path.of(home))) {
      Path folder = Path.of(home, ".cache", "gemma4j", "bundled");
      try {
        createPrivate(folder);
        return folder;
      } catch (IOException | GemmaException e) {
        // fall back to the temporary folder
      }
    }
    Path folder = Path.of(System.getProperty("java.io.tmpdir"), "gemma4j-" + System.getProperty("user.name"), "bundled");
    try {
      createPrivate(folder.getParent());
      createPrivate(folder);
    } catch (IOException e) {
      throw new GemmaException("cannot create " + folder + " for the bundled model: " + e.getMessage(), e);
    }
    return folder;
  }

  /** Creates a folder only its owner can use, and checks that an existing one is ours and not writable by others. */
  private static void createPrivate(Path folder) throws IOException {
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (!Files.exists(folder)) {
      Files.createDirectories(folder);
      if (posix) {
        Files.setPosixFilePermissions(folder, OWNER_ONLY);
      }
    }
    if (posix) {
      PosixFileAttributeView view = Files.getFileAttributeView(folder, PosixFileAttributeView.class);
      String me = System.getProperty("user.name");
      Set<PosixFilePermission> permissions = view.readAttributes().permissions();
      if (!view.getOwner().getName().equals(me)
          || permissions.contains(PosixFilePermission.GROUP_WRITE)
          || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
        throw new GemmaException(folder + " is not a private folder of " + me + " (owner " + view.getOwner().getName()
            + ", permissions " + PosixFilePermissions.toString(permissions) + "); the bundled model is not extracted"
            + " where others could replace it: remove the folder or fix its owner and permissions");
      }
    }
  }

  private static boolean matches(Path folder, Map<String, String> expected) throws IOException {
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Path file = folder.resolve(e.getKey());
      if (!Files.isRegularFile(file)) {
        return false;
      }
      try (InputStream in = Files.newInputStream(file)) {
        if (!digest(in).equals(e.getValue())) {
          return false;
        }
      }
    }
    return true;
  }

  private static Map<String, String> digests() {
    Map<String, String> digests = new LinkedHashMap<>();
    for (String file : FILES) {
      try (InputStream in = resource(file)) {
        digests.put(file, digest(in));
      } catch (IOException e) {
        throw new GemmaException("cannot read the bundled model: " + e.getMessage(), e);
      }
    }
    return digests;
  }

  private static String digest(InputStream in) throws IOException {
    MessageDigest sha = sha();
    try (DigestInputStream digesting = new DigestInputStream(in, sha)) {
      digesting.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static byte[] sha256(byte[] bytes) {
    return sha().digest(bytes);
  }

  private static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path folder) throws IOException {
    try (Stream<Path> all = Files.walk(folder)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static InputStream resource(String file) {
    InputStream in = BundledModel.class.getResourceAsStream(RESOURCES + file);
    if (in == null) {
      throw new GemmaException(
          "the bundled model file " + file + " is missing from the gemma-testkit jar; rebuild it with mvn package");
    }
    return in;
  }
}
