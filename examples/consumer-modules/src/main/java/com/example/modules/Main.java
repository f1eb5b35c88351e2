package com.example.modules;

import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;

/**
 * Generates with the model folder given as the first argument, on the module path, and checks what the
 * module boundary promises: the API module is named, its internal packages are not exported to this module,
 * the CPU backend is an explicit module that exports nothing here and is found through ServiceLoader.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Module api = Gemma.class.getModule();
    require(api.isNamed() && api.getName().equals("dev.gemma4j.api"), "gemma-api is not the module dev.gemma4j.api");
    require(!api.isExported("dev.gemma4j.internal.engine", Main.class.getModule()),
        "dev.gemma4j.internal.engine is exported to applications");
    Module cpu = ModuleLayer.boot().findModule("dev.gemma4j.backend.cpu")
        .orElseThrow(() -> new IllegalStateException("the CPU backend is not on the module path"));
    require(!cpu.getDescriptor().isAutomatic(), "the CPU backend is an automatic module, not an explicit one");
    require(!cpu.isExported("dev.gemma4j.backend.cpu.kernels", Main.class.getModule()),
        "the CPU kernels are exported to applications");
    require(cpu.getDescriptor().provides().stream().anyMatch(p -> p.service().equals("dev.gemma4j.spi.BackendProvider")),
        "the CPU backend does not provide dev.gemma4j.spi.BackendProvider");
    try (Gemma gemma = Gemma.open(args[0], GemmaOptions.builder().backend("cpu").build())) {
      Generation g = gemma.generate(Prompt.text("The capital of France is"),
          GenerationConfig.builder().maxNewTokens(8).build());
      require(g.tokenIds().size() == 8, "expected 8 tokens, got " + g.tokenIds());
      System.out.println("module path OK: " + gemma.backendName() + " generated " + g.tokenIds());
    }
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }
}
