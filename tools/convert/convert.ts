import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { writeFolderAtomically } from "../io/atomic-folder.ts";
import { ensureFreeSpace } from "../io/disk-space.ts";
import { type AttentionKind, type BuildOptions, familyFor, type SessionSpec } from "./families.ts";
import { readSnapshotConfig, writeSupportFiles, writeTracked } from "./folder.ts";
import { GraphBuilder } from "./graph/builder.ts";
import { DEFAULT_CHUNK_BYTES, ExternalDataWriter, type WrittenFile } from "./graph/external-data.ts";
import {
  BLOCK_SIZE,
  type OutputDtype,
  PlanningLoader,
  PRECISIONS,
  ScratchMemory,
  SliceQuantizer,
  type WeightLimits,
  WeightLoader,
} from "./graph/weights.ts";
import { InlineQuantizer, type Quantizer, WorkerQuantizer } from "./quant/pool.ts";
import { openCheckpointDir } from "./safetensors/open-dir.ts";
import type { Checkpoint } from "./safetensors/read.ts";
import { snapshotOrigin } from "./snapshot-origin.ts";

/** Default cap on quantising threads (each holds a few slices of about 8 MiB). */
const MAX_DEFAULT_WORKERS = 8;

/**
 * Portable attention in both parts by default. On onnxruntime-web 1.31-dev's WebGPU execution provider (the build
 * transformers.js 4.3.1 pins), measured on Chromium's WebGPU adapter (SwiftShader), both fused kernels are wrong
 * beyond 16 keys: MultiHeadAttention alone gave relative errors of 1e-3…1e-1 against its own WASM kernel and a
 * float64 reference (2–4 heads of 16–72 dims, 33–100 keys; 2e-7 at 16 keys), and the tiny model's decoder with
 * GroupQueryAttention gave logits 0.24 off at a 40-token prefill (1e-4 at 7 tokens). Their CPU and WASM kernels agree
 * with the portable graphs to 1e-6. `fused` stays available for runtimes where it checks out.
 */
export const DEFAULT_ATTENTION: AttentionKind = "portable";
export const DEFAULT_VISION_ATTENTION: AttentionKind = "portable";

/** Checks an `--attention` or `--vision-attention` value, naming the allowed ones. */
export function parseAttention(text: string, flag = "--attention"): AttentionKind {
  if (text === "fused" || text === "portable") return text;
  throw new Error(`Unsupported ${flag} ${JSON.stringify(text)}; expected fused or portable.`);
}

/** File suffix per dtype, as transformers.js 4.x names them (utils/dtypes.js). */
export const DTYPE_SUFFIX: Record<OutputDtype, string> = { fp32: "", fp16: "_fp16", q4: "_q4", q4f16: "_q4f16" };

/** Progress of a conversion, tagged by status. */
export type ConvertProgress =
  | { status: "start"; totalBytes: number; files: string[] }
  | { status: "progress"; file: string; readBytes: number; totalBytes: number }
  | { status: "done"; outDir: string; files: WrittenFile[] };

/** What to convert and how. */
export interface ConvertOptions {
  snapshotDir: string;
  outDir: string;
  /** Text dtypes; one set of session files per entry. */
  dtypes: OutputDtype[];
  /** Vision dtype; defaults to each text dtype. */
  visionDtype?: OutputDtype;
  /** External data chunk limit in bytes (default just under 2 GB). */
  chunkBytes?: number;
  /** Decoder attention: portable MatMul/Softmax (default) or fused contrib ops. */
  attention?: AttentionKind;
  /** Vision tower attention: portable (default) or fused. */
  visionAttention?: AttentionKind;
  /** Marks the manifest `demo: true` (random-weight test models the app labels as such). */
  demo?: boolean;
  /** Worker threads quantising 4-bit slices (default: available parallelism up to 8; 0 quantises inline). */
  workers?: number;
  /** Working-memory bounds per tensor (tests shrink them). */
  limits?: WeightLimits;
  onProgress?: (event: ConvertProgress) => void;
}

/** Checks a `--dtype`/`--vision-dtype` list, naming the allowed values. */
export function parseDtypes(text: string, flag: string): OutputDtype[] {
  const allowed = Object.keys(PRECISIONS);
  const values = text
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  const bad = values.filter((v) => !allowed.includes(v));
  if (values.length === 0 || bad.length > 0) {
    throw new Error(
      `Unsupported ${flag} ${JSON.stringify(bad.join(",") || text)}; expected one or more of: ${allowed.join(", ")} (comma-separated).`,
    );
  }
  return values as OutputDtype[];
}

interface PlannedFile {
  session: SessionSpec;
  dtype: OutputDtype;
  fileName: string;
}

/**
 * Converts a Hugging Face snapshot into a transformers.js model folder. Everything is written to a hidden sibling
 * folder renamed over `<out>` only at the end (tools/io/atomic-folder.ts), so a failed run never looks complete.
 */
export async function convertSnapshot(options: ConvertOptions, signal?: AbortSignal): Promise<WrittenFile[]> {
  const quantizes = [...options.dtypes, options.visionDtype].some((dtype) => dtype && PRECISIONS[dtype].quantize);
  const workers = options.workers ?? Math.min(availableParallelism(), MAX_DEFAULT_WORKERS);
  // Workers start (about 0.1 s) while the snapshot is read and the builds are planned.
  const starting = quantizes ? WorkerQuantizer.start(workers) : Promise.resolve(undefined);
  try {
    return await convertWith(options, starting, signal);
  } finally {
    await (await starting)?.close(); // start never rejects: workers that cannot start give undefined
  }
}

async function convertWith(
  options: ConvertOptions,
  starting: Promise<Quantizer | undefined>,
  signal?: AbortSignal,
): Promise<WrittenFile[]> {
  const { snapshotDir, dtypes } = options;
  const outDir = resolve(options.outDir);
  const config = await readSnapshotConfig(snapshotDir);
  const family = familyFor(config, snapshotDir);
  const build = buildChoices(options);
  const sessions = family.prepare(config, build);
  const checkpoint = await openCheckpointDir(snapshotDir, signal);
  const planned = planFiles(sessions, dtypes, options.visionDtype);
  const plans = await planSessions(planned, checkpoint, options);
  const plannedBytes = plans.reduce((sum, p) => sum + p.graphBytes + p.dataFiles.reduce((a, f) => a + f.bytes, 0), 0);
  await ensureFreeSpace(dirname(outDir), plannedBytes, `Converting ${snapshotDir} to ${dtypes.join(", ")}`);
  const written = await writeFolderAtomically(
    outDir,
    async (partial) => {
      await mkdir(join(partial, "onnx"));
      const quantized = plans.flatMap((plan) => plan.quantized);
      const built = await buildSessions(
        planned,
        checkpoint,
        quantized,
        join(partial, "onnx"),
        options,
        starting,
        signal,
      );
      const files = [...built.written, ...(await writeSupportFiles(snapshotDir, partial, family.preprocessorDefaults))];
      files.push(await writeTracked(partial, "config.json", modelConfig(config, planned, built.chunkCounts)));
      await writeManifest(partial, files, {
        snapshotDir,
        dtypes,
        visionDtype: options.visionDtype,
        modelType: family.modelType,
        attention: build,
        shards: checkpoint.shards,
        demo: options.demo ?? false,
      });
      return files;
    },
    signal,
  );
  options.onProgress?.({ status: "done", outDir, files: written });
  return written;
}

/**
 * Builds every planned session file, quantising on the started workers (inline where they could not start). A
 * dry run of each build first lists the tensors it quantises, so one SliceQuantizer keeps the workers busy across
 * tensors and sessions.
 */
async function buildSessions(
  planned: PlannedFile[],
  checkpoint: Checkpoint,
  plan: string[],
  onnxDir: string,
  options: ConvertOptions,
  starting: Promise<Quantizer | undefined>,
  signal?: AbortSignal,
): Promise<{ written: WrittenFile[]; chunkCounts: Record<string, number> }> {
  const tensorBytes = [...checkpoint.tensors.values()].reduce((sum, t) => sum + t.byteLength, 0);
  const totalBytes = tensorBytes * new Set(planned.map((p) => p.dtype)).size;
  options.onProgress?.({ status: "start", totalBytes, files: planned.map((p) => p.fileName) });
  const written: WrittenFile[] = [];
  const chunkCounts: Record<string, number> = {};
  const quantizer = (await starting) ?? new InlineQuantizer();
  const slices = new SliceQuantizer(checkpoint, quantizer, BLOCK_SIZE, options.limits, plan);
  const scratch = new ScratchMemory();
  let readBytes = 0;
  for (const file of planned) {
    const onRead = (bytes: number) => {
      readBytes += bytes;
      options.onProgress?.({ status: "progress", file: file.fileName, readBytes, totalBytes });
    };
    const loader = new WeightLoader(checkpoint, PRECISIONS[file.dtype], {
      signal,
      onRead,
      limits: options.limits,
      slices,
      scratch,
    });
    const files = await buildSession(file, loader, onnxDir, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    if (files.length > 1) chunkCounts[file.fileName] = files.length - 1;
    written.push(...files.map((f) => ({ ...f, name: `onnx/${f.name}` })));
  }
  return { written, chunkCounts };
}

/** What a dry run of one session file foresees: its exact sizes and the tensors it quantises, in order. */
export interface SessionPlan {
  fileName: string;
  /** the .onnx file */
  graphBytes: number;
  /** external-data chunks, by name */
  dataFiles: { name: string; bytes: number }[];
  /** bytes of its weight initializers (inline and external), padding aside */
  weightBytes: number;
  quantized: string[];
}

/** A dry run of every planned build (no weights read or made): sizes and quantisation order. */
async function planSessions(
  planned: PlannedFile[],
  checkpoint: Pick<Checkpoint, "tensors">,
  options: Pick<ConvertOptions, "chunkBytes" | "limits">,
) {
  const plans: SessionPlan[] = [];
  for (const file of planned) {
    const precision = PRECISIONS[file.dtype];
    const planner = new PlanningLoader(checkpoint as Checkpoint, precision, { limits: options.limits });
    const writer = new ExternalDataWriter(null, file.fileName, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    const g = new GraphBuilder(file.session.name, writer, precision.floatType);
    await file.session.build(g, planner);
    const dataFiles = writer.close().map(({ name, bytes }) => ({ name, bytes }));
    const graphBytes = g.encode().byteLength;
    plans.push({
      fileName: file.fileName,
      graphBytes,
      dataFiles,
      weightBytes: g.plannedBytes,
      quantized: planner.quantized,
    });
  }
  return plans;
}

/**
 * The session files a conversion would write and their exact sizes, from the snapshot's config and tensor list
 * alone (`tensors` needs shapes and names; nothing is read).
 */
export async function planConversion(
  config: Record<string, unknown>,
  checkpoint: Pick<Checkpoint, "tensors">,
  options: Pick<ConvertOptions, "dtypes" | "visionDtype" | "attention" | "visionAttention" | "chunkBytes" | "limits">,
): Promise<SessionPlan[]> {
  const family = familyFor(config, "the snapshot");
  const sessions = family.prepare(config, buildChoices(options));
  const planned = planFiles(sessions, options.dtypes, options.visionDtype);
  return planSessions(planned, checkpoint, options);
}

function buildChoices(options: Pick<ConvertOptions, "attention" | "visionAttention">): BuildOptions {
  return {
    attention: options.attention ?? DEFAULT_ATTENTION,
    visionAttention: options.visionAttention ?? DEFAULT_VISION_ATTENTION,
  };
}

function planFiles(sessions: SessionSpec[], dtypes: OutputDtype[], visionDtype?: OutputDtype): PlannedFile[] {
  const seen = new Map<string, PlannedFile>();
  for (const dtype of dtypes) {
    for (const session of sessions) {
      const sessionDtype = session.part === "vision" ? (visionDtype ?? dtype) : dtype;
      const fileName = `${session.name}${DTYPE_SUFFIX[sessionDtype]}.onnx`;
      if (!seen.has(fileName)) seen.set(fileName, { session, dtype: sessionDtype, fileName });
    }
  }
  return [...seen.values()];
}

async function buildSession(file: PlannedFile, loader: WeightLoader, onnxDir: string, chunkBytes: number) {
  const writer = new ExternalDataWriter(onnxDir, file.fileName, chunkBytes);
  try {
    const g = new GraphBuilder(file.session.name, writer, PRECISIONS[file.dtype].floatType);
    await file.session.build(g, loader);
    const chunks = writer.close();
    const model = await writeTracked(onnxDir, file.fileName, g.encode());
    return [{ ...model, largestInitializer: g.largestInitializer }, ...chunks];
  } finally {
    writer.close();
  }
}

/** config.json with `transformers.js_config`: per-session dtypes of the first dtype and external data chunk counts. */
function modelConfig(
  config: Record<string, unknown>,
  planned: PlannedFile[],
  chunkCounts: Record<string, number>,
): string {
  const dtype: Record<string, OutputDtype> = {};
  for (const file of planned) if (!file.session.appOnly) dtype[file.session.name] ??= file.dtype;
  const jsConfig = {
    ...((config["transformers.js_config"] as Record<string, unknown> | undefined) ?? {}),
    dtype,
    use_external_data_format: chunkCounts,
  };
  return `${JSON.stringify({ ...config, "transformers.js_config": jsConfig }, null, 2)}\n`;
}

async function writeManifest(
  dir: string,
  files: WrittenFile[],
  source: {
    snapshotDir: string;
    dtypes: OutputDtype[];
    visionDtype?: OutputDtype;
    modelType: string;
    attention: BuildOptions;
    shards: string[];
    demo: boolean;
  },
): Promise<void> {
  const manifest = {
    format: "geozero-web model folder 1",
    source: { ...snapshotOrigin(source.snapshotDir), modelType: source.modelType, shards: source.shards },
    dtypes: source.dtypes,
    visionDtype: source.visionDtype ?? null,
    attention: source.attention.attention,
    visionAttention: source.attention.visionAttention,
    ...(source.demo ? { demo: true } : {}),
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    files: [...files]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((f) => ({
        path: f.name,
        bytes: f.bytes,
        sha256: f.sha256,
        ...(f.largestInitializer ? { largestInitializer: f.largestInitializer } : {}),
      })),
  };
  await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}
