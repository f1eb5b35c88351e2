package dev.gemma4j;

import java.util.List;

/**
 * The log probability of one generated token under the model's distribution (the log-softmax of its logits
 * after final soft-capping, before temperature and filters, as vLLM reports by default), and the most likely
 * tokens of that step with theirs.
 *
 * @param id the generated token
 * @param logprob its log probability
 * @param topIds the most likely tokens of the step, best first ({@link GenerationConfig#logprobs()} of them)
 * @param topLogprobs their log probabilities
 */
public record TokenLogprobs(int id, float logprob, List<Integer> topIds, List<Float> topLogprobs) {
  /** Copies the lists. */
  public TokenLogprobs {
    topIds = List.copyOf(topIds);
    topLogprobs = List.copyOf(topLogprobs);
    if (topIds.size() != topLogprobs.size()) {
      throw new IllegalArgumentException("topIds and topLogprobs differ in length");
    }
  }

  /** The log probabilities of {@code id} and of the {@code k} most likely tokens in a row of logits. */
  public static TokenLogprobs of(float[] logits, int id, int k) {
    float max = Float.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    float logSum = (float) (max + Math.log(sum));
    TopLogits top = TopLogits.of(logits, k);
    List<Float> topLogprobs = top.logits().stream().map(l -> l - logSum).toList();
    return new TokenLogprobs(id, logits[id] - logSum, top.ids(), topLogprobs);
  }
}
