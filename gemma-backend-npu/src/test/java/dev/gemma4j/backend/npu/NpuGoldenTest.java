package dev.gemma4j.backend.npu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.testing.TestFixtures;
import dev.gemma4j.testing.ModelSteps;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.gemma4j.Gemma;
import dev.gemma4j.GemmaOptions;
import dev.gemma4j.Generation;
import dev.gemma4j.GenerationConfig;
import dev.gemma4j.Prompt;
import dev.gemma4j.backend.cpu.CpuBackendProvider;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.internal.model.DecoderModel;
import dev.gemma4j.spi.Backend;
import dev.gemma4j.spi.BackendOptions;
import dev.gemma4j.spi.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The NPU backend on the emulator: every golden id of the fixtures through the public API (paged KV cache
 * in device memory, blocks of 128, the batching scheduler, greedy choice on the device), and logits within
 * 1e-4 of the CPU backend's and the reference's.
 */
class NpuGoldenTest {

  record Case(int[] prompt, int[] greedy, float[] prefillLastLogits) {}

  static List<Case> cases(String fixture) throws IOException {
    JsonObject golden = JsonParser.parseString(Files.readString(TestFixtures.path(fixture).resolve("golden.json"))).getAsJsonObject();
    List<Case> out = new ArrayList<>();
    for (JsonElement e : golden.getAsJsonArray("cases")) {
      JsonObject c = e.getAsJsonObject();
      JsonArray logits = c.getAsJsonArray("prefill_last_logits");
      float[] last = new float[logits == null ? 0 : logits.size()];
      for (int i = 0; i < last.length; i++) {
        last[i] = logits.get(i).getAsFloat();
      }
      out.add(new Case(ints(c.getAsJsonArray("input_ids")), ints(c.getAsJsonArray("greedy_new_ids")), last));
    }
    return out;
  }

  static int[] ints(JsonArray a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).getAsInt();
    }
    return out;
  }

  static int[] ids(Generation g) {
    return g.tokenIds().stream().mapToInt(Integer::intValue).toArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"tiny-gemma2", "tiny-gemma2-bf16", "tiny-gemma2-tok", "shape-gqa3-hd24", "shape-mha-hd32-bf16",
      "tiny-gemma3", "shape-gemma3-mm-bf16"})
  void generatesEveryGoldenIdAloneAndConcurrently(String fixture) throws IOException {
    List<Case> cases = cases(fixture);
    try (Gemma gemma = Gemma.open(TestFixtures.path(fixture), GemmaOptions.builder().backend("npu").precision(Precision.FLOAT32).build())) {
      assertTrue(gemma.deviceName().contains("npu:0"), gemma.deviceName());
      assertEquals(128, gemma.engineStats().blockSize());
      for (Case c : cases) {
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(c.greedy().length).ignoreEos(true).build();
        assertArrayEquals(c.greedy(), ids(gemma.generate(Prompt.ids(c.prompt()), config)), fixture);
      }
      List<CompletableFuture<Generation>> running = new ArrayList<>();
      for (int round = 0; round < 2; round++) {
        for (Case c : cases) {
          GenerationConfig config = GenerationConfig.builder().maxNewTokens(c.greedy().length).ignoreEos(true).build();
          running.add(gemma.submit(Prompt.ids(c.prompt()), config, e -> {}).result());
        }
      }
      for (int i = 0; i < running.size(); i++) {
        assertArrayEquals(cases.get(i % cases.size()).greedy(), ids(running.get(i).join()), fixture + " concurrent " + i);
      }
      assertEquals(0, gemma.engineStats().kvCacheGroups().get(0).blocksInUse());
      var memory = gemma.memory();
      assertTrue(memory.totalBytes() > memory.freeBytes() && memory.usedBytes() >= memory.weightBytes() + memory.kvCacheBytes());
    }
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
    "tiny-gemma2, on", "shape-gqa3-hd24, on", "shape-mha-hd32-bf16, on", "tiny-gemma3, on", "shape-gemma3-mm-bf16, on",
    "tiny-gemma2, off", "shape-gqa3-hd24, off", "shape-mha-hd32-bf16, off", "tiny-gemma3, off", "shape-gemma3-mm-bf16, off"})
  void logitsAgreeWithTheCpuBackendAndTheReference(String fixture, String fused) throws IOException {
    Path folder = TestFixtures.path(fixture);
    var env = new java.util.HashMap<>(Emulator.environment(Emulator.home()));
    env.put(NpuFusions.OVERRIDE, fused);
    try (Checkpoint checkpoint = Checkpoint.open(folder);
        Backend npu = new NpuBackendProvider(env).open(BackendOptions.defaults());
        Backend cpu = new CpuBackendProvider().open(BackendOptions.defaults())) {
      DecoderModel<?> onNpu = DecoderModel.load(checkpoint, npu.ops());
      DecoderModel<?> onCpu = DecoderModel.load(checkpoint, cpu.ops());
      int vocab = checkpoint.config().vocabSize();
      for (Case c : cases(fixture)) {
        int[] all = concat(c.prompt(), c.greedy());
        float[] npuLogits = ModelSteps.allLogits(onNpu, ModelSteps.cache(onNpu, all.length), all);
        float[] cpuLogits = ModelSteps.allLogits(onCpu, ModelSteps.cache(onCpu, all.length), all);
        double worst = 0;
        for (int i = 0; i < npuLogits.length; i++) {
          worst = Math.max(worst, Math.abs(npuLogits[i] - cpuLogits[i]));
        }
        assertTrue(worst <= 1e-4, fixture + " (fused " + fused + "): NPU and CPU logits differ by " + worst);
        float[] prefillLast = Arrays.copyOfRange(npuLogits, (c.prompt().length - 1) * vocab, c.prompt().length * vocab);
        for (int i = 0; i < c.prefillLastLogits().length; i++) {
          assertEquals(c.prefillLastLogits()[i], prefillLast[i], 1e-4, fixture + " reference logit " + i);
        }
      }
    }
  }

  @org.junit.jupiter.api.Test
  void awqCheckpointsRunAsFourBitWeightsAndReproduceTheGoldensInFloat32() throws IOException {
    String fixture = "tiny-gemma2-awq";
    List<Case> cases = cases(fixture);
    GemmaOptions float32 = GemmaOptions.builder().backend("npu").precision(Precision.FLOAT32).build();
    try (Gemma gemma = Gemma.open(TestFixtures.path(fixture), float32)) {
      for (Case c : cases) {
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(c.greedy().length).ignoreEos(true).build();
        assertArrayEquals(c.greedy(), ids(gemma.generate(Prompt.ids(c.prompt()), config)), fixture + " float32 (dequantized)");
      }
    }
    try (Checkpoint checkpoint = Checkpoint.open(TestFixtures.path(fixture));
        Backend f32 = Emulator.provider(Emulator.home()).open(BackendOptions.defaults());
        Backend bf16 = Emulator.provider(Emulator.home()).open(new BackendOptions(Precision.BFLOAT16, 0, 0))) {
      DecoderModel<?> exact = DecoderModel.load(checkpoint, f32.ops());
      DecoderModel<?> fourBit = DecoderModel.load(checkpoint, bf16.ops());
      long packed = checkpoint.tensors().values().stream().filter(t -> t.name().endsWith(".qweight")).mapToLong(t -> t.byteLength()).sum();
      assertTrue(bf16.ops().weightBytes() < f32.ops().weightBytes() / 4, "4-bit weights stay 4-bit in bf16 math");
      assertTrue(bf16.ops().weightBytes() >= packed, "the packed weights are all there");
      assertEquals(bf16.ops().weightBytesFor(checkpoint), bf16.ops().weightBytes(), "the memory check knows it beforehand");
      assertEquals(f32.ops().weightBytesFor(checkpoint), f32.ops().weightBytes(), "the memory check knows it beforehand");
      for (Case c : cases) {
        float[] reference = prefillLogits(exact, c.prompt());
        for (int i = 0; i < c.prefillLastLogits().length; i++) {
          assertEquals(c.prefillLastLogits()[i], reference[i], 1e-4, "float32 math: reference logit " + i);
        }
        double drift = maxDifference(prefillLogits(fourBit, c.prompt()), reference);
        assertTrue(drift > 1e-4 && drift < 0.5, "aclnnWeightQuantBatchMatmulV2 in bf16 drifts by " + drift);
      }
    }
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(value = dev.gemma4j.WeightQuantization.class, names = {"INT8", "INT4"})
  void quantizationAtLoadGivesTheCpuBackendsNumbers(dev.gemma4j.WeightQuantization quantize) throws IOException {
    Case first = cases("tiny-gemma2").getFirst();
    try (Checkpoint checkpoint = Checkpoint.open(TestFixtures.path("tiny-gemma2"));
        Backend cpu = new CpuBackendProvider().open(BackendOptions.defaults());
        Backend f32 = Emulator.provider(Emulator.home()).open(BackendOptions.defaults());
        Backend bf16 = Emulator.provider(Emulator.home()).open(new BackendOptions(Precision.BFLOAT16, 0, 0))) {
      DecoderModel<?> onCpu = DecoderModel.load(checkpoint, cpu.ops(), quantize);
      DecoderModel<?> dequantized = DecoderModel.load(checkpoint, f32.ops(), quantize);
      DecoderModel<?> quantized = DecoderModel.load(checkpoint, bf16.ops(), quantize);
      assertEquals(bf16.ops().weightBytesFor(checkpoint, quantize), bf16.ops().weightBytes(), "the memory check knows it beforehand");
      assertTrue(bf16.ops().weightBytes() < checkpoint.storedBytes() / 2, quantize + " weights on the device");
      float[] exact = prefillLogits(dequantized, first.prompt());
      double fromCpu = maxDifference(exact, prefillLogits(onCpu, first.prompt()));
      double drift = maxDifference(exact, prefillLogits(quantized, first.prompt()));
      // The CPU's int8 products also quantize the activations (8 bits per block of 32), the NPU's do not: there
      // the two agree within what that moves (the largest logit difference on this prompt is 0.12), not bit for bit.
      double bound = quantize == dev.gemma4j.WeightQuantization.INT8 ? 0.25 : 1e-4;
      assertTrue(fromCpu <= bound, quantize + ": the NPU quantizes to the CPU backend's numbers (float32 math), off by " + fromCpu);
      assertTrue(drift > 0 && drift < 0.5, quantize + " through aclnnWeightQuantBatchMatmulV2 in bf16 drifts by " + drift);
    }
  }

  @org.junit.jupiter.api.Test
  void bf16IsTheDefaultAndTracksTheCpuBackendsBf16Math() throws IOException {
    Path folder = TestFixtures.path("tiny-gemma2-bf16");
    Case first = cases("tiny-gemma2-bf16").getFirst();
    NpuBackendProvider provider = Emulator.provider(Emulator.home());
    assertEquals(Precision.BFLOAT16, provider.defaultPrecision());
    try (Checkpoint checkpoint = Checkpoint.open(folder);
        Backend npu = provider.open(new BackendOptions(Precision.BFLOAT16, 0, 0));
        Backend cpu = new CpuBackendProvider().open(new BackendOptions(Precision.BFLOAT16, 0, 0))) {
      DecoderModel<?> onNpu = DecoderModel.load(checkpoint, npu.ops());
      DecoderModel<?> onCpu = DecoderModel.load(checkpoint, cpu.ops());
      float[] npuLogits = prefillLogits(onNpu, first.prompt());
      double fromCpu = maxDifference(npuLogits, prefillLogits(onCpu, first.prompt()));
      double fromReference = maxDifference(npuLogits, first.prefillLastLogits());
      // Both round every intermediate result to bf16; they differ only where the order of a sum does.
      assertTrue(fromCpu < BF16_AGREEMENT, "NPU and CPU bf16 logits differ by " + fromCpu);
      assertTrue(fromReference > 1e-3 && fromReference < 0.5, "bf16 drift from the float32 reference " + fromReference);
    }
  }

  /**
   * The bf16 norm choice, measured: aclnnAddRmsNorm's bf16 kernels round twice (x / rms, then the product
   * with a bf16 1 + w), Add + RmsNorm with the float32 1 + w rounds once, as the reference and the CPU's bf16
   * math do. Printed for the README; the default (fused) must be the closer one, as it measured.
   */
  @org.junit.jupiter.api.Test
  void bf16MathTakesTheNormThatMeasuredCloserToTheCpuAndTheReference() throws IOException {
    Path folder = TestFixtures.path("tiny-gemma2-bf16");
    double[] fromCpu = new double[2];
    double[] fromReference = new double[2];
    String[] modes = {"exact", "fused"};
    for (int m = 0; m < 2; m++) {
      var env = new java.util.HashMap<>(Emulator.environment(Emulator.home()));
      env.put(NpuFusions.BF16_NORM, modes[m]);
      try (Checkpoint checkpoint = Checkpoint.open(folder);
          Backend npu = new NpuBackendProvider(env).open(new BackendOptions(Precision.BFLOAT16, 0, 0));
          Backend cpu = new CpuBackendProvider().open(new BackendOptions(Precision.BFLOAT16, 0, 0))) {
        DecoderModel<?> onNpu = DecoderModel.load(checkpoint, npu.ops());
        DecoderModel<?> onCpu = DecoderModel.load(checkpoint, cpu.ops());
        for (Case c : cases("tiny-gemma2-bf16")) {
          float[] npuLogits = prefillLogits(onNpu, c.prompt());
          fromCpu[m] = Math.max(fromCpu[m], maxDifference(npuLogits, prefillLogits(onCpu, c.prompt())));
          fromReference[m] = Math.max(fromReference[m], maxDifference(npuLogits, c.prefillLastLogits()));
        }
      }
    }
    System.out.printf("NPU bf16 norms, largest logit difference over tiny-gemma2-bf16's prompts: exact (Add +"
        + " RmsNorm, float32 1 + w) %.4f from the CPU's bf16 math, %.4f from the float32 reference; fused"
        + " (AddRmsNorm, bf16 1 + w) %.4f and %.4f%n", fromCpu[0], fromReference[0], fromCpu[1], fromReference[1]);
    assertTrue(fromCpu[1] <= fromCpu[0] && fromReference[1] <= fromReference[0],
        "the default (fused) is at least as close to the CPU's bf16 math and to the reference as the exact norm");
    assertTrue(fromCpu[0] < 0.5 && fromCpu[1] < 0.5, "both within bf16 drift: " + fromCpu[0] + ", " + fromCpu[1]);
  }

  /** How far the NPU's and the CPU's bf16 logits may differ on the tiny fixture. */
  static final double BF16_AGREEMENT = 0.1;

  @org.junit.jupiter.api.Test
  void weightsAreConvertedOnceIntoTheActivationDtype() throws IOException {
    Path folder = TestFixtures.path("tiny-gemma2-bf16");
    try (Checkpoint checkpoint = Checkpoint.open(folder)) {
      long norms = checkpoint.tensors().values().stream().filter(t -> t.name().endsWith("norm.weight")).mapToLong(t -> t.elementCount()).sum();
      long matrices = checkpoint.tensors().values().stream().filter(t -> !t.name().endsWith("norm.weight")).mapToLong(t -> t.elementCount()).sum();
      for (Precision precision : Precision.values()) {
        try (Backend npu = Emulator.provider(Emulator.home()).open(new BackendOptions(precision, 0, 0))) {
          DecoderModel.load(checkpoint, npu.ops());
          // bf16 keeps a bf16 copy of each 1 + w for aclnnAddRmsNorm beside the float32 one
          long expected = matrices * (precision == Precision.BFLOAT16 ? 2 : 4) + norms * (precision == Precision.BFLOAT16 ? 6 : 4);
          assertEquals(expected, npu.ops().weightBytes(), precision + ": matrices in the activation dtype, norms in float32");
          assertEquals(expected, npu.ops().weightBytesFor(checkpoint), precision + ": the memory check knows it beforehand");
        }
      }
    }
  }

  /** The last prompt row's logits after a prefill from position 0. */
  static float[] prefillLogits(DecoderModel<?> model, int[] prompt) {
    return ModelSteps.lastLogits(model, ModelSteps.cache(model, prompt.length), prompt, 0, ModelSteps.identity(prompt.length));
  }

  static double maxDifference(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }

  static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
