import { describe, expect, it } from "vitest";
import { describeModelFailure, type FailureContext, smallerDtype } from "./errors";
import {
  assertQwen3VlConfig,
  CacheReorderMissingError,
  DeviceLostError,
  GpuLimitError,
  ModelFileError,
  OutOfMemoryError,
  UnsupportedModelError,
} from "./model-errors";
import { sha256Hex, verifyFile } from "./model-files";

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

describe("describeModelFailure", () => {
  it("a lost device offers WASM and a smaller dtype, by type whatever the text", () => {
    const failure = describeModelFailure(new DeviceLostError("destroyed", "", "the run was cut off"), webgpuFp32);
    expect(failure.kind).toBe("device-lost");
    expect(failure.actions).toEqual([{ kind: "reload-wasm" }, { kind: "reload-dtype", dtype: "q4" }]);
    const plain = describeModelFailure(new Error("The WebGPU device was lost (destroyed)"), webgpuFp32);
    expect(plain.kind).toBe("other");
  });

  it("offers only WASM when nothing smaller than the dtype exists", () => {
    const lost = new DeviceLostError("unknown", "", "x");
    expect(describeModelFailure(lost, webgpuQ4f16).actions).toEqual([{ kind: "reload-wasm" }]);
  });

  it("says what to lower on out-of-memory: max pixels with its value, and the dtype", () => {
    const failure = describeModelFailure(new OutOfMemoryError("webgpu", "allocation failed"), webgpuFp32);
    expect(failure.kind).toBe("out-of-memory");
    expect(failure.summary).toMatch(/Lower Max pixels/);
    expect(failure.summary).toMatch(/at q4 instead of fp32/);
    const wasm = describeModelFailure(new OutOfMemoryError("wasm", "std::bad_alloc"), wasmFp32);
    expect(wasm.summary).toContain("now 802,816 px");
    expect(wasm.actions).toEqual([]);
  });

  it("names a corrupt file with the expected and actual SHA-256 that verifyFile reports", async () => {
    const good = new TextEncoder().encode("weights");
    const entry = { path: "onnx/decoder_model_merged_q4.onnx_data", bytes: good.length, sha256: await sha256Hex(good) };
    const bad = new TextEncoder().encode("weighTs");
    const error = await thrownBy(() => verifyFile(entry, bad));
    expect(error).toBeInstanceOf(ModelFileError);
    const failure = describeModelFailure(error, webgpuFp32);
    expect(failure.kind).toBe("corrupt-file");
    expect(failure.file).toEqual({ path: entry.path, expected: entry.sha256, actual: await sha256Hex(bad) });
    expect(failure.summary).toContain(entry.path);
  });

  it("calls an edited file of another length a hash mismatch, with both hashes and sizes, not a truncation", async () => {
    const original = new TextEncoder().encode('{"model_type": "qwen3_vl"}');
    const entry = { path: "config.json", bytes: original.length, sha256: await sha256Hex(original) };
    const edited = new TextEncoder().encode('{"model_type": "qwen3_vl", "x": 1}');
    const error = await thrownBy(() => verifyFile(entry, edited));
    expect(error).toMatchObject({
      file: "config.json",
      problem: {
        kind: "hash-mismatch",
        expectedSha256: entry.sha256,
        actualSha256: await sha256Hex(edited),
        expectedBytes: original.length,
        actualBytes: edited.length,
      },
    });
    const failure = describeModelFailure(error, wasmFp32);
    expect(failure.kind).toBe("corrupt-file");
    expect(failure.summary).not.toMatch(/truncated/);
  });

  it("names a 404 a missing file and any other status by its number", () => {
    const url = "http://x/m/onnx/a.onnx";
    const missing = describeModelFailure(
      new ModelFileError("onnx/a.onnx", { kind: "http-status", url, status: 404 }),
      wasmFp32,
    );
    expect(missing).toMatchObject({ kind: "missing-file", httpStatus: 404 });
    expect(missing.summary).toContain("onnx/a.onnx");
    for (const status of [403, 500]) {
      const refused = describeModelFailure(
        new ModelFileError("onnx/a.onnx", { kind: "http-status", url, status }),
        wasmFp32,
      );
      expect(refused).toMatchObject({ kind: "http-error", httpStatus: status });
      expect(refused.summary).toContain(`HTTP ${status}`);
      expect(refused.summary).not.toMatch(/missing/);
    }
  });

  it("names a server that cannot be reached or will not share the file, not a missing file", () => {
    const url = "http://x/m/onnx/a.onnx";
    for (const kind of ["unreachable", "no-cors"] as const) {
      const failure = describeModelFailure(new ModelFileError("onnx/a.onnx", { kind, url }), wasmFp32);
      expect(failure.kind).toBe("unreachable");
      expect(failure.summary).toContain(url);
      expect(failure.summary).not.toMatch(/missing/);
    }
  });

  it("names the GPU's buffer limit, an old folder, and keeps other errors as they are", () => {
    const limit = describeModelFailure(new GpuLimitError(100, 200, "w", "onnx/a.onnx_data"), webgpuFp32);
    expect(limit.kind).toBe("gpu-limit");
    expect(describeModelFailure(new CacheReorderMissingError(), wasmFp32).kind).toBe("outdated-folder");
    const failure = describeModelFailure(new Error("Something odd"), webgpuFp32);
    expect(failure).toEqual({ kind: "other", summary: "Something odd", detail: "Something odd", actions: [] });
  });
});

describe("assertQwen3VlConfig", () => {
  it("accepts qwen3_vl and refuses other configs with a typed error naming the file and the model type", () => {
    expect(() => assertQwen3VlConfig({ model_type: "qwen3_vl" }, "m")).not.toThrow();
    let caught: unknown = null;
    try {
      assertQwen3VlConfig({ model_type: "llava" }, "https://host/llava/config.json");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnsupportedModelError);
    expect(caught).toMatchObject({ where: "https://host/llava/config.json", modelType: "llava" });
    expect((caught as Error).message).toContain('https://host/llava/config.json holds a "llava" model');
    expect(describeModelFailure(caught, webgpuFp32).kind).toBe("not-qwen3-vl");
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
