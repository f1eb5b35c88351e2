package dev.gemma4j.spi;

/**
 * The embedding matrix, which Gemma 2 also uses as its output head.
 *
 * @param <T> the backend's tensor type
 */
public interface EmbeddingTable<T> {
  /** Rows {@code ids} of the matrix: {@code [ids.length, hidden]}. */
  T lookup(int[] ids);

  /** {@code hidden · embeddingᵀ}: {@code [rows, vocab]} logits. */
  T project(T hidden);
}
