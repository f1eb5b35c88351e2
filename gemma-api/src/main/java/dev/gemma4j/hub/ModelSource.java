package dev.gemma4j.hub;

/** Where model ids are downloaded from. */
public enum ModelSource {
  /** The Hugging Face hub, or the mirror {@code HF_ENDPOINT} names. */
  HUGGING_FACE,
  /** ModelScope ({@code GEMMA_MODEL_SOURCE=modelscope} or {@code VLLM_USE_MODELSCOPE=true}). */
  MODELSCOPE
}
