import { describe, expect, it } from "vitest";
import { assertQwen3VlConfig, classifyModelError, type FailureContext, smallerDtype } from "./errors";
import { ModelFileError, sha256Hex, verifyFile } from "./model-files";

const webgpuQ4f16: FailureContext = { device: "webgpu", dtype: "q4f16", availableDtypes: ["fp32", "q4", "q4f16"] };
const webgpuFp32: FailureContext = { device: "webgpu", dtype: "fp32", availableDtypes: ["fp32", "q4", "q4f16"] };
const wasmFp32: FailureContext = { device: "wasm", dtype: "fp32", availableDtypes: ["fp32"], maxPixels: 802816 };

async function thrownBy(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

describe("classifyModelError", () => {
  it("recognises a lost WebGPU device in the texts ONNX Runtime and browsers give, and offers WASM and a smaller dtype", () => {
    for (const message of [
      "GPUDevice was lost: destroyed",
      "[WebGPU] Device is lost (reason: unknown)",
      "Failed to run session: the device has been lost",
      "D3D12 DXGI_ERROR_DEVICE_REMOVED",
    ]) {
      const failure = classifyModelError({ message }, webgpuFp32);
      expect(failure.kind, message).toBe("device-lost");
      expect(failure.actions).toEqual([{ kind: "reload-wasm" }, { kind: "reload-dtype", dtype: "q4" }]);
      expect(failure.detail).toBe(message);
    }
  });

  it("offers only WASM when nothing smaller than the dtype exists", () => {
    expect(classifyModelError({ message: "device lost" }, webgpuQ4f16).actions).toEqual([{ kind: "reload-wasm" }]);
  });

  it("says what to lower on out-of-memory: max pixels with its value, and the dtype", () => {
    const failure = classifyModelError({ message: "RangeError: Array buffer allocation failed" }, webgpuFp32);
    expect(failure.kind).toBe("out-of-memory");
    expect(failure.summary).toMatch(/Lower Max pixels/);
    expect(failure.summary).toMatch(/at q4 instead of fp32/);
    const wasm = classifyModelError({ message: "std::bad_alloc" }, wasmFp32);
    expect(wasm.summary).toContain("now 802,816 px");
    expect(wasm.actions).toEqual([]);
    expect(classifyModelError({ message: "Out of memory" }, wasmFp32).kind).toBe("out-of-memory");
  });

  it("names a corrupt file with the expected and actual SHA-256 that verifyFile reports", async () => {
    const good = new TextEncoder().encode("weights");
    const entry = { path: "onnx/decoder_model_merged_q4.onnx_data", bytes: good.length, sha256: await sha256Hex(good) };
    const bad = new TextEncoder().encode("weighTs");
    const error = await thrownBy(() => verifyFile(entry, bad));
    expect(error).toBeInstanceOf(ModelFileError);
    const failure = classifyModelError(error, webgpuFp32);
    expect(failure.kind).toBe("corrupt-file");
    expect(failure.file).toEqual({ path: entry.path, expected: entry.sha256, actual: await sha256Hex(bad) });
    expect(failure.summary).toContain(entry.path);
  });

  it("calls a short file truncated and a 404 missing", async () => {
    const entry = { path: "onnx/a.onnx", bytes: 10, sha256: "0".repeat(64) };
    const truncated = classifyModelError(await thrownBy(() => verifyFile(entry, new Uint8Array(4))), webgpuFp32);
    expect(truncated.kind).toBe("corrupt-file");
    expect(truncated.summary).toContain("onnx/a.onnx is truncated");
    const missing = classifyModelError(
      {
        name: "ModelFileError",
        message: "http://x/onnx/a.onnx: HTTP 404; the model folder on the server lacks this file.",
      },
      webgpuFp32,
    );
    expect(missing.kind).toBe("missing-file");
    expect(missing.summary).toContain("onnx/a.onnx");
  });

  it("keeps other errors as they are", () => {
    const failure = classifyModelError({ message: "Something odd" }, webgpuFp32);
    expect(failure).toEqual({ kind: "other", summary: "Something odd", detail: "Something odd", actions: [] });
  });
});

describe("assertQwen3VlConfig", () => {
  it("accepts qwen3_vl and refuses other configs with a named error the classifier recognises", () => {
    expect(() => assertQwen3VlConfig({ model_type: "qwen3_vl" }, "m")).not.toThrow();
    let caught: Error | null = null;
    try {
      assertQwen3VlConfig({ model_type: "llava" }, "https://host/llava/config.json");
    } catch (error) {
      caught = error as Error;
    }
    expect(caught?.message).toContain('https://host/llava/config.json holds a "llava" model');
    expect(caught && classifyModelError(caught, webgpuFp32).kind).toBe("not-qwen3-vl");
    expect(() => assertQwen3VlConfig({}, "m")).toThrow(/holds no model_type/);
  });
});

describe("smallerDtype", () => {
  it("steps down through the dtypes the folder holds", () => {
    expect(smallerDtype("fp32", ["fp32", "fp16", "q4"])).toBe("fp16");
    expect(smallerDtype("fp16", ["fp32", "q4"])).toBe("q4");
    expect(smallerDtype("q4", ["fp32", "q4"])).toBeNull();
    expect(smallerDtype("q4f16", ["q4"])).toBeNull();
  });
});
