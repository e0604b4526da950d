/** What this browser offers for inference: the one place device capabilities are probed. */
export interface DeviceReport {
  webgpu: {
    adapter: string;
    shaderF16: boolean;
    maxBufferSize: number;
    /** a fallback adapter or a software renderer (SwiftShader, llvmpipe): WebGPU without a GPU */
    software: boolean;
  } | null;
  webgpuError: string | null;
  crossOriginIsolated: boolean;
}

import { formatBytes, type ModelManifest, type SessionDtypes, uniformDtypes } from "./manifest";
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
    const name = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unknown adapter";
    return {
      ...base,
      webgpu: {
        adapter: name,
        shaderF16: adapter.features.has("shader-f16"),
        maxBufferSize: adapter.limits.maxBufferSize,
        software: isSoftwareAdapter(adapter, name),
      },
      webgpuError: null,
    };
  } catch (error) {
    return { ...base, webgpu: null, webgpuError: `requesting a WebGPU adapter failed: ${String(error)}` };
  }
}

/** Software renderers that WebGPU may offer where there is no usable GPU. */
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|lavapipe|microsoft basic render/i;

function isSoftwareAdapter(adapter: GPUAdapter, name: string): boolean {
  const fallback =
    (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return fallback === true || SOFTWARE_RENDERERS.test(name);
}

/** WebAssembly's 32-bit memory: weights beyond it cannot load on WASM. */
export const WASM_MEMORY_BYTES = 4 * 2 ** 30;

/** What the backend choice needs to know about the model beyond its dtypes. */
export interface ModelNeeds {
  /** the model's name, for messages */
  name: string;
  /** bytes the model's weights take on WASM at the given dtypes; null when unknown (no manifest) */
  wasmBytes: (sessions: SessionDtypes) => number | null;
}

/** Why no backend could be chosen for the model. */
export type DeviceChoiceProblem =
  /** the automatic choice: no GPU the app can use, and the model too large for WASM */
  | { kind: "no-usable-device"; model: string; wasmBytes: number; softwareAdapter: string | null }
  /** WebGPU was forced, and the browser gives no adapter */
  | { kind: "webgpu-missing"; reason: string }
  /** WASM was chosen (forced or automatic), and the folder lacks the dtypes WASM can run */
  | { kind: "no-wasm-dtypes"; available: string[] };

/** No backend can run the model as asked; the problem says why and the message what to do. */
export class DeviceChoiceError extends Error {
  override readonly name = "DeviceChoiceError";
  constructor(readonly problem: DeviceChoiceProblem) {
    super(deviceChoiceMessage(problem));
  }
}

function deviceChoiceMessage(problem: DeviceChoiceProblem): string {
  switch (problem.kind) {
    case "no-usable-device": {
      const { model, wasmBytes, softwareAdapter } = problem;
      const gpu = softwareAdapter
        ? `WebGPU offers only ${softwareAdapter}, a software renderer`
        : "this browser gives no WebGPU adapter";
      const force = softwareAdapter
        ? " Choose WebGPU under Device to run it on the software renderer anyway (very slow), or use a machine with a GPU."
        : " Use a machine with a GPU and a browser with WebGPU.";
      return `This machine has no GPU the app can use (${gpu}), and ${model} needs ${formatBytes(wasmBytes)} of weights on WASM, more than WASM's ${formatBytes(WASM_MEMORY_BYTES)} of memory.${force}`;
    }
    case "webgpu-missing":
      return `WebGPU was chosen but ${problem.reason}. Choose WASM instead.`;
    case "no-wasm-dtypes":
      return `This model folder has dtypes ${problem.available.join(", ")}; WASM needs q4 or fp32 with an fp32 or fp16 embedding. Convert with --dtype q4,fp32 or use WebGPU.`;
  }
}

/**
 * Chooses the backend. Automatic: WebGPU on a hardware adapter (q4f16 with `shader-f16`, else q4); WASM (q4) when
 * there is none or only a software one (SwiftShader runs a model about 100× slower than WASM), unless the model is
 * too large for WASM. The user may force either; forcing it on a software adapter is allowed. A model no backend can
 * run as asked (too large for WASM with no usable GPU, WebGPU forced without an adapter, a folder without WASM's
 * dtypes) throws a {@link DeviceChoiceError}.
 */
export function chooseBackend(
  report: DeviceReport,
  available: string[],
  forced?: "webgpu" | "wasm",
  needs?: ModelNeeds,
): BackendChoice {
  if (forced === "wasm") return wasmChoice(available, "WASM on the CPU, because you chose WASM.");
  if (forced === "webgpu") return webgpuChoice(report, available);
  const webgpu = report.webgpu;
  if (webgpu && !webgpu.software) return webgpuChoice(report, available);
  const why = webgpu
    ? `the only WebGPU adapter, ${webgpu.adapter}, is a software renderer without a GPU, far slower than WASM`
    : `WebGPU is unavailable: ${report.webgpuError}`;
  const choice = wasmChoice(available, `WASM on the CPU, because ${why}.`);
  const wasmBytes = needs?.wasmBytes(choice.sessions) ?? null;
  if (wasmBytes !== null && wasmBytes > WASM_MEMORY_BYTES)
    throw new DeviceChoiceError({
      kind: "no-usable-device",
      model: needs?.name ?? "the model",
      wasmBytes,
      softwareAdapter: webgpu?.adapter ?? null,
    });
  return choice;
}

function webgpuChoice(report: DeviceReport, available: string[]): BackendChoice {
  if (!report.webgpu)
    throw new DeviceChoiceError({ kind: "webgpu-missing", reason: report.webgpuError ?? "no adapter" });
  const pick = (preferred: string[]) => preferred.find((d) => available.includes(d)) ?? available[0];
  const { adapter, shaderF16, software } = report.webgpu;
  const dtype = shaderF16 ? pick(["q4f16", "q4", "fp32"]) : pick(["q4", "fp32"]);
  const f16 = shaderF16 ? "it supports shader-f16" : "it lacks shader-f16, so fp16 activations are off";
  const slow = software ? " It is a software renderer without a GPU: expect answers far slower than on a GPU." : "";
  return { device: "webgpu", dtype, sessions: uniformDtypes(dtype), reason: `WebGPU on ${adapter}; ${f16}.${slow}` };
}

/**
 * WASM runs 4-bit MatMulNBits but has no GatherBlockQuantized kernel (ONNX Runtime Web 1.31), so the embedding table
 * is taken at fp32 (or fp16) from the same folder.
 */
function wasmChoice(available: string[], reason: string): BackendChoice {
  const dtype = ["q4", "fp32"].find((d) => available.includes(d));
  const embedding = ["fp32", "fp16"].find((d) => available.includes(d));
  if (!dtype || !embedding) throw new DeviceChoiceError({ kind: "no-wasm-dtypes", available });
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

/** Whether this device can run a model built at a dtype, told before its build downloads anything. */
export type BuiltModelFit =
  | { kind: "runs"; device: "webgpu" | "wasm"; adapter: string | null }
  /** only a software WebGPU renderer: it loads, and answers very slowly */
  | { kind: "software-only"; adapter: string }
  /** no backend here: WebGPU is missing, or the adapter lacks the `shader-f16` that half-float weights need */
  | { kind: "cannot-run"; needs: "webgpu" }
  | { kind: "cannot-run"; needs: "shader-f16"; adapter: string };

/**
 * Where a model built at `dtype` would run here. A build writes that one dtype: its 4-bit embedding (q4, q4f16) and
 * half floats (fp16) have no WASM kernel, so only fp32 within WASM's memory runs on the CPU.
 */
export function builtModelFit(report: DeviceReport, dtype: string, weightBytes: number): BuiltModelFit {
  const gpu = report.webgpu;
  const gpuCanRun = gpu !== null && (gpu.shaderF16 || !usesHalfFloats(dtype));
  if (gpuCanRun && !gpu.software) return { kind: "runs", device: "webgpu", adapter: gpu.adapter };
  if (dtype === "fp32" && weightBytes <= WASM_MEMORY_BYTES) return { kind: "runs", device: "wasm", adapter: null };
  if (gpuCanRun) return { kind: "software-only", adapter: gpu.adapter };
  return gpu
    ? { kind: "cannot-run", needs: "shader-f16", adapter: gpu.adapter }
    : { kind: "cannot-run", needs: "webgpu" };
}

function usesHalfFloats(dtype: string): boolean {
  return dtype === "fp16" || dtype === "q4f16";
}

/** The fit in words, with what the user can do about it. */
export function builtModelFitMessage(fit: BuiltModelFit, dtype: string): string {
  switch (fit.kind) {
    case "runs":
      return fit.device === "webgpu" ? `Runs here on WebGPU (${fit.adapter}).` : "Runs here on WASM, on the CPU.";
    case "software-only":
      return `This machine has no GPU the app can use: WebGPU offers only ${fit.adapter}, a software renderer. The built model loads on it but answers very slowly (a large model, minutes per word). Build it here to keep it or save its folder for a machine with a GPU.`;
    case "cannot-run":
      return fit.needs === "webgpu"
        ? `This browser cannot run a ${dtype} model: it needs WebGPU, which this browser does not offer, and ${dtype === "fp32" ? `its weights exceed WASM's ${formatBytes(WASM_MEMORY_BYTES)} of memory` : "WASM has no kernel for its 4-bit or half-float weights"}. You can still build it and save its folder for a machine with WebGPU.`
        : `This browser cannot run a ${dtype} model: its half-float weights need WebGPU's shader-f16, which ${fit.adapter} lacks. Choose q4 as the dtype.`;
  }
}
