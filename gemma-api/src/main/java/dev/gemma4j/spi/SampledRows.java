package dev.gemma4j.spi;

import dev.gemma4j.TopLogits;
import org.jspecify.annotations.Nullable;

/**
 * What {@link TensorOps#sampleRows} drew: one token per row (-1 where the row's logits are not finite), and
 * the highest logits of the rows whose draw asked for them.
 *
 * @param ids one token per row
 * @param topLogits per row, its highest logits, or {@code null} where not asked for
 */
public record SampledRows(int[] ids, @Nullable TopLogits[] topLogits) {}
