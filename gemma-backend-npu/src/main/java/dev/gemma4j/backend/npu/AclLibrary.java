package dev.gemma4j.backend.npu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CANN libraries of a toolkit, opened with {@link SymbolLookup#libraryLookup}; functions are looked up
 * by name when first used, so an operator a CANN version lacks is reported as such, not as a load failure.
 */
final class AclLibrary {
  private static final Linker LINKER = Linker.nativeLinker();

  private final AscendToolkit toolkit;
  private final List<SymbolLookup> lookups;
  private final Map<String, MethodHandle> handles = new ConcurrentHashMap<>();

  private AclLibrary(AscendToolkit toolkit, List<SymbolLookup> lookups) {
    this.toolkit = toolkit;
    this.lookups = lookups;
  }

  /**
   * Opens the toolkit's libraries.
   *
   * @throws IllegalStateException naming the library that is missing or does not load
   */
  static AclLibrary open(AscendToolkit toolkit) {
    List<SymbolLookup> lookups = new ArrayList<>();
    for (String name : AscendToolkit.LIBRARIES) {
      Path path = toolkit.library(name);
      if (!Files.isRegularFile(path)) {
        throw new IllegalStateException(path + " is missing (toolkit from " + toolkit.origin() + ")");
      }
      lookups.add(load(path));
    }
    List<Path> operators = toolkit.operatorLibraries();
    if (operators.isEmpty()) {
      throw new IllegalStateException("no operator library in " + toolkit.home() + "'s lib64, <arch>-linux/lib64 or opp/lib64 (libopapi.so, or"
          + " libopapi_<package>.so of split op packages; toolkit from " + toolkit.origin() + "): install CANN's"
          + " operator packages (ops-nn, ops-math, ops-transformer) with the toolkit");
    }
    for (Path path : operators) {
      lookups.add(load(path));
    }
    return new AclLibrary(toolkit, List.copyOf(lookups));
  }

  private static SymbolLookup load(Path path) {
    try {
      return SymbolLookup.libraryLookup(path, Arena.global());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          path + " does not load (" + e.getMessage() + "); run `source set_env.sh` of the CANN toolkit so that"
              + " LD_LIBRARY_PATH holds its dependencies", e);
    }
  }

  AscendToolkit toolkit() {
    return toolkit;
  }

  Optional<MemorySegment> symbol(String name) {
    for (SymbolLookup lookup : lookups) {
      Optional<MemorySegment> found = lookup.find(name);
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  boolean has(String name) {
    return symbol(name).isPresent();
  }

  /**
   * A downcall handle for {@code name} with the given signature.
   *
   * @throws AscendException when this CANN does not export it
   */
  MethodHandle function(String name, FunctionDescriptor descriptor) {
    return handles.computeIfAbsent(
        name + descriptor,
        key ->
            LINKER.downcallHandle(
                symbol(name)
                    .orElseThrow(
                        () ->
                            new AscendException(
                                name, -1, "this CANN installation does not provide it (" + toolkit.home() + "); the"
                                    + " NPU backend needs CANN 8.0 or newer")),
                descriptor));
  }
}
