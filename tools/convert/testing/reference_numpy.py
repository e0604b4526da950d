"""Independent float64 NumPy forward pass of Qwen3-VL, written from the upstream modeling code, used once to
produce tools/convert/testing/reference-fixture.json for the synthetic tiny checkpoint.

    npx tsx -e 'import("./tools/convert/testing/synthetic.ts").then(m => m.writeSyntheticSnapshot("/tmp/syn", m.TINY_SIZES))'
    python3 tools/convert/testing/reference_numpy.py /tmp/syn tools/convert/testing/reference-fixture.json

The case (inputs are formulas, so the TypeScript test rebuilds them): one image, grid t=1, h=8, w=12 (the 8×8
position table is interpolated), pixel i = sin(0.37·i)·0.8; ids = [5, 17, 9, IMG×24, 33, 44] with IMG = 655
placeholder rows overwritten by the image features; MRoPE rows: text 0..2, image (3, 3+row, 3+col), text 9, 10;
then one decode step with id 77 at position 11.
"""
import json
import struct
import sys
from math import erf

import numpy as np

snapshot, out_path = sys.argv[1], sys.argv[2]
index = json.load(open(f"{snapshot}/model.safetensors.index.json"))["weight_map"]
cfg = json.load(open(f"{snapshot}/config.json"))
W = {}
for shard in sorted(set(index.values())):
    blob = open(f"{snapshot}/{shard}", "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8 : 8 + n])
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = np.frombuffer(blob[8 + n + start : 8 + n + end], dtype=np.uint16)
        W[name] = (raw.astype(np.uint32) << 16).view(np.float32).reshape(entry["shape"]).astype(np.float64)
vc, tc = cfg["vision_config"], cfg["text_config"]


def layer_norm(x, w, b, eps=1e-6):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def rms_norm(x, w, eps):
    return x / np.sqrt((x**2).mean(-1, keepdims=True) + eps) * w


def linear(x, p, bias=True):
    return x @ W[p + ".weight"].T + (W[p + ".bias"] if bias else 0)


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], -1)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def merger(x, p, post_shuffle, width):
    if post_shuffle:
        y = layer_norm(x.reshape(-1, width), W[p + ".norm.weight"], W[p + ".norm.bias"])
    else:
        y = layer_norm(x, W[p + ".norm.weight"], W[p + ".norm.bias"]).reshape(-1, width)
    return linear(gelu(linear(y, p + ".linear_fc1")), p + ".linear_fc2")


def vision(pixels, t, h, w):
    C, nh, m = vc["hidden_size"], vc["num_heads"], vc["spatial_merge_size"]
    hd = C // nh
    x = pixels @ W["model.visual.patch_embed.proj.weight"].reshape(C, -1).T + W["model.visual.patch_embed.proj.bias"]
    side = int(vc["num_position_embeddings"] ** 0.5)
    hi, wi = np.linspace(0, side - 1, h), np.linspace(0, side - 1, w)
    hf, wf = hi.astype(int), wi.astype(int)
    hc, wc = np.minimum(hf + 1, side - 1), np.minimum(wf + 1, side - 1)
    dh, dw = hi - hf, wi - wf
    T = W["model.visual.pos_embed.weight"]
    corner = lambda r, c, wr, wc_: T[r[:, None] * side + c[None]] * (wr[:, None] * wc_[None])[..., None]
    pos = corner(hf, wf, 1 - dh, 1 - dw) + corner(hf, wc, 1 - dh, dw) + corner(hc, wf, dh, 1 - dw) + corner(hc, wc, dh, dw)
    pos = np.tile(pos.reshape(h * w, C), (t, 1)).reshape(t, h // m, m, w // m, m, C).transpose(0, 1, 3, 2, 4, 5).reshape(-1, C)
    x = x + pos
    inv = 1.0 / (10000 ** (np.arange(0, hd // 2, 2) / (hd // 2)))
    rows = np.arange(h).reshape(h // m, m, 1, 1).repeat(w // m, 2).repeat(m, 3).transpose(0, 2, 1, 3).reshape(-1)
    cols = np.arange(w).reshape(1, 1, w // m, m).repeat(h // m, 0).repeat(m, 1).transpose(0, 2, 1, 3).reshape(-1)
    coords = np.tile(np.stack([rows, cols], -1), (t, 1))
    emb = np.concatenate([np.outer(coords[:, 0], inv), np.outer(coords[:, 1], inv)], -1)
    emb = np.concatenate([emb, emb], -1)
    cos, sin = np.cos(emb)[:, None], np.sin(emb)[:, None]
    N = x.shape[0]
    frame = np.arange(N) // (h * w)
    bias = np.where(frame[:, None] == frame[None], 0, -1e30)
    deepstack = []
    for i in range(vc["depth"]):
        p = f"model.visual.blocks.{i}"
        y = layer_norm(x, W[p + ".norm1.weight"], W[p + ".norm1.bias"])
        q, k, v = linear(y, p + ".attn.qkv").reshape(N, 3, nh, hd).transpose(1, 0, 2, 3)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        q, k, v = (a.transpose(1, 0, 2) for a in (q, k, v))
        a = softmax(q @ k.transpose(0, 2, 1) / np.sqrt(hd) + bias) @ v
        x = x + linear(a.transpose(1, 0, 2).reshape(N, C), p + ".attn.proj")
        y = layer_norm(x, W[p + ".norm2.weight"], W[p + ".norm2.bias"])
        x = x + linear(gelu_tanh(linear(y, p + ".mlp.linear_fc1")), p + ".mlp.linear_fc2")
        if i in vc["deepstack_visual_indexes"]:
            j = vc["deepstack_visual_indexes"].index(i)
            deepstack.append(merger(x, f"model.visual.deepstack_merger_list.{j}", True, C * m * m))
    return np.concatenate([merger(x, "model.visual.merger", False, C * m * m)] + deepstack, -1)


def decoder(packed, positions, cache):
    H, nh, kvh, hd, eps = tc["hidden_size"], tc["num_attention_heads"], tc["num_key_value_heads"], tc["head_dim"], tc["rms_norm_eps"]
    S = packed.shape[0]
    x = packed[:, :H]
    inv = 1.0 / (tc["rope_theta"] ** (np.arange(0, hd, 2) / hd))
    freqs = positions[:, :, None] * inv
    section = tc["rope_scaling"]["mrope_section"]
    f = freqs[0].copy()
    for dim, offset in ((1, 1), (2, 2)):
        idx = slice(offset, section[dim] * 3, 3)
        f[:, idx] = freqs[dim][:, idx]
    emb = np.concatenate([f, f], -1)
    cos, sin = np.cos(emb)[None], np.sin(emb)[None]
    P = cache[0][0].shape[1] if cache else 0
    mask = np.where(np.arange(P + S)[None] <= (np.arange(S) + P)[:, None], 0, -1e30)
    present = []
    levels = packed.shape[1] // H - 1
    for layer in range(tc["num_hidden_layers"]):
        p = f"model.language_model.layers.{layer}"
        y = rms_norm(x, W[p + ".input_layernorm.weight"], eps)
        q = rms_norm(linear(y, p + ".self_attn.q_proj", False).reshape(S, nh, hd), W[p + ".self_attn.q_norm.weight"], eps).transpose(1, 0, 2)
        k = rms_norm(linear(y, p + ".self_attn.k_proj", False).reshape(S, kvh, hd), W[p + ".self_attn.k_norm.weight"], eps).transpose(1, 0, 2)
        v = linear(y, p + ".self_attn.v_proj", False).reshape(S, kvh, hd).transpose(1, 0, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if cache:
            k, v = np.concatenate([cache[layer][0], k], 1), np.concatenate([cache[layer][1], v], 1)
        present.append((k, v))
        a = softmax(q @ np.repeat(k, nh // kvh, 0).transpose(0, 2, 1) / np.sqrt(hd) + mask) @ np.repeat(v, nh // kvh, 0)
        x = x + linear(a.transpose(1, 0, 2).reshape(S, nh * hd), p + ".self_attn.o_proj", False)
        y = rms_norm(x, W[p + ".post_attention_layernorm.weight"], eps)
        gate = linear(y, p + ".mlp.gate_proj", False)
        x = x + linear(gate / (1 + np.exp(-gate)) * linear(y, p + ".mlp.up_proj", False), p + ".mlp.down_proj", False)
        if layer < levels:
            x = x + packed[:, (layer + 1) * H : (layer + 2) * H]
    x = rms_norm(x, W["model.language_model.norm.weight"], eps)
    return x @ W["lm_head.weight"].T, present


t, h, w, IMG = 1, 8, 12, 655
pixels = (np.sin(np.arange(t * h * w * 1536, dtype=np.float64) * 0.37) * 0.8).astype(np.float32).reshape(-1, 1536)
features = vision(pixels.astype(np.float64), t, h, w)
tokens = features.shape[0]
ids = [5, 17, 9] + [IMG] * tokens + [33, 44]
E = W["model.language_model.embed_tokens.weight"]
packed = np.zeros((len(ids), features.shape[1]))
packed[:, : tc["hidden_size"]] = E[ids]
packed[[i for i, x in enumerate(ids) if x == IMG]] = features
rows = [[0, 1, 2], [0, 1, 2], [0, 1, 2]]
for a in range(h // 2):
    for b in range(w // 2):
        rows[0].append(3)
        rows[1].append(3 + a)
        rows[2].append(3 + b)
for r in rows:
    r.extend([9, 10])
logits, cache = decoder(packed, np.array(rows, dtype=np.float64), None)
step = np.zeros((1, features.shape[1]))
step[0, : tc["hidden_size"]] = E[77]
decoded, _ = decoder(step, np.array([[11], [11], [11]], dtype=np.float64), cache)
fixture = {
    "features": [float(f"{v:.8g}") for v in features.ravel()],
    "logitsLast": [float(f"{v:.8g}") for v in logits[-1]],
    "logitsImageRow": [float(f"{v:.8g}") for v in logits[3]],
    "logitsDecode": [float(f"{v:.8g}") for v in decoded[0]],
}
json.dump(fixture, open(out_path, "w"))
