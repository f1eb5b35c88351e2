"""A float32 NumPy port of Hugging Face transformers' Gemma 2 and Gemma 3 (text) forward passes (eager attention).

It exists to produce golden numbers for shapes that the shipped fixtures do not cover. It is checked
against the reference goldens of every shipped fixture before it is trusted (HF transformers 5.17.0 for
the Gemma 2 ones; tiny-gemma3's come from another NumPy port that llama.cpp's Gemma 3 reproduces):
`python3 gemma2_numpy.py check ../../test-fixtures/tiny-gemma2 ../../test-fixtures/tiny-gemma3`.

Gemma 3 differs from Gemma 2 in: q_norm and k_norm (RMSNorm over each head, 1 + w) before RoPE; a RoPE per
layer type (sliding: rope_local_base_freq, full: rope_theta with linear scaling, inverse frequencies divided
by the factor); no attention soft-cap (transformers' Gemma3Attention passes none); `text_config` and the
`language_model` weight prefix in Gemma3ForConditionalGeneration checkpoints.
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np

F32 = np.float32


def load_tensors(folder):
    folder = Path(folder)
    index = folder / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.exists() else ["model.safetensors"]
    out = {}
    for name in files:
        raw = (folder / name).read_bytes()
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        base = 8 + n
        for key, v in header.items():
            if key == "__metadata__":
                continue
            s, e = v["data_offsets"]
            data = raw[base + s:base + e]
            if v["dtype"] == "F32":
                arr = np.frombuffer(data, dtype="<f4")
            elif v["dtype"] == "BF16":
                arr = (np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
            elif v["dtype"] == "F16":
                arr = np.frombuffer(data, dtype="<f2").astype(F32)
            elif v["dtype"] == "I32":
                out[key] = np.frombuffer(data, dtype="<i4").reshape(v["shape"])
                continue
            else:
                raise ValueError(v["dtype"])
            out[key] = arr.reshape(v["shape"]).astype(F32)
    return dequantize_awq(out)


AWQ_REVERSE_ORDER = [0, 4, 1, 5, 2, 6, 3, 7]


def unpack_awq(packed):
    """int32 [rows, cols/8] -> int [rows, cols]: AutoAWQ's gemm packing (nibble k holds column 0,2,4,6,1,3,5,7[k])."""
    nibbles = (packed[:, :, None].astype(np.int64) >> np.arange(0, 32, 4)[None, None, :]) & 0xF
    return nibbles[:, :, AWQ_REVERSE_ORDER].reshape(packed.shape[0], -1)


def dequantize_awq(tensors):
    """Replaces every AWQ layer (qweight, qzeros, scales) by its float32 weight [out, in] = ((q - z) * s)^T."""
    for key in [k for k in tensors if k.endswith(".qweight")]:
        layer = key[: -len(".qweight")]
        q = unpack_awq(tensors.pop(key))
        z = unpack_awq(tensors.pop(layer + ".qzeros"))
        s = tensors.pop(layer + ".scales").astype(F32)
        group = q.shape[0] // z.shape[0]
        w = ((q - np.repeat(z, group, axis=0)).astype(F32) * np.repeat(s, group, axis=0)).astype(F32)
        tensors[layer + ".weight"] = np.ascontiguousarray(w.T)
    return tensors


class Config:
    def __init__(self, top):
        self.gemma3 = top.get("model_type") in ("gemma3", "gemma3_text")
        d = top.get("text_config", top) if top.get("model_type") == "gemma3" else top
        defaults = dict(vocab_size=262208, hidden_size=2304, num_hidden_layers=26, num_attention_heads=8,
                        num_key_value_heads=4, head_dim=256) if self.gemma3 else {}
        get = lambda key, fallback=None: d.get(key, defaults.get(key, fallback))
        self.vocab = get("vocab_size")
        self.hidden = get("hidden_size")
        self.layers = get("num_hidden_layers")
        self.heads = get("num_attention_heads")
        self.kv_heads = get("num_key_value_heads", self.heads)
        self.head_dim = get("head_dim", self.hidden // self.heads)
        self.eps = d.get("rms_norm_eps", 1e-6)
        rp = d.get("rope_parameters") or {}
        if self.gemma3:
            if "full_attention" in rp:
                full, local = rp["full_attention"], rp["sliding_attention"]
                self.theta = {True: local.get("rope_theta", 10000.0), False: full.get("rope_theta", 1e6)}
                self.factor = {True: local.get("factor", 1.0), False: full.get("factor", 1.0)}
            else:
                scaling = d.get("rope_scaling") or {}
                self.theta = {True: d.get("rope_local_base_freq", 10000.0), False: d.get("rope_theta", 1e6)}
                self.factor = {True: 1.0, False: scaling.get("factor", 1.0)}
        else:
            theta = rp.get("rope_theta", d.get("rope_theta", 10000.0))
            self.theta = {True: theta, False: theta}
            self.factor = {True: 1.0, False: 1.0}
        self.qpas = d.get("query_pre_attn_scalar", 256)
        self.attn_cap = 0 if self.gemma3 else (d.get("attn_logit_softcapping") or 0)
        self.final_cap = d.get("final_logit_softcapping") or 0
        self.window = d.get("sliding_window", 4096)
        lt = d.get("layer_types")
        pattern = d.get("sliding_window_pattern", 6)
        if lt:
            self.sliding = [t == "sliding_attention" for t in lt]
        elif self.gemma3:
            self.sliding = [(i + 1) % pattern != 0 for i in range(self.layers)]
        else:
            self.sliding = [i % 2 == 0 for i in range(self.layers)]
        # HF keeps RoPE's inverse frequencies in a buffer that is cast with the model: a checkpoint loaded
        # in its bfloat16 dtype and then run in float32 carries bfloat16-rounded frequencies.
        self.rope_dtype = top.get("dtype", top.get("torch_dtype", d.get("dtype", d.get("torch_dtype", "float32"))))

    def prefix(self, w):
        for p in ("model.", "language_model.model.", "model.language_model."):
            if p + "embed_tokens.weight" in w:
                return p
        raise KeyError("no embed_tokens.weight")


def to_bf16(x):
    b = np.asarray(x, dtype=F32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    return b.astype(np.uint32).view(F32)


def round_to(dtype, x):
    if dtype == "bfloat16":
        return to_bf16(x)
    if dtype == "float16":
        return np.asarray(x, dtype=F32).astype(np.float16).astype(F32)
    return np.asarray(x, dtype=F32)


def rms_norm(x, w, eps):
    x = x.astype(F32)
    var = np.mean(x * x, axis=-1, keepdims=True, dtype=F32)
    return (x * (F32(1) / np.sqrt(var + F32(eps)))) * (F32(1) + w)


def gelu_tanh(x):
    return F32(0.5) * x * (F32(1) + np.tanh(F32(math.sqrt(2 / math.pi)) * (x + F32(0.044715) * x * x * x)))


def rope_tables(cfg, positions, sliding):
    exps = (np.arange(0, cfg.head_dim, 2, dtype=np.int64).astype(F32) / F32(cfg.head_dim)).astype(F32)
    inv = (F32(1.0) / np.power(F32(cfg.theta[sliding]), exps, dtype=F32)).astype(F32)
    inv = (inv / F32(cfg.factor[sliding])).astype(F32)
    if cfg.rope_dtype == "bfloat16":
        inv = to_bf16(inv)
    elif cfg.rope_dtype == "float16":
        inv = inv.astype(np.float16).astype(F32)
    freqs = (np.asarray(positions, dtype=F32)[:, None] * inv[None, :]).astype(F32)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb).astype(F32), np.sin(emb).astype(F32)


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def forward(cfg, w, ids):
    """Logits after final soft-capping for every position of `ids` (no cache)."""
    n = len(ids)
    # transformers keeps sqrt(hidden) in a buffer cast with the model, like the frequencies: a checkpoint
    # loaded in bfloat16 or float16 carries the rounded value into float32 math (float16: 11.3125 for 128).
    pre = cfg.prefix(w)
    h = w[pre + "embed_tokens.weight"][ids] * round_to(cfg.rope_dtype, F32(math.sqrt(cfg.hidden)))
    tables = {kind: rope_tables(cfg, list(range(n)), kind) for kind in (True, False)}
    pos = np.arange(n)
    causal = pos[None, :] <= pos[:, None]
    windowed = causal & (pos[None, :] > pos[:, None] - cfg.window)
    group = cfg.heads // cfg.kv_heads
    for i in range(cfg.layers):
        p = f"{pre}layers.{i}."
        cos, sin = tables[cfg.sliding[i]]
        x = rms_norm(h, w[p + "input_layernorm.weight"], cfg.eps)
        q = (x @ w[p + "self_attn.q_proj.weight"].T).reshape(n, cfg.heads, cfg.head_dim).transpose(1, 0, 2)
        k = (x @ w[p + "self_attn.k_proj.weight"].T).reshape(n, cfg.kv_heads, cfg.head_dim).transpose(1, 0, 2)
        v = (x @ w[p + "self_attn.v_proj.weight"].T).reshape(n, cfg.kv_heads, cfg.head_dim).transpose(1, 0, 2)
        if cfg.gemma3:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], cfg.eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], cfg.eps)
        q = q * cos[None] + rotate_half(q) * sin[None]
        k = k * cos[None] + rotate_half(k) * sin[None]
        k = np.repeat(k, group, axis=0)
        v = np.repeat(v, group, axis=0)
        s = (q @ k.transpose(0, 2, 1)) * F32(cfg.qpas ** -0.5)
        if cfg.attn_cap:
            s = np.tanh(s / F32(cfg.attn_cap)) * F32(cfg.attn_cap)
        mask = windowed if cfg.sliding[i] else causal
        s = np.where(mask[None], s, -np.inf).astype(F32)
        s = s - s.max(axis=-1, keepdims=True)
        e = np.exp(s)
        a = (e / e.sum(axis=-1, keepdims=True)).astype(F32)
        o = (a @ v).transpose(1, 0, 2).reshape(n, cfg.heads * cfg.head_dim)
        o = o @ w[p + "self_attn.o_proj.weight"].T
        h = h + rms_norm(o, w[p + "post_attention_layernorm.weight"], cfg.eps)
        x = rms_norm(h, w[p + "pre_feedforward_layernorm.weight"], cfg.eps)
        m = gelu_tanh(x @ w[p + "mlp.gate_proj.weight"].T) * (x @ w[p + "mlp.up_proj.weight"].T)
        m = m @ w[p + "mlp.down_proj.weight"].T
        h = h + rms_norm(m, w[p + "post_feedforward_layernorm.weight"], cfg.eps)
    h = rms_norm(h, w[pre + "norm.weight"], cfg.eps)
    logits = h @ w[pre + "embed_tokens.weight"].T
    if cfg.final_cap:
        logits = np.tanh(logits / F32(cfg.final_cap)) * F32(cfg.final_cap)
    return logits.astype(F32)


def golden_case(cfg, w, input_ids, new_tokens):
    return golden_case_of(lambda ids: forward(cfg, w, ids), input_ids, new_tokens)


def golden_case_of(logits_of, input_ids, new_tokens):
    """One golden.json case from `logits_of(ids)` (logits of every position, [len(ids), vocab], as NumPy)."""
    logits = logits_of(list(input_ids))
    seq = list(input_ids)
    steps, new_ids = [], []
    margin = float("inf")
    last = logits[-1]
    for _ in range(new_tokens):
        order = np.argsort(-last, kind="stable")[:5]
        steps.append({"top_ids": [int(t) for t in order], "top_logits": [round(float(last[t]), 6) for t in order]})
        margin = min(margin, float(last[order[0]] - last[order[1]]))
        new_ids.append(int(order[0]))
        seq.append(int(order[0]))
        last = logits_of(seq)[-1]
    full = logits_of(seq)
    return {
        "input_ids": list(input_ids),
        "prefill_last_logits": [round(float(x), 6) for x in logits[-1]],
        "prefill_argmax": [int(x) for x in logits.argmax(-1)],
        "greedy_new_ids": new_ids,
        "greedy_steps_top5": steps,
        "greedy_min_top1_top2_margin": round(margin, 6),
        "full_sequence_argmax": [int(x) for x in full.argmax(-1)],
        "full_sequence_last_logits": [round(float(x), 6) for x in full[-1]],
    }


def check(folder):
    folder = Path(folder)
    cfg = Config(json.loads((folder / "config.json").read_text()))
    w = load_tensors(folder)
    golden = json.loads((folder / "golden.json").read_text())
    worst = 0.0
    for case in golden["cases"]:
        logits = forward(cfg, w, case["input_ids"])
        if "prefill_last_logits" in case:
            worst = max(worst, float(np.abs(logits[-1] - np.asarray(case["prefill_last_logits"], F32)).max()))
        assert [int(x) for x in logits.argmax(-1)] == case["prefill_argmax"], "prefill argmax differs"
        full_ids = case["input_ids"] + case["greedy_new_ids"]
        full = forward(cfg, w, full_ids)
        assert [int(x) for x in full.argmax(-1)] == case["full_sequence_argmax"], "full-sequence argmax differs"
        if "full_sequence_last_logits" in case:
            worst = max(worst, float(np.abs(full[-1] - np.asarray(case["full_sequence_last_logits"], F32)).max()))
        for step, expected in zip(range(len(case["greedy_new_ids"])), case["greedy_steps_top5"]):
            row = full[len(case["input_ids"]) - 1 + step]
            worst = max(worst, float(np.abs(row[expected["top_ids"]] - np.asarray(expected["top_logits"], F32)).max()))
    print(f"{folder.name}: max |logit difference| to the golden {worst:.2e}")
    return worst


if __name__ == "__main__":
    if sys.argv[1] == "check":
        for f in sys.argv[2:]:
            check(f)
