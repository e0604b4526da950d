import { describe, expect, it } from "vitest";
import { gpuLimitProblem } from "./device";
import { GpuLimitError } from "./model-errors";
import type { ModelManifest } from "./manifest";

const GIB = 2 ** 30;
/** GeoZero-8B's decoder graphs as the converter lists them: the untied lm_head is the largest weight. */
const file = (path: string, name: string, bytes: number): ModelManifest["files"][number] => ({
  path,
  bytes: 600_000,
  sha256: "0".repeat(64),
  largestInitializer: { name, bytes },
});

describe("gpuLimitProblem", () => {
  it("lets 4-bit weights through a 1 GiB buffer limit and stops an fp16 lm_head, naming limit, value and weight", () => {
    const q4 = [
      file("onnx/decoder_model_merged_q4.onnx", "lm_head.weight.q4", 311_164_928),
      { path: "onnx/decoder_model_merged_q4.onnx_data", bytes: 1_994_276_864, sha256: "0".repeat(64) },
    ];
    expect(gpuLimitProblem(q4, { maxBufferSize: GIB })).toBeNull();
    const fp16 = [file("onnx/decoder_model_merged_fp16.onnx", "lm_head.weight.T", 1_244_659_712)];
    const problem = gpuLimitProblem(fp16, { maxBufferSize: GIB });
    expect(problem).toBeInstanceOf(GpuLimitError);
    expect(problem).toMatchObject({
      limit: "maxBufferSize",
      available: GIB,
      needed: 1_244_659_712,
      tensor: "lm_head.weight.T",
      file: "onnx/decoder_model_merged_fp16.onnx",
    });
    expect(problem?.message).toContain("its WebGPU maxBufferSize is 1073741824 bytes");
    expect(problem?.message).toContain("lm_head.weight.T in onnx/decoder_model_merged_fp16.onnx, is 1.24 GB");
  });
});
