#!/usr/bin/env python3
"""Reference dequantization of GGML blocks, for gemma4j's GGUF reader tests.

    python3 gguf_dequant_reference.py OUT.json

Writes random but well-formed blocks of Q8_0, Q4_0, Q4_K and Q6_K (small float16 scales, any quants) with
the float32 values gguf-py (llama.cpp's Python package, `pip install gguf`, 0.19.0 here) dequantizes them to.
The Java test checks gemma4j's dequantizer against these values exactly.
"""
import base64
import json
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

rng = np.random.default_rng(2026)
# (type, block bytes, elements a block, where the float16 scales sit, their range)
SPECS = [
    (T.Q8_0, 34, 32, [0], (0.001, 0.005)),
    (T.Q4_0, 18, 32, [0], (0.001, 0.005)),
    (T.Q4_K, 144, 256, [0, 2], (0.001, 0.003)),
    (T.Q6_K, 210, 256, [208], (0.0005, 0.0015)),
]
out = {}
for qtype, size, elements, scale_at, (lo, hi) in SPECS:
    blocks = 6
    data = rng.integers(0, 256, size=(blocks, size), dtype=np.uint8)
    for b in range(blocks):
        for at in scale_at:
            d = np.float16(rng.uniform(lo, hi))
            data[b, at:at + 2] = np.frombuffer(d.tobytes(), dtype=np.uint8)
    values = quants.dequantize(data.reshape(-1), qtype).astype(np.float32).reshape(-1)
    out[qtype.name] = {
        "elements": blocks * elements,
        "blocks": base64.b64encode(data.tobytes()).decode(),
        "values": base64.b64encode(values.astype("<f4").tobytes()).decode(),
    }
with open(sys.argv[1], "w") as f:
    json.dump({"source": "gguf-py 0.19.0 quants.dequantize", "types": out}, f, indent=1)
