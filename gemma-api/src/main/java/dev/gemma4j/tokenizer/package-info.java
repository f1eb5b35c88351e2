/** The Gemma tokenizer (DJL's Hugging Face tokenizers), streaming detokenization and the chat template. */
@NullMarked
package dev.gemma4j.tokenizer;

import org.jspecify.annotations.NullMarked;
