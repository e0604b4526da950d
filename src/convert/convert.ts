import { familyFor } from "./families.ts";
import type { AttentionKind, BuildOptions, ModelFamily, SessionSpec } from "./family-types.ts";
import { GraphBuilder } from "./graph/builder.ts";
import { type ChunkSinks, DEFAULT_CHUNK_BYTES, ExternalDataWriter } from "./graph/external-data.ts";
import {
  BLOCK_SIZE,
  type OutputDtype,
  type PartialTensor,
  PlanningLoader,
  PRECISIONS,
  ScratchMemory,
  SliceQuantizer,
  type WeightLimits,
  WeightLoader,
} from "./graph/weights.ts";
import { type ModelOrigin, modelManifest } from "./manifest.ts";
import type { Quantizer } from "./quant/quantizer.ts";
import { type Checkpoint, openCheckpoint, type SnapshotReader } from "./safetensors/read.ts";
import type { FileSink, FolderSink, WrittenFile } from "./sink.ts";
import { readSnapshotConfig, supportFiles, type TextFile } from "./support-files.ts";

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

/** Progress of a conversion, tagged by status. */
export type ConvertProgress =
  | { status: "start"; totalBytes: number; tensors: number; files: string[] }
  | { status: "progress"; file: string; readBytes: number; totalBytes: number; tensorsDone: number; tensors: number }
  | { status: "done"; files: WrittenFile[] };

/** What to convert and how. */
export interface ConvertOptions {
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
  /** Working-memory bounds per tensor (tests shrink them). */
  limits?: WeightLimits;
}

/** A conversion planned from the snapshot's config and shard headers alone: nothing is written yet. */
export interface PlannedConversion {
  snapshot: SnapshotReader;
  options: ConvertOptions;
  config: Record<string, unknown>;
  family: ModelFamily;
  checkpoint: Checkpoint;
  files: PlannedFile[];
  plans: SessionPlan[];
  /** Bytes of every file the conversion writes (session files, support files, config and manifest aside). */
  plannedBytes: number;
}

/** One session file to build. */
export interface PlannedFile {
  session: SessionSpec;
  dtype: OutputDtype;
  fileName: string;
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
  /** checkpoint tensors it reads */
  tensors: number;
}

/**
 * Reads the snapshot's config and the header of every shard (no weights), checks the family, and plans every file of
 * the conversion to the byte: what a host checks before it writes anything.
 */
export async function planSnapshot(
  snapshot: SnapshotReader,
  options: ConvertOptions,
  signal?: AbortSignal,
): Promise<PlannedConversion> {
  const config = await readSnapshotConfig(snapshot, signal);
  const family = familyFor(config, snapshot.label);
  const sessions = family.prepare(config, buildChoices(options));
  const checkpoint = await openCheckpoint(snapshot, signal);
  const files = planFiles(sessions, options.dtypes, options.visionDtype);
  const plans = await planSessions(files, checkpoint, options);
  const plannedBytes = plans.reduce((sum, p) => sum + p.graphBytes + p.dataFiles.reduce((a, f) => a + f.bytes, 0), 0);
  return { snapshot, options, config, family, checkpoint, files, plans, plannedBytes };
}

/** How a host runs a planned conversion. */
export interface WriteOptions {
  /** Where the model folder goes. */
  sink: FolderSink;
  /** Where 4-bit slices are quantised. */
  quantizer: Quantizer;
  /** Where the snapshot came from, as the manifest records it. */
  origin: ModelOrigin;
  onProgress?: (event: ConvertProgress) => void;
  /** Called whenever weights have reached their file: a point from which the conversion can resume. */
  onCheckpoint?: (partial: PartialTensor | null) => void;
  /** The tensor the conversion was in the middle of when it stopped (a resumed conversion). */
  resumeFrom?: PartialTensor | null;
}

/**
 * Writes a planned conversion into a model folder: support files first (they fail fast on a bad snapshot), then every
 * session's external data and graph, then config.json, and manifest.json last, so a folder with a manifest is whole.
 * A sink that hands back files already partly written (a resumed conversion) has their bytes stepped over: weights
 * already in a file are not read again.
 */
export async function writeModelFolder(
  planned: PlannedConversion,
  write: WriteOptions,
  signal?: AbortSignal,
): Promise<WrittenFile[]> {
  const { snapshot, options, family, checkpoint } = planned;
  const support = await supportFiles(snapshot, family.preprocessorDefaults, signal);
  const written: WrittenFile[] = [];
  for (const file of support) written.push(await writeText(write.sink, file));
  const built = await buildSessions(planned, write, signal);
  written.push(...built.written);
  const config = modelConfig(planned.config, planned.files, built.chunkCounts);
  written.push(await writeText(write.sink, { name: "config.json", text: config }));
  const manifest = modelManifest(written, {
    origin: write.origin,
    dtypes: options.dtypes,
    visionDtype: options.visionDtype,
    modelType: family.modelType,
    attention: buildChoices(options),
    shards: checkpoint.shards,
    demo: options.demo ?? false,
  });
  await writeText(write.sink, { name: "manifest.json", text: manifest });
  write.onProgress?.({ status: "done", files: written });
  return written;
}

async function writeText(sink: FolderSink, file: TextFile): Promise<WrittenFile> {
  return writeWhole(sink, file.name, new TextEncoder().encode(file.text));
}

async function writeWhole(sink: FolderSink, path: string, bytes: Uint8Array): Promise<WrittenFile> {
  const file = await sink.create(path, bytes.byteLength);
  file.write(bytes);
  return { ...(await file.close()), name: path };
}

/**
 * Builds every planned session file. The dry runs listed the tensors each build quantises, so one SliceQuantizer
 * keeps the quantizer busy across tensors and sessions.
 */
async function buildSessions(planned: PlannedConversion, write: WriteOptions, signal?: AbortSignal) {
  const { checkpoint, files, plans, options } = planned;
  const tensorBytes = [...checkpoint.tensors.values()].reduce((sum, t) => sum + t.byteLength, 0);
  const totalBytes = tensorBytes * new Set(files.map((p) => p.dtype)).size;
  const tensors = plans.reduce((sum, plan) => sum + plan.tensors, 0);
  write.onProgress?.({ status: "start", totalBytes, tensors, files: files.map((p) => p.fileName) });
  const written: WrittenFile[] = [];
  const chunkCounts: Record<string, number> = {};
  const quantized = plans.flatMap((plan) => plan.quantized);
  const slices = new SliceQuantizer(checkpoint, write.quantizer, BLOCK_SIZE, options.limits, quantized);
  const scratch = new ScratchMemory();
  let readBytes = 0;
  let tensorsDone = 0;
  for (const [index, file] of files.entries()) {
    const report = () =>
      write.onProgress?.({ status: "progress", file: file.fileName, readBytes, totalBytes, tensorsDone, tensors });
    const loader = new WeightLoader(checkpoint, PRECISIONS[file.dtype], {
      signal,
      onRead: (bytes) => {
        readBytes += bytes;
        report();
      },
      onTensor: () => {
        tensorsDone++;
        report();
      },
      limits: options.limits,
      slices,
      scratch,
      onWritten: write.onCheckpoint,
      resumeFrom: write.resumeFrom,
    });
    const session = await buildSession(file, plans[index], loader, write.sink, options.chunkBytes);
    if (session.length > 1) chunkCounts[file.fileName] = session.length - 1;
    written.push(...session);
  }
  return { written, chunkCounts };
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
    plans.push({
      fileName: file.fileName,
      graphBytes: g.encode().byteLength,
      dataFiles: writer.chunks,
      weightBytes: g.plannedBytes,
      quantized: planner.quantized,
      tensors: planner.tensorsRead,
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

/** Builds one session: its external-data chunks (opened beforehand at their planned sizes), then its graph. */
async function buildSession(
  file: PlannedFile,
  plan: SessionPlan,
  loader: WeightLoader,
  sink: FolderSink,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): Promise<WrittenFile[]> {
  const chunks = new Map<string, FileSink>();
  for (const chunk of plan.dataFiles) chunks.set(chunk.name, await sink.create(`onnx/${chunk.name}`, chunk.bytes));
  const writer = new ExternalDataWriter(chunks as ChunkSinks, file.fileName, chunkBytes);
  const g = new GraphBuilder(file.session.name, writer, PRECISIONS[file.dtype].floatType);
  await file.session.build(g, loader);
  const data = (await writer.close()).map((chunk) => ({ ...chunk, name: `onnx/${chunk.name}` }));
  const graph = await writeWhole(sink, `onnx/${file.fileName}`, g.encode());
  return [{ ...graph, largestInitializer: g.largestInitializer }, ...data];
}

/** config.json with `transformers.js_config`: per-session dtypes of the first dtype and external data chunk counts. */
function modelConfig(config: Record<string, unknown>, planned: PlannedFile[], chunkCounts: Record<string, number>) {
  const dtype: Record<string, OutputDtype> = {};
  for (const file of planned) if (!file.session.appOnly) dtype[file.session.name] ??= file.dtype;
  const jsConfig = {
    ...((config["transformers.js_config"] as Record<string, unknown> | undefined) ?? {}),
    dtype,
    use_external_data_format: chunkCounts,
  };
  return `${JSON.stringify({ ...config, "transformers.js_config": jsConfig }, null, 2)}\n`;
}
