package dev.gemma4j.internal.engine;

import dev.gemma4j.FinishReason;
import dev.gemma4j.GemmaException;
import dev.gemma4j.TopLogits;
import dev.gemma4j.internal.grammar.GrammarMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * The output step: turns a step's result into tokens. For each chunk that samples it takes the device's
 * greedy id or runs the request's sampler over the logits (recording top logits when asked), appends the
 * token, streams its text and checks the stop conditions. Whatever goes wrong with one request (logits
 * that are not finite, a sampler that throws or answers an id outside the vocabulary) fails that request
 * only.
 */
final class OutputProcessor {

  /** What the step did to a request that will not run again. */
  sealed interface Ended {
    Request request();
  }

  /** A request that reached a stop condition. */
  record Finished(Request request, FinishReason reason) implements Ended {}

  /** A request that failed. */
  record Failed(Request request, GemmaException error) implements Ended {}

  private final int vocabSize;

  OutputProcessor(int vocabSize) {
    this.vocabSize = vocabSize;
  }

  /** Processes a step's output; returns the requests that ended in it. */
  List<Ended> process(StepPlan plan, ModelRunner.StepOutput output) {
    List<Ended> ended = new ArrayList<>();
    for (int i = 0; i < plan.chunks().size(); i++) {
      ScheduledChunk chunk = plan.chunks().get(i);
      if (!chunk.samples()) {
        continue;
      }
      Request request = plan.requests().get(i);
      try {
        FinishReason reason = request.accept(choose(request, output, i));
        if (reason != null) {
          ended.add(new Finished(request, reason));
        }
      } catch (GemmaException e) {
        ended.add(new Failed(request, e));
      } catch (RuntimeException e) {
        // A fault in choosing one request's token (its format, its log probabilities) fails that request,
        // not the engine and the requests batched with it.
        ended.add(new Failed(request, new GemmaException(
            "choosing the next token of this request failed (" + e + "); the request failed, the engine goes on", e)));
      }
    }
    return ended;
  }

  private int choose(Request request, ModelRunner.StepOutput output, int chunk) {
    float[] logits = output.logits(chunk);
    if (logits == null) {
      int id = output.greedyId(chunk);
      if (id < 0) {
        throw nonFinite(request);
      }
      TopLogits top = output.topLogits(chunk);
      if (top != null) {
        request.recordTopLogits(top);
      }
      return id;
    }
    for (float l : logits) {
      if (!Float.isFinite(l)) {
        throw nonFinite(request);
      }
    }
    request.recordTopLogits(logits);
    if (request.generated() < request.config().minNewTokens()) {
      logits = logits.clone(); // the stop ids cannot be chosen yet (vLLM's min_tokens)
      maskStopIds(request, logits);
    }
    GrammarMatcher grammar = request.grammar();
    int id = grammar == null ? sample(request, request.config().logprobs() >= 0 ? logits.clone() : logits)
        : chooseUnderGrammar(request, grammar, logits);
    if (id < 0 || id >= vocabSize) {
      if (request.config().sampler() == null) {
        throw new GemmaException(
            "sampling found no token to choose (token id " + id + "): the temperature, penalty and filters of this"
                + " request left no finite probability; the request failed");
      }
      throw new GemmaException(
          "the custom Sampler of this request chose token id " + id + ", outside the vocabulary [0, " + vocabSize
              + "); a Sampler must return an index into the logits it was given");
    }
    if (grammar != null) {
      grammar.accept(id);
    }
    request.recordLogprobs(output.logits(chunk), id);
    return id;
  }

  /**
   * Chooses a token the grammar allows. When the allowed tokens are few and known, the sampler draws among
   * them alone (the masked distribution, over a short row); otherwise it draws from the whole row first and
   * the mask is applied only when the grammar refuses the draw (llama.cpp's order: the same distribution,
   * and a model that follows the format rarely needs the mask). {@code logits} has the stop ids masked
   * already while the request is below its minimum length; the grammar's mask keeps them so.
   */
  private int chooseUnderGrammar(Request request, GrammarMatcher grammar, float[] logits) {
    // A penalty or a sampler of the caller's reads token ids: those need the whole row.
    boolean compact = request.config().sampler() == null && request.config().repetitionPenalty() == 1.0;
    int[] few = compact ? grammar.fewAllowed(false) : null;
    if (few != null) {
      return sampleAmong(request, logits, few);
    }
    int id = sample(request, logits.clone());
    if (id >= 0 && id < vocabSize && grammar.allows(id)) {
      return id;
    }
    few = compact ? grammar.fewAllowed(true) : null;
    if (few != null) {
      return sampleAmong(request, logits, few);
    }
    float[] masked = logits.clone();
    int allowed = grammar.mask(masked);
    if (allowed == 0) {
      throw nothingAllowed(request);
    }
    id = sample(request, masked);
    if (id >= 0 && id < vocabSize && !grammar.allows(id)) {
      throw new GemmaException("the custom Sampler of this request chose token id " + id + ", which its response"
          + " format does not allow: a Sampler must choose among the finite logits it is given");
    }
    return id;
  }

  /** Draws among {@code candidates} only: the sampler sees their logits as a short row. */
  private int sampleAmong(Request request, float[] logits, int[] candidates) {
    float[] row = new float[candidates.length];
    int usable = 0;
    for (int i = 0; i < candidates.length; i++) {
      row[i] = candidates[i] < logits.length ? logits[candidates[i]] : Float.NEGATIVE_INFINITY;
      usable += row[i] == Float.NEGATIVE_INFINITY ? 0 : 1;
    }
    if (usable == 0) {
      throw nothingAllowed(request);
    }
    int k = sample(request, row);
    return k >= 0 && k < candidates.length ? candidates[k] : -1;
  }

  private static GemmaException nothingAllowed(Request request) {
    return new GemmaException("the response format allows no token at this point of the output (generated token "
        + request.generated() + "); the request failed. The format may need characters this vocabulary can only"
        + " spell with byte pieces, which a constrained output does not use");
  }

  private static void maskStopIds(Request request, float[] logits) {
    for (int stop : request.stopIds()) {
      if (stop >= 0 && stop < logits.length) {
        logits[stop] = Float.NEGATIVE_INFINITY;
      }
    }
  }

  private static int sample(Request request, float[] logits) {
    try {
      return request.sampler().sample(logits, request);
    } catch (RuntimeException e) {
      throw new GemmaException("the sampler of this request threw " + e + "; the request failed", e);
    }
  }

  private static GemmaException nonFinite(Request request) {
    return new GemmaException(
        "the model computed NaN or infinite logits for generated token " + request.generated() + " of this"
            + " request, so no token can be chosen. Likely causes: weights that hold NaN or infinite values"
            + " (a corrupt or badly converted checkpoint: download or convert it again), or a config.json"
            + " value that breaks the arithmetic (rms_norm_eps, the soft-caps); float16 weights that"
            + " overflow can also cause it");
  }
}
