"""Reference numbers for the project's tiny Qwen3-VL checkpoint from the upstream PyTorch implementation.

Run where transformers 5.x and torch are installed (the lent GPU machine; CPU is used for exact fp32):
    python3 tools/reference/testing/reference_torch.py .cache/tiny-hf out.json
The TypeScript tests compare the converted ONNX graphs (and the TS reference) with the numbers written here.
"""
import json
import sys

import torch
import transformers
from transformers import AutoTokenizer, Qwen3VLForConditionalGeneration

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.set_grad_enabled(False)

snapshot, out_path = sys.argv[1], sys.argv[2]
GRID = [1, 8, 12]
STEPS = 8
PROBE_STRIDE = 4999

tok = AutoTokenizer.from_pretrained(snapshot)
model = Qwen3VLForConditionalGeneration.from_pretrained(snapshot, dtype=torch.float32, attn_implementation="eager").eval()
cfg = model.config
patches = GRID[0] * GRID[1] * GRID[2]
image_tokens = patches // 4
pixel_values = (torch.sin(torch.arange(patches * 1536, dtype=torch.float64) * 0.37) * 0.8).float().reshape(patches, 1536)
grid = torch.tensor([GRID])


def mm_types(ids):
    return torch.tensor([[1 if i == cfg.image_token_id else 0 for i in ids]])


def ids_of(text):
    return tok(text, add_special_tokens=False)["input_ids"]


image_ids = (
    ids_of("<|im_start|>user\n<|vision_start|>")
    + [cfg.image_token_id] * image_tokens
    + ids_of("<|vision_end|>Describe the scene in one sentence.<|im_end|>\n<|im_start|>assistant\n")
)
text_ids = ids_of("<|im_start|>user\nName three kinds of land cover.<|im_end|>\n<|im_start|>assistant\n")
probes = list(range(0, cfg.text_config.vocab_size, PROBE_STRIDE))


def step_record(logits):
    top = torch.topk(logits, 8)
    return {
        "argmax": int(torch.argmax(logits)),
        "topIds": [int(i) for i in top.indices],
        "topValues": [float(v) for v in top.values],
        "probes": [float(logits[i]) for i in probes],
        "logsumexp": float(torch.logsumexp(logits.double(), 0)),
    }


def greedy(ids, with_image):
    kwargs = dict(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long))
    if with_image:
        kwargs.update(pixel_values=pixel_values, image_grid_thw=grid, mm_token_type_ids=mm_types(ids))
    out = model.generate(
        **kwargs, do_sample=False, max_new_tokens=STEPS, min_new_tokens=STEPS, output_logits=True,
        return_dict_in_generate=True, num_beams=1, temperature=None, top_p=None, top_k=None,
    )
    generated = out.sequences[0, len(ids):].tolist()
    return {"ids": ids, "generated": generated, "steps": [step_record(l[0]) for l in out.logits]}


def beam(ids, beams, length_penalty, max_new):
    out = model.generate(
        input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
        pixel_values=pixel_values, image_grid_thw=grid, mm_token_type_ids=mm_types(ids), do_sample=False, num_beams=beams,
        length_penalty=length_penalty, max_new_tokens=max_new, early_stopping=False, num_return_sequences=beams,
        return_dict_in_generate=True, output_scores=True, temperature=None, top_p=None, top_k=None,
    )
    return {
        "beams": beams, "lengthPenalty": length_penalty, "maxNewTokens": max_new,
        "sequences": [s[len(ids):].tolist() for s in out.sequences],
        "scores": [float(s) for s in out.sequences_scores],
    }


captured = {}


def capture(_module, _inputs, output):
    captured["raw"] = output


hook = model.model.visual.register_forward_hook(capture)
model(input_ids=torch.tensor([image_ids]), pixel_values=pixel_values, image_grid_thw=grid, mm_token_type_ids=mm_types(image_ids))
hook.remove()
raw = captured["raw"]
print("visual output type:", type(raw))
if isinstance(raw, tuple):
    merged, deepstack = raw[0], raw[1]
else:
    print("fields:", list(raw.keys()))
    merged = raw.get("pooler_output", None)
    if merged is None:
        merged = raw["last_hidden_state"]
    deepstack = raw.get("deepstack_features", None)
if isinstance(merged, (tuple, list)):
    merged = torch.cat(list(merged), 0)
print("merged", tuple(merged.shape), "deepstack", [tuple(d.shape) for d in deepstack])

fixture = {
    "source": f"transformers {transformers.__version__}, torch {torch.__version__}, fp32 on CPU, eager attention",
    "snapshot": "model-cache/geozero-tiny's checkpoint (.cache/tiny-hf, npm run make-tiny-model)",
    "pixelValues": "Math.fround(Math.sin(i * 0.37) * 0.8) for i in [0, patches * 1536)",
    "grid": GRID,
    "probeStride": PROBE_STRIDE,
    "imageFeatures": merged.reshape(-1).tolist(),
    "deepstackFeatures": [d.reshape(-1).tolist() for d in deepstack],
    "imagePrompt": greedy(image_ids, True),
    "textPrompt": greedy(text_ids, False),
    "beamSearch": beam(image_ids, 5, 0.8, 6),
}
with open(out_path, "w") as f:
    json.dump(fixture, f)
print("greedy image:", fixture["imagePrompt"]["generated"])
print("greedy text:", fixture["textPrompt"]["generated"])
print("beam:", fixture["beamSearch"]["sequences"][0], fixture["beamSearch"]["scores"][0])
