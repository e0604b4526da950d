import { describe, expect, it } from "vitest";
import { planConversion } from "../../src/convert/convert.ts";
import type { Checkpoint, TensorInfo } from "../../src/convert/safetensors/read.ts";
import { GEOZERO_8B_SIZES, qwen3VLTensorShapes, syntheticConfig } from "./testing/synthetic.ts";

/** GeoZero-8B's tensor list with no bytes behind it: a dry run may look at names and shapes only. */
function headersOnly(): Pick<Checkpoint, "tensors"> {
  const tensors = new Map<string, TensorInfo>();
  for (const [name, shape] of qwen3VLTensorShapes(GEOZERO_8B_SIZES)) {
    const byteLength = shape.reduce((a, b) => a * b, 2);
    tensors.set(name, { name, dtype: "BF16", shape, shard: "none", offset: 0, byteLength });
  }
  return { tensors };
}

/** Bytes of a [out, in] weight as 4-bit blocks of 32 along `in`: codes, one scale and half a zero point per block. */
function q4Bytes(out: number, inFeatures: number, floatBytes: number): number {
  const blocks = Math.ceil(inFeatures / 32);
  return out * blocks * 16 + out * blocks * floatBytes + out * Math.ceil(blocks / 2);
}

/** The weight bytes each session should hold, from the tensor list alone: 2-D weights at 4 bits, the rest float. */
function expectedWeightBytes(floatBytes: number): Record<string, number> {
  const bytes: Record<string, number> = { vision_encoder: 0, embed_tokens: 0, decoder_model_merged: 0 };
  for (const [name, shape] of qwen3VLTensorShapes(GEOZERO_8B_SIZES)) {
    const count = shape.reduce((a, b) => a * b, 1);
    const session = name.startsWith("model.visual.")
      ? "vision_encoder"
      : name.endsWith("embed_tokens.weight")
        ? "embed_tokens"
        : "decoder_model_merged";
    const asFloat = shape.length !== 2 || name.endsWith("pos_embed.weight");
    bytes[session] += asFloat ? count * floatBytes : q4Bytes(shape[0], shape[1], floatBytes);
  }
  return bytes;
}

describe("planning GeoZero-8B's conversion without weights", () => {
  it.each([
    ["q4", 4],
    ["q4f16", 2],
  ] as const)("plans %s session sizes equal to those computed from the tensor list", async (dtype, floatBytes) => {
    const plans = await planConversion(syntheticConfig(GEOZERO_8B_SIZES), headersOnly(), { dtypes: [dtype] });
    const expected = expectedWeightBytes(floatBytes);
    const bySession = Object.fromEntries(plans.map((p) => [p.fileName, p]));
    for (const [session, bytes] of Object.entries(expected))
      expect(bySession[`${session}_${dtype}.onnx`].weightBytes, session).toBe(bytes);
    expect(bySession[`kv_cache_reorder_${dtype}.onnx`].weightBytes).toBe(0);
    const decoder = bySession[`decoder_model_merged_${dtype}.onnx`];
    // Chunks stay under 2 GB for the browser; external data holds at least every weight byte but the inline ones.
    expect(decoder.dataFiles.map((f) => f.name)).toEqual([
      `decoder_model_merged_${dtype}.onnx_data`,
      `decoder_model_merged_${dtype}.onnx_data_1`,
      `decoder_model_merged_${dtype}.onnx_data_2`,
    ]);
    for (const plan of plans) for (const file of plan.dataFiles) expect(file.bytes).toBeLessThan(2e9);
    const data = decoder.dataFiles.reduce((sum, f) => sum + f.bytes, 0);
    expect(data).toBeLessThanOrEqual(decoder.weightBytes + 64 * 1000);
    expect(data).toBeGreaterThan(decoder.weightBytes - 1024 * 400);
    // Every linear layer of the 36 decoder layers and the head is quantised, in build order.
    expect(decoder.quantized.length).toBe(36 * 7 + 1);
    expect(decoder.quantized.at(-1)).toBe("lm_head.weight");
  });
});
