package dev.gemma4j.internal.engine;

import dev.gemma4j.FinishReason;
import dev.gemma4j.GemmaException;
import dev.gemma4j.TopLogits;
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
      for (int stop : request.stopIds()) {
        if (stop >= 0 && stop < logits.length) {
          logits[stop] = Float.NEGATIVE_INFINITY;
        }
      }
    }
    int id;
    try {
      id = request.sampler().sample(logits, request);
    } catch (RuntimeException e) {
      throw new GemmaException("the sampler of this request threw " + e + "; the request failed", e);
    }
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
    return id;
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
