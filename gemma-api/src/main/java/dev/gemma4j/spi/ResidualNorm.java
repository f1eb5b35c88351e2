package dev.gemma4j.spi;

/**
 * The residual stream after an addition and its normalized copy, as {@link TensorOps#addRmsNorm} returns
 * them.
 *
 * @param sum {@code h + y}
 * @param normed {@code rmsNorm(h + y)}
 * @param <T> the backend's tensor type
 */
public record ResidualNorm<T>(T sum, T normed) {}
