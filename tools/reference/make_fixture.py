"""Writes a random-weight Gemma 2 or Gemma 3 checkpoint of a given shape with goldens from gemma2_numpy.py.

The shipped fixtures (HF transformers goldens) fix one shape each; these extra fixtures cover shapes the
SDK has never seen: head_dim unequal to hidden_size / num_attention_heads, other head groupings, windows,
caps, the published (old) config format, bf16 storage, shards. The NumPy port they come from reproduces
the HF goldens of every shipped fixture to 1e-5 (run `python3 gemma2_numpy.py check ...`).

    python3 make_fixture.py shape-gqa3-hd24 ../../test-fixtures/shape-gqa3-hd24
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

import gemma2_numpy as ref

SHAPES = {
    # Old (published) config format: no layer_types (even layers slide), rope_theta at the top level.
    "shape-gqa3-hd24": dict(
        config=dict(vocab_size=300, hidden_size=48, intermediate_size=80, num_hidden_layers=3,
                    num_attention_heads=6, num_key_value_heads=2, head_dim=24, query_pre_attn_scalar=32,
                    sliding_window=5, attn_logit_softcapping=20.0, final_logit_softcapping=15.0,
                    rope_theta=500.0, torch_dtype="float32", max_position_embeddings=128),
        dtype="F32", shards=1, seed=11, prompts=[[2, 17, 250, 3, 99, 44, 120], [2, 5], [2] + list(range(30, 52))],
        new_tokens=16),
    # New format, explicit non-alternating layer_types, multi-head (no grouping), no soft-capping,
    # bf16 weights in two shards.
    "shape-mha-hd32-bf16": dict(
        config=dict(vocab_size=200, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                    num_attention_heads=2, num_key_value_heads=2, head_dim=32, query_pre_attn_scalar=16,
                    sliding_window=3, attn_logit_softcapping=None, final_logit_softcapping=None,
                    rope_parameters=dict(rope_theta=10000.0, rope_type="default"),
                    layer_types=["full_attention", "sliding_attention", "full_attention"],
                    dtype="bfloat16", max_position_embeddings=64),
        dtype="BF16", shards=2, seed=12, prompts=[[2, 7, 8, 9, 10], [2, 150, 3, 77, 77, 77, 12, 5, 6]],
        new_tokens=12),
    # Gemma 3 as the published multimodal checkpoints (gemma-3-4b-it and up) are: model_type "gemma3" with the
    # text model in a sparse text_config (transformers' defaults fill the rest), old-format RoPE keys
    # (rope_theta, rope_local_base_freq, rope_scaling linear factor 8), sliding_window_pattern instead of
    # layer_types, eos ids at the top level, the weights under language_model.model. beside a vision tower
    # that is not loaded; GQA 4/2, head_dim 32 with query_pre_attn_scalar 40, a final soft-cap, bf16 in two shards.
    "shape-gemma3-mm-bf16": dict(
        config=dict(architectures=["Gemma3ForConditionalGeneration"], model_type="gemma3", torch_dtype="bfloat16",
                    eos_token_id=[1, 106], bos_token_id=2, pad_token_id=0, image_token_index=262144,
                    text_config=dict(model_type="gemma3_text", vocab_size=320, hidden_size=64, intermediate_size=96,
                                     num_hidden_layers=7, num_attention_heads=4, num_key_value_heads=2, head_dim=32,
                                     query_pre_attn_scalar=40, sliding_window=5, sliding_window_pattern=3,
                                     rope_theta=1000000.0, rope_local_base_freq=10000.0,
                                     rope_scaling=dict(factor=8.0, rope_type="linear"),
                                     final_logit_softcapping=30.0, max_position_embeddings=128),
                    vision_config=dict(model_type="siglip_vision_model", hidden_size=8)),
        prefix="language_model.model.", extra={"vision_tower.vision_model.post_layernorm.weight": (8,),
                                                 "multi_modal_projector.mm_input_projection_weight": (8, 64)},
        dtype="BF16", shards=2, seed=13, prompts=[[2, 9, 300, 41, 7], [2] + list(range(100, 121)), [2, 106, 3]],
        new_tokens=14),
}


def config_json(shape):
    if shape["config"].get("model_type") == "gemma3":
        return dict(shape["config"])
    c = dict(architectures=["Gemma2ForCausalLM"], model_type="gemma2", attention_bias=False,
             hidden_activation="gelu_pytorch_tanh", rms_norm_eps=1e-6, bos_token_id=2, eos_token_id=1,
             pad_token_id=0, tie_word_embeddings=True)
    c.update(shape["config"])
    return c


def random_weights(cfg, rng, pre="model.", extra=None):
    h, q, kv, inter = cfg.hidden, cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim, None
    w = {pre + "embed_tokens.weight": rng.normal(0, 0.08, (cfg.vocab, h)), pre + "norm.weight": rng.normal(0, 0.3, h)}
    w.update({name: rng.normal(0, 0.3, shape) for name, shape in (extra or {}).items()})
    for i in range(cfg.layers):
        p = f"{pre}layers.{i}."
        if cfg.gemma3:
            w[p + "self_attn.q_norm.weight"] = rng.normal(0, 0.3, cfg.head_dim)
            w[p + "self_attn.k_norm.weight"] = rng.normal(0, 0.3, cfg.head_dim)
        inter = cfg.intermediate
        w.update({
            p + "input_layernorm.weight": rng.normal(0, 0.3, h),
            p + "post_attention_layernorm.weight": rng.normal(0, 0.3, h),
            p + "pre_feedforward_layernorm.weight": rng.normal(0, 0.3, h),
            p + "post_feedforward_layernorm.weight": rng.normal(0, 0.3, h),
            p + "self_attn.q_proj.weight": rng.normal(0, 0.3, (q, h)),
            p + "self_attn.k_proj.weight": rng.normal(0, 0.3, (kv, h)),
            p + "self_attn.v_proj.weight": rng.normal(0, 0.3, (kv, h)),
            p + "self_attn.o_proj.weight": rng.normal(0, 0.3, (h, q)),
            p + "mlp.gate_proj.weight": rng.normal(0, 0.3, (inter, h)),
            p + "mlp.up_proj.weight": rng.normal(0, 0.3, (inter, h)),
            p + "mlp.down_proj.weight": rng.normal(0, 0.3, (h, inter)),
        })
    return {k: v.astype(np.float32) for k, v in w.items()}


def encode(array, dtype):
    if dtype == "F32":
        return array.astype("<f4").tobytes(), array
    bits = ref.to_bf16(array).view(np.uint32) >> 16
    return bits.astype("<u2").tobytes(), ref.to_bf16(array)


def write_safetensors(path, tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data, _ = encode(tensors[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def main(name, out):
    shape = SHAPES[name]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg_json = config_json(shape)
    cfg = ref.Config(cfg_json)
    cfg.intermediate = cfg_json.get("text_config", cfg_json)["intermediate_size"]
    weights = random_weights(cfg, np.random.default_rng(shape["seed"]), shape.get("prefix", "model."), shape.get("extra"))
    stored = {k: encode(v, shape["dtype"])[1] for k, v in weights.items()}
    (out / "config.json").write_text(json.dumps(cfg_json, indent=2) + "\n")
    names = sorted(weights)
    if shape["shards"] == 1:
        write_safetensors(out / "model.safetensors", weights, shape["dtype"])
    else:
        n = shape["shards"]
        weight_map = {}
        for s in range(n):
            file = f"model-{s + 1:05d}-of-{n:05d}.safetensors"
            part = {k: weights[k] for k in names[s::n]}
            write_safetensors(out / file, part, shape["dtype"])
            weight_map.update({k: file for k in part})
        (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}, indent=2) + "\n")
    cases = [ref.golden_case(cfg, stored, p, shape["new_tokens"]) for p in shape["prompts"]]
    golden = {"model": name, "dtype": shape["dtype"],
              "reference": "tools/reference/gemma2_numpy.py (NumPy port of HF transformers' Gemma 2 and Gemma 3, float32"
                           " math; checked against the HF goldens of tiny-gemma2, tiny-gemma2-bf16 and tiny-gemma2-tok"
                           " and the goldens of tiny-gemma3); not HF itself: re-check with transformers where at hand",
              "seed": shape["seed"], "cases": cases}
    (out / "golden.json").write_text(json.dumps(golden) + "\n")
    print(f"wrote {out}: {len(cases)} cases")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
