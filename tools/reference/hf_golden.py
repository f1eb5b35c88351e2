"""Golden numbers from Hugging Face transformers itself (float32 math, eager attention, CPU) for a fixture.

    python3 hf_golden.py ../../test-fixtures/tiny-gemma3            # compares with the fixture's golden.json
    python3 hf_golden.py ../../test-fixtures/tiny-gemma3 --write    # rewrites golden.json from transformers

Needs torch, transformers and safetensors (tools/reference/requirements.txt). Gemma 2 checkpoints load as
Gemma2ForCausalLM, Gemma 3 text ones as Gemma3ForCausalLM; a Gemma3ForConditionalGeneration checkpoint's
language model is loaded into Gemma3ForCausalLM from its text_config and its language_model weights (the
vision tower plays no part in text generation). Weights stored in bf16 are widened to float32, as
`torch_dtype=torch.float32` does: the reference's math is float32 over the stored values.
"""
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

import gemma2_numpy
from transformers import Gemma2Config, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3TextConfig

PREFIXES = ("language_model.model.", "model.language_model.")


def load(folder):
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    weights = {}
    for file in sorted(folder.glob("*.safetensors")):
        weights.update(load_file(str(file)))
    stored_dtype = config.get("dtype", config.get("torch_dtype", "float32"))
    if config["model_type"] == "gemma2":
        model = Gemma2ForCausalLM(Gemma2Config(**config))
    else:
        text = dict(config.get("text_config", config))
        for key in ("eos_token_id", "bos_token_id", "pad_token_id"):
            if key in config and key not in text:
                text[key] = config[key]
        text.pop("model_type", None)
        model = Gemma3ForCausalLM(Gemma3TextConfig(**text))
        renamed = {}
        for name, tensor in weights.items():
            for prefix in PREFIXES:
                if name.startswith(prefix):
                    name = "model." + name[len(prefix):]
            if name.startswith("model."):
                renamed[name] = tensor
        weights = renamed
    model.config._attn_implementation = "eager"
    # The reference casts RoPE's inverse frequencies and the embedding scale with the model: load in the
    # stored dtype first (buffers rounded as transformers rounds them), then run in float32.
    if stored_dtype in ("bfloat16", "float16"):
        model = model.to(getattr(torch, stored_dtype))
    model = model.to(torch.float32)
    missing, unexpected = model.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False)
    missing = [m for m in missing if m != "lm_head.weight"]
    assert not missing and not unexpected, (missing, unexpected)
    model.tie_weights()
    return model.eval(), config


@torch.no_grad()
def logits(model, ids):
    return model(torch.tensor([ids]), use_cache=False).logits[0].float()


def golden_case(model, input_ids, new_tokens):
    return gemma2_numpy.golden_case_of(lambda ids: logits(model, ids).numpy(), input_ids, new_tokens)


def main(folder, write):
    folder = Path(folder)
    model, _ = load(folder)
    golden = json.loads((folder / "golden.json").read_text())
    cases = [golden_case(model, c["input_ids"], len(c["greedy_new_ids"])) for c in golden["cases"]]
    worst, ids_equal = 0.0, True
    for ours, theirs in zip(cases, golden["cases"]):
        ids_equal &= ours["greedy_new_ids"] == theirs["greedy_new_ids"]
        for key in ("prefill_last_logits", "full_sequence_last_logits"):
            worst = max(worst, max(abs(a - b) for a, b in zip(ours[key], theirs[key])))
    print(f"{folder.name}: greedy ids {'equal' if ids_equal else 'DIFFER'}, max |logit difference| {worst:.2e}"
          f" (transformers {__import__('transformers').__version__}, torch {torch.__version__})")
    if write:
        golden["cases"] = cases
        golden["reference"] = (f"HF transformers {__import__('transformers').__version__} (torch {torch.__version__},"
                               " eager attention, float32 math on CPU) via tools/reference/hf_golden.py")
        (folder / "golden.json").write_text(json.dumps(golden) + "\n")
        print(f"wrote {folder / 'golden.json'}")


if __name__ == "__main__":
    main(sys.argv[1], "--write" in sys.argv[2:])
