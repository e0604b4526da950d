import { describe, expect, it } from "vitest";
import { CropError } from "../imagery/crop-error";
import { RasterReadError } from "../imagery/raster/open-raster";
import { CallQueue } from "../io/call-queue";
import { FetchSourceError } from "../io/source";
import { type MessageSpec, serveWorker, WorkerClient } from "../io/worker-rpc";
import {
  CacheReorderMissingError,
  DeviceLostError,
  GpuLimitError,
  ModelFileError,
  ModelWorkerRestartedError,
  OutOfMemoryError,
  typedRuntimeError,
  UnsupportedModelError,
} from "./model-errors";

const CASES: Array<[string, () => Error]> = [
  [
    "ModelFileError, hash mismatch",
    () =>
      new ModelFileError("config.json", {
        kind: "hash-mismatch",
        expectedSha256: "a".repeat(64),
        actualSha256: "b".repeat(64),
        expectedBytes: 1200,
        actualBytes: 1203,
      }),
  ],
  [
    "ModelFileError, HTTP status",
    () => new ModelFileError("onnx/a.onnx", { kind: "http-status", url: "http://x/m/onnx/a.onnx", status: 403 }),
  ],
  [
    "ModelFileError, unreadable folder",
    () =>
      new ModelFileError("config.json", {
        kind: "folder-unreadable",
        url: "http://x/m/",
        manifestStatus: 404,
        configStatus: 500,
      }),
  ],
  ["ModelFileError, unreachable", () => new ModelFileError("config.json", { kind: "unreachable", url: "http://x/m/" })],
  ["ModelFileError, no CORS", () => new ModelFileError("manifest.json", { kind: "no-cors", url: "http://x/m/" })],
  ["UnsupportedModelError", () => new UnsupportedModelError("http://x/m/config.json", "llava")],
  ["GpuLimitError", () => new GpuLimitError(268_435_456, 300_000_000, "embed_tokens.weight", "onnx/e.onnx_data")],
  ["DeviceLostError", () => new DeviceLostError("destroyed", "device.destroy() called", "reload the model")],
  ["OutOfMemoryError", () => new OutOfMemoryError("wasm", "std::bad_alloc")],
  ["CacheReorderMissingError", () => new CacheReorderMissingError()],
  ["ModelWorkerRestartedError", () => new ModelWorkerRestartedError("recovery")],
  ["CropError", () => new CropError("Esri", { z: 17, x: 1, y: 2 }, "HTTP 500 for http://t/17/1/2")],
  [
    "RasterReadError",
    () =>
      new RasterReadError({
        valid: false,
        problem: { kind: "truncated", size: 1000, needed: 4096 },
        reason: "a.tif is truncated: 1000 bytes, its tile index needs 4096",
      }),
  ],
  ["FetchSourceError", () => new FetchSourceError("https://x/a.tif", { kind: "http-status", status: 403 })],
];

type Messages = { fail: MessageSpec<{ index: number }, never> };

// One realm: both ends know every class, so this checks the fields' round trip; e2e/model-errors.spec.ts raises
// each type the real worker bundle registers and checks that the page re-creates it.
describe("model errors through the worker RPC's error data", () => {
  const channel = new MessageChannel();
  channel.port1.start();
  channel.port2.start();
  serveWorker<Messages>(
    channel.port2,
    {
      fail: async ({ index }) => {
        throw CASES[index][1]();
      },
    },
    { queue: new CallQueue() },
  );
  const client = new WorkerClient<Messages>(channel.port1);

  for (const [index, [label, make]] of CASES.entries()) {
    it(`${label} comes back as its class with every field intact`, async () => {
      const original = make();
      const received = await client.call("fail", { index }).catch((error: unknown) => error);
      expect(received).toBeInstanceOf(original.constructor);
      expect(received).toBeInstanceOf(Error);
      expect((received as Error).name).toBe(original.name);
      expect((received as Error).message).toBe(original.message);
      expect({ ...(received as object) }).toEqual({ ...original });
    });
  }

  it("aborts come back as an AbortError DOMException", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(client.call("fail", { index: 0 }, { signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
    channel.port1.close();
  });
});

describe("typedRuntimeError", () => {
  it("types ONNX Runtime's out-of-memory and lost-device texts where they are caught, and passes others on", () => {
    expect(typedRuntimeError(new Error("std::bad_alloc"), "wasm")).toBeInstanceOf(OutOfMemoryError);
    expect(typedRuntimeError(new Error("[WebGPU] Device is lost (reason: unknown)"), "webgpu")).toBeInstanceOf(
      DeviceLostError,
    );
    const typed = new UnsupportedModelError("x", null);
    expect(typedRuntimeError(typed, "wasm")).toBe(typed);
    const other = new Error("Something odd");
    expect(typedRuntimeError(other, "wasm")).toBe(other);
  });
});
