import { describe, expect, it } from "vitest";
import {
  builtModelFit,
  builtModelFitMessage,
  chooseBackend,
  DeviceChoiceError,
  type DeviceReport,
  gpuLimitProblem,
} from "./device";
import type { ModelManifest } from "./manifest";
import { GpuLimitError } from "./model-errors";

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

describe("chooseBackend", () => {
  const hardware: DeviceReport = {
    webgpu: { adapter: "nvidia ampere", shaderF16: true, maxBufferSize: GIB, software: false },
    webgpuError: null,
    crossOriginIsolated: true,
  };
  const swiftShader: DeviceReport = {
    webgpu: { adapter: "google swiftshader", shaderF16: true, maxBufferSize: GIB, software: true },
    webgpuError: null,
    crossOriginIsolated: true,
  };
  const noGpu: DeviceReport = { webgpu: null, webgpuError: "no adapter", crossOriginIsolated: true };
  const dtypes = ["fp32", "q4", "q4f16"];
  const small = { name: "geozero-tiny", wasmBytes: () => 20_000_000 };
  const large = { name: "geozero-8b", wasmBytes: () => 6 * GIB };

  it("takes a hardware WebGPU adapter automatically", () => {
    expect(chooseBackend(hardware, dtypes, undefined, small)).toMatchObject({ device: "webgpu", dtype: "q4f16" });
  });

  it("lets WASM win over a software adapter for a model that fits WASM, and says why", () => {
    const choice = chooseBackend(swiftShader, dtypes, undefined, small);
    expect(choice).toMatchObject({ device: "wasm", dtype: "q4" });
    expect(choice.reason).toContain("google swiftshader, is a software renderer");
  });

  it("says plainly there is no usable GPU for a model too large for WASM, and still lets the user force WebGPU", () => {
    let caught: unknown = null;
    try {
      chooseBackend(swiftShader, dtypes, undefined, large);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DeviceChoiceError);
    expect((caught as DeviceChoiceError).problem).toMatchObject({
      kind: "no-usable-device",
      softwareAdapter: "google swiftshader",
    });
    expect((caught as Error).message).toContain("This machine has no GPU the app can use");
    expect((caught as Error).message).toContain("Choose WebGPU under Device");
    expect(() => chooseBackend(noGpu, dtypes, undefined, large)).toThrow(/no GPU the app can use/);
    const forced = chooseBackend(swiftShader, dtypes, "webgpu", large);
    expect(forced).toMatchObject({ device: "webgpu" });
    expect(forced.reason).toContain("software renderer");
  });

  it("takes WASM when there is no adapter and the model's size is unknown", () => {
    expect(chooseBackend(noGpu, dtypes, undefined, { name: "x", wasmBytes: () => null }).device).toBe("wasm");
  });

  it("refuses a forced WebGPU without an adapter, and WASM for a folder without WASM's dtypes, as typed problems", () => {
    const problemOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        if (error instanceof DeviceChoiceError) return error.problem;
        throw error;
      }
      return null;
    };
    expect(problemOf(() => chooseBackend(noGpu, dtypes, "webgpu", small))).toEqual({
      kind: "webgpu-missing",
      reason: "no adapter",
    });
    expect(problemOf(() => chooseBackend(noGpu, ["q4f16"], undefined, small))).toEqual({
      kind: "no-wasm-dtypes",
      available: ["q4f16"],
    });
    expect(() => chooseBackend(hardware, ["q4f16"], "wasm", small)).toThrow(/Convert with --dtype q4,fp32/);
  });
});

describe("builtModelFit", () => {
  const gpu = (shaderF16: boolean, software: boolean): DeviceReport => ({
    webgpu: { adapter: software ? "google swiftshader" : "nvidia ampere", shaderF16, maxBufferSize: GIB, software },
    webgpuError: null,
    crossOriginIsolated: false,
  });
  const none: DeviceReport = { webgpu: null, webgpuError: "no adapter", crossOriginIsolated: false };
  const EIGHT_B_Q4 = 5.65e9;

  it("runs a q4 build on a hardware GPU, and a q4f16 one only where the GPU has shader-f16", () => {
    expect(builtModelFit(gpu(false, false), "q4", EIGHT_B_Q4)).toEqual({
      kind: "runs",
      device: "webgpu",
      adapter: "nvidia ampere",
    });
    expect(builtModelFit(gpu(true, false), "q4f16", EIGHT_B_Q4)).toMatchObject({ kind: "runs", device: "webgpu" });
    const noF16 = builtModelFit(gpu(false, false), "q4f16", EIGHT_B_Q4);
    expect(noF16).toEqual({ kind: "cannot-run", needs: "shader-f16", adapter: "nvidia ampere" });
    expect(builtModelFitMessage(noF16, "q4f16")).toContain("Choose q4");
  });

  it("warns that a software renderer is the only way a q4 build runs, and says what to do", () => {
    const fit = builtModelFit(gpu(false, true), "q4", 40e6);
    expect(fit).toEqual({ kind: "software-only", adapter: "google swiftshader" });
    expect(builtModelFitMessage(fit, "q4")).toMatch(/google swiftshader, a software renderer.*save its folder/);
  });

  it("cannot run a q4 build without WebGPU (its 4-bit embedding has no WASM kernel); fp32 runs on WASM when it fits", () => {
    const fit = builtModelFit(none, "q4", 40e6);
    expect(fit).toEqual({ kind: "cannot-run", needs: "webgpu" });
    expect(builtModelFitMessage(fit, "q4")).toContain("it needs WebGPU");
    expect(builtModelFit(none, "fp32", 160e6)).toMatchObject({ kind: "runs", device: "wasm" });
    expect(builtModelFit(none, "fp32", 32e9)).toEqual({ kind: "cannot-run", needs: "webgpu" });
  });
});
