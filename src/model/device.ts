/** What this browser offers for inference: the one place device capabilities are probed. */
export interface DeviceReport {
  webgpu: { adapter: string; shaderF16: boolean; maxBufferSize: number } | null;
  webgpuError: string | null;
  crossOriginIsolated: boolean;
}

import { type ModelManifest, type SessionDtypes, uniformDtypes } from "./manifest";
import { GpuLimitError } from "./model-errors";

/** The first weight of the files to load that one buffer of the adapter cannot hold, or null when all fit. */
export function gpuLimitProblem(
  files: ModelManifest["files"],
  limits: Pick<GPUSupportedLimits, "maxBufferSize">,
): GpuLimitError | null {
  for (const file of files) {
    const largest = file.largestInitializer;
    if (largest && largest.bytes > limits.maxBufferSize)
      return new GpuLimitError(limits.maxBufferSize, largest.bytes, largest.name, file.path);
  }
  return null;
}

/** Throws a GpuLimitError before any download when the adapter ONNX Runtime will use cannot hold a weight. */
export async function checkGpuLimits(files: ModelManifest["files"]): Promise<void> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return;
  const problem = gpuLimitProblem(files, adapter.limits);
  if (problem) throw problem;
}

/** Where and at which precision the model runs, and why, in words for the user. */
export interface BackendChoice {
  device: "webgpu" | "wasm";
  dtype: string;
  sessions: SessionDtypes;
  reason: string;
}

/** Probes WebGPU (adapter, `shader-f16`, buffer limit). Works in a window or a worker. */
export async function probeDevice(): Promise<DeviceReport> {
  const base = { crossOriginIsolated: globalThis.crossOriginIsolated === true };
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { ...base, webgpu: null, webgpuError: "this browser has no WebGPU (navigator.gpu is missing)" };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { ...base, webgpu: null, webgpuError: "WebGPU gave no adapter (no suitable GPU or driver)" };
    const info = adapter.info;
    return {
      ...base,
      webgpu: {
        adapter: [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unknown adapter",
        shaderF16: adapter.features.has("shader-f16"),
        maxBufferSize: adapter.limits.maxBufferSize,
      },
      webgpuError: null,
    };
  } catch (error) {
    return { ...base, webgpu: null, webgpuError: `requesting a WebGPU adapter failed: ${String(error)}` };
  }
}

/**
 * Chooses the backend: WebGPU when an adapter exists (q4f16 with `shader-f16`, else q4), else WASM (q4). The user may
 * force either; forcing WebGPU without an adapter is refused with the reason.
 */
export function chooseBackend(report: DeviceReport, available: string[], forced?: "webgpu" | "wasm"): BackendChoice {
  const pick = (preferred: string[]) => preferred.find((d) => available.includes(d)) ?? available[0];
  if (forced === "wasm" || (!report.webgpu && forced !== "webgpu")) {
    const why = forced === "wasm" ? "you chose WASM" : `WebGPU is unavailable: ${report.webgpuError}`;
    return wasmChoice(available, `WASM on the CPU, because ${why}.`);
  }
  if (!report.webgpu) {
    throw new Error(`WebGPU was chosen but ${report.webgpuError}. Choose WASM instead.`);
  }
  const { adapter, shaderF16 } = report.webgpu;
  const dtype = shaderF16 ? pick(["q4f16", "q4", "fp32"]) : pick(["q4", "fp32"]);
  const f16 = shaderF16 ? "it supports shader-f16" : "it lacks shader-f16, so fp16 activations are off";
  return { device: "webgpu", dtype, sessions: uniformDtypes(dtype), reason: `WebGPU on ${adapter}; ${f16}.` };
}

/**
 * WASM runs 4-bit MatMulNBits but has no GatherBlockQuantized kernel (ONNX Runtime Web 1.31), so the embedding table
 * is taken at fp32 (or fp16) from the same folder.
 */
function wasmChoice(available: string[], reason: string): BackendChoice {
  const dtype = ["q4", "fp32"].find((d) => available.includes(d));
  const embedding = ["fp32", "fp16"].find((d) => available.includes(d));
  if (!dtype || !embedding) {
    throw new Error(
      `This model folder has dtypes ${available.join(", ")}; WASM needs q4 or fp32 with an fp32 or fp16 embedding. Convert with --dtype q4,fp32 or use WebGPU.`,
    );
  }
  const sessions = { ...uniformDtypes(dtype), embed_tokens: dtype === "q4" ? embedding : dtype };
  const note =
    sessions.embed_tokens === dtype
      ? ""
      : ` The embedding table loads at ${embedding}: WASM has no kernel for 4-bit gathers.`;
  return { device: "wasm", dtype, sessions, reason: reason + note };
}

/** The same backend at another dtype the user chose (WASM keeps a non-4-bit embedding, as in {@link wasmChoice}). */
export function withDtype(choice: BackendChoice, dtype: string): BackendChoice {
  const sessions = uniformDtypes(dtype);
  if (choice.device === "wasm" && dtype.startsWith("q4")) sessions.embed_tokens = "fp32";
  return { ...choice, dtype, sessions, reason: `${choice.reason} You chose ${dtype}.` };
}
