package dev.gemma4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gemma4j.internal.vector.RowMath;
import dev.gemma4j.internal.vector.ScalarRowMath;
import dev.gemma4j.internal.vector.VectorRowMath;
import dev.gemma4j.internal.vector.VectorSupport;
import dev.gemma4j.spi.Sampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused sampler draws from exactly the distribution the parameters define: the definition is
 * {@link LogitsProcessors} in Hugging Face's order followed by {@link RandomSampler}'s softmax and draw.
 * Checked on rows shaped like real logits, flat ones (the bundled random model), rows full of ties and
 * rows of 256000, for the scalar path and the vector path.
 */
class FusedSamplerTest {

  record Params(double penalty, double temperature, int topK, double topP, double minP) {
    List<LogitsProcessor> definition() {
      List<LogitsProcessor> p = new ArrayList<>();
      if (penalty != 1) {
        p.add(LogitsProcessors.repetitionPenalty(penalty));
      }
      if (temperature != 1) {
        p.add(LogitsProcessors.temperature(temperature));
      }
      if (topK > 0) {
        p.add(LogitsProcessors.topK(topK));
      }
      if (topP < 1) {
        p.add(LogitsProcessors.topP(topP));
      }
      if (minP > 0) {
        p.add(LogitsProcessors.minP(minP));
      }
      return p;
    }
  }

  static final List<Params> PARAMS =
      List.of(
          new Params(1, 1, 0, 1, 0),
          new Params(1, 0.7, 0, 0.9, 0),
          new Params(1, 0.7, 50, 1, 0),
          new Params(1, 1.3, 40, 0.8, 0.05),
          new Params(1.2, 0.8, 0, 0.95, 0.02),
          new Params(1, 0.5, 1, 0.5, 0),
          new Params(1, 2.0, 1000, 0.3, 0.1));

  static final Sampler.TokenHistory HISTORY =
      new Sampler.TokenHistory() {
        @Override
        public int size() {
          return 6;
        }

        @Override
        public int get(int i) {
          return new int[] {2, 17, 5, 17, 300, 9}[i];
        }
      };

  static List<RowMath> implementations() {
    List<RowMath> all = new ArrayList<>(List.of(new ScalarRowMath()));
    if (VectorSupport.enabled()) {
      all.add(new VectorRowMath());
    }
    return all;
  }

  static float[] row(String shape, int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = switch (shape) {
        case "peaked" -> (float) (r.nextGaussian() * 3 - (i % 97 == 0 ? 0 : 4));
        case "flat" -> (float) (r.nextGaussian() * 0.3);
        case "ties" -> (float) r.nextInt(6);
        default -> throw new IllegalArgumentException(shape);
      };
    }
    return x;
  }

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (RowMath math : implementations()) {
      for (String shape : List.of("peaked", "flat", "ties")) {
        for (int p = 0; p < PARAMS.size(); p++) {
          all.add(Arguments.of(math.getClass().getSimpleName(), shape, p));
        }
      }
    }
    return all.stream();
  }

  static RowMath math(String name) {
    return implementations().stream().filter(m -> m.getClass().getSimpleName().equals(name)).findFirst().orElseThrow();
  }

  static double[] definitionProbabilities(float[] logits, Params p) {
    float[] x = logits.clone();
    p.definition().forEach(proc -> proc.process(x, HISTORY));
    return Softmax.of(x);
  }

  @ParameterizedTest(name = "{0} {1} params {2}")
  @MethodSource("cases")
  void keepsExactlyTheTokensTheDefinitionKeeps(String mathName, String shape, int paramIndex) {
    Params p = PARAMS.get(paramIndex);
    for (int n : new int[] {1000, 256000}) {
      float[] logits = row(shape, n, n * 31L + paramIndex);
      double[] expected = definitionProbabilities(logits, p);
      FusedSampler fused = new FusedSampler(p.penalty(), p.temperature(), p.topK(), p.topP(), p.minP(), 1, math(mathName));
      fused.weigh(logits.clone(), HISTORY);
      for (int token : tokensToCheck(expected, n)) {
        if ((expected[token] > 0) != fused.kept(token)) {
          throw new AssertionError(shape + " n=" + n + " " + p + ": token " + token + " kept by the definition: "
              + (expected[token] > 0) + ", by the fused sampler: " + fused.kept(token) + " (p=" + expected[token] + ")");
        }
      }
    }
  }

  /** Every token of a small row; of a large one the 400 around the edge of the kept set and 400 others. */
  static int[] tokensToCheck(double[] expected, int n) {
    if (n <= 2000) {
      return IntStream.range(0, n).toArray();
    }
    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    Arrays.sort(order, (a, b) -> expected[a] != expected[b] ? Double.compare(expected[b], expected[a]) : Integer.compare(a, b));
    int keptCount = (int) Arrays.stream(expected).filter(v -> v > 0).count();
    IntStream edge = IntStream.range(Math.max(0, keptCount - 200), Math.min(n, keptCount + 200)).map(i -> order[i]);
    IntStream others = new Random(n).ints(400, 0, n);
    return IntStream.concat(edge, others).toArray();
  }

  @ParameterizedTest(name = "{0} {1} params {2}")
  @MethodSource("cases")
  void seededDrawsAreTheDefinitionsDraws(String mathName, String shape, int paramIndex) {
    Params p = PARAMS.get(paramIndex);
    if (p.topP() < 1) {
      return; // top-p draws by rejection (see FusedSampler): same distribution, other random numbers
    }
    float[] logits = row(shape, 2000, 7L + paramIndex);
    RandomSampler definition = new RandomSampler(p.definition(), 42);
    FusedSampler fused = new FusedSampler(p.penalty(), p.temperature(), p.topK(), p.topP(), p.minP(), 42, math(mathName));
    int differ = 0;
    for (int draw = 0; draw < 2000; draw++) {
      if (definition.sample(logits.clone(), HISTORY) != fused.sample(logits.clone(), HISTORY)) {
        differ++;
      }
    }
    // The same seed gives the same uniform numbers; only a number within float rounding of a boundary
    // between two tokens could go the other way.
    assertTrue(differ <= 1, differ + " of 2000 seeded draws differ from the definition's");
  }

  @ParameterizedTest(name = "{0} {1} params {2}")
  @MethodSource("cases")
  void drawFrequenciesFollowTheProbabilities(String mathName, String shape, int paramIndex) {
    Params p = PARAMS.get(paramIndex);
    float[] logits = row(shape, 300, 99L + paramIndex);
    double[] expected = definitionProbabilities(logits, p);
    FusedSampler fused = new FusedSampler(p.penalty(), p.temperature(), p.topK(), p.topP(), p.minP(), 5, math(mathName));
    int draws = 20000;
    int[] counts = new int[logits.length];
    for (int d = 0; d < draws; d++) {
      counts[fused.sample(logits.clone(), HISTORY)]++;
    }
    double chi2 = 0;
    int categories = 0;
    for (int i = 0; i < counts.length; i++) {
      if (expected[i] == 0) {
        assertEquals(0, counts[i], "token " + i + " is excluded but was drawn");
        continue;
      }
      double e = expected[i] * draws;
      chi2 += (counts[i] - e) * (counts[i] - e) / e;
      categories++;
    }
    // Far beyond the 99.9th percentile of chi-square with (categories - 1) degrees of freedom.
    double limit = categories - 1 + 6 * Math.sqrt(2.0 * Math.max(1, categories - 1)) + 10;
    assertTrue(chi2 < limit, "chi-square " + chi2 + " over " + categories + " tokens (limit " + limit + ")");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("implementationNames")
  void theKthLargestIsFoundInOnePass(String mathName) {
    RowMath math = math(mathName);
    Random r = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + r.nextInt(3000);
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = trial % 3 == 0 ? r.nextInt(5) - 2 : (float) r.nextGaussian();
      }
      float[] sorted = x.clone();
      Arrays.sort(sorted);
      int k = 1 + r.nextInt(n);
      assertEquals(sorted[n - k], math.kthLargest(x, n, k), "k=" + k);
    }
  }

  static Stream<String> implementationNames() {
    return implementations().stream().map(m -> m.getClass().getSimpleName());
  }
}
