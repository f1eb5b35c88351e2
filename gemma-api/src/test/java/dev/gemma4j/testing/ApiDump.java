package dev.gemma4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A module's public API as text, one line per public type and member (OkHttp's checked-in API dump): the
 * test of each module compares it with {@code api/<module>.api}, so a change to the API is a deliberate,
 * visible step in review. Packages named {@code internal} or {@code kernels} are not API and are left out.
 * Run a module's test with {@code -Dgemma.api.update=true} to write the file anew after an intended change.
 */
public final class ApiDump {
  private ApiDump() {}

  /**
   * Fails, with the lines added and removed, when the API of the classes beside {@code anchor} (its module's
   * compiled classes) differs from {@code moduleRoot/api/<name>.api}.
   */
  public static void check(Class<?> anchor, Path moduleRoot, String name) throws IOException {
    String dump = String.join("\n", dump(anchor)) + "\n";
    Path file = moduleRoot.resolve("api").resolve(name + ".api");
    if (Boolean.getBoolean("gemma.api.update")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, dump);
      return;
    }
    if (!Files.exists(file)) {
      fail(file + " does not exist; run the tests with -Dgemma.api.update=true to write it");
    }
    List<String> expected = Files.readAllLines(file);
    List<String> actual = List.of(dump.split("\n"));
    if (!expected.equals(actual)) {
      List<String> added = new ArrayList<>(actual);
      added.removeAll(expected);
      List<String> removed = new ArrayList<>(expected);
      removed.removeAll(actual);
      fail("the public API of " + name + " changed. Added:\n  " + String.join("\n  ", added) + "\nRemoved:\n  "
          + String.join("\n  ", removed) + "\nIf that is intended (removals break callers: say so in the CHANGELOG),"
          + " run the tests with -Dgemma.api.update=true and commit " + file);
    }
  }

  /** The API lines of the compiled classes of {@code anchor}'s module, sorted. */
  static List<String> dump(Class<?> anchor) throws IOException {
    Path root;
    try {
      root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
        String className = root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
        if (className.contains(".internal.") || className.contains(".kernels.") || className.endsWith("package-info")
            || className.equals("module-info")) {
          continue;
        }
        Class<?> type;
        try {
          type = Class.forName(className, false, anchor.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
          continue;
        }
        if (!isApi(type)) {
          continue;
        }
        lines.addAll(describe(type));
      }
    }
    return lines;
  }

  private static boolean isApi(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getDeclaringClass()) {
      if (!Modifier.isPublic(c.getModifiers()) || c.isSynthetic() || c.isAnonymousClass()) {
        return false;
      }
    }
    return true;
  }

  private static List<String> describe(Class<?> type) {
    List<String> lines = new ArrayList<>();
    String kind = type.isRecord() ? "record" : type.isEnum() ? "enum" : type.isAnnotation() ? "@interface"
        : type.isInterface() ? "interface" : "class";
    StringBuilder head = new StringBuilder(Modifier.toString(type.getModifiers() & ~Modifier.INTERFACE & ~Modifier.ABSTRACT
        | (type.isInterface() ? 0 : type.getModifiers() & Modifier.ABSTRACT))).append(' ').append(kind).append(' ')
        .append(type.getTypeName());
    if (type.getGenericSuperclass() != null && type.getSuperclass() != Object.class && !type.isEnum() && !type.isRecord()) {
      head.append(" extends ").append(type.getGenericSuperclass().getTypeName());
    }
    if (type.getGenericInterfaces().length > 0) {
      head.append(type.isInterface() ? " extends " : " implements ")
          .append(String.join(", ", Arrays.stream(type.getGenericInterfaces()).map(t -> t.getTypeName()).toList()));
    }
    String owner = type.getTypeName();
    lines.add(head.toString());
    for (Constructor<?> c : type.getDeclaredConstructors()) {
      if (visible(c.getModifiers()) && !c.isSynthetic() && !type.isEnum()) {
        lines.add(owner + " | " + c.toGenericString());
      }
    }
    for (Method m : type.getDeclaredMethods()) {
      if (visible(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
        lines.add(owner + " | " + m.toGenericString());
      }
    }
    for (Field f : type.getDeclaredFields()) {
      if (visible(f.getModifiers()) && !f.isSynthetic()) {
        lines.add(owner + " | " + f.toGenericString());
      }
    }
    List<String> sorted = new ArrayList<>(lines.subList(1, lines.size()));
    sorted.sort(null);
    List<String> out = new ArrayList<>();
    out.add(lines.getFirst());
    out.addAll(sorted);
    return out;
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }
}
