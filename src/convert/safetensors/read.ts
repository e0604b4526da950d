import type { ByteSource } from "../../io/source.ts";
import { SnapshotError } from "../snapshot-error.ts";

/** Element types a Hugging Face checkpoint may hold that the converter reads. */
export type SafetensorsDtype = "BF16" | "F16" | "F32";

/** Bytes per element of each supported dtype. */
export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { BF16: 2, F16: 2, F32: 4 };

/** One tensor of a checkpoint: where its bytes are and how to read them. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The shard (file name) holding it. */
  shard: string;
  /** Absolute byte offset of its data in the shard. */
  offset: number;
  byteLength: number;
}

/** The tensors of one shard, parsed from its JSON header. */
export interface ShardHeader {
  shard: string;
  tensors: TensorInfo[];
  /** Size the header promises: 8 + header length + the largest data end offset. */
  expectedBytes: number;
  metadata: Record<string, string>;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Parses a shard's header through a byte source, checking that the file holds every tensor it lists. */
export async function readShardHeader(source: ByteSource, shard: string, signal?: AbortSignal): Promise<ShardHeader> {
  const fileSize = await source.size(signal);
  if (fileSize < 8) throw new Error(`${shard}: ${fileSize} bytes, too short for a safetensors file (expected ≥ 8).`);
  const lengthBytes = await source.getBytes(0, 8, signal);
  const headerLength = Number(new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
    throw new Error(
      `${shard}: header length ${headerLength} does not fit a ${fileSize}-byte file; the shard is truncated or not safetensors.`,
    );
  }
  const headerText = new TextDecoder().decode(await source.getBytes(8, headerLength, signal));
  const parsed = JSON.parse(headerText) as Record<string, unknown>;
  const dataStart = 8 + headerLength;
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  let dataEnd = 0;
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const tensor = parseEntry(shard, name, entry, dataStart);
    dataEnd = Math.max(dataEnd, tensor.offset + tensor.byteLength - dataStart);
    tensors.push(tensor);
  }
  const expectedBytes = dataStart + dataEnd;
  if (fileSize < expectedBytes) {
    throw new SnapshotError(shard, { kind: "truncated", shard, expectedBytes, actualBytes: fileSize });
  }
  return { shard, tensors, expectedBytes, metadata };
}

function parseEntry(shard: string, name: string, entry: unknown, dataStart: number): TensorInfo {
  const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
  if (!(dtype in DTYPE_BYTES)) {
    throw new Error(
      `${shard}: tensor ${name} has dtype ${dtype}; expected one of ${Object.keys(DTYPE_BYTES).join(", ")}.`,
    );
  }
  const elements = shape.reduce((product, dim) => product * dim, 1);
  const byteLength = data_offsets[1] - data_offsets[0];
  if (byteLength !== elements * DTYPE_BYTES[dtype as SafetensorsDtype]) {
    throw new SnapshotError(shard, {
      kind: "header-mismatch",
      shard,
      tensor: name,
      detail: `[${shape}] ${dtype} spans ${byteLength} bytes; expected ${elements * DTYPE_BYTES[dtype as SafetensorsDtype]}`,
    });
  }
  return { name, dtype: dtype as SafetensorsDtype, shape, shard, offset: dataStart + data_offsets[0], byteLength };
}

/** A checkpoint opened for reading: every tensor by name, read one at a time. */
export interface Checkpoint {
  tensors: Map<string, TensorInfo>;
  shards: string[];
  /** Total bytes of all shards. */
  totalBytes: number;
  /** Reads one tensor as float32 (bf16 and fp16 widened). */
  readFloat32(name: string, signal?: AbortSignal): Promise<Float32Array>;
  /** Reads one tensor's raw bytes. */
  readRaw(name: string, signal?: AbortSignal): Promise<Uint8Array>;
  /** Reads rows [firstRow, firstRow + rowCount) of a tensor (first axis) as float32. */
  readRowsFloat32(name: string, firstRow: number, rowCount: number, signal?: AbortSignal): Promise<Float32Array>;
  /** Reads rows [firstRow, firstRow + rowCount) of a tensor (first axis) as raw bytes in its own buffer. */
  readRowsRaw(name: string, firstRow: number, rowCount: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Where rows [firstRow, firstRow + rowCount) of a tensor are: their shard's byte source and byte range. */
  locateRows(name: string, firstRow: number, rowCount: number): RowsLocation;
}

/** A byte range of one shard. */
export interface RowsLocation {
  source: ByteSource;
  offset: number;
  byteLength: number;
}

/** A Hugging Face snapshot as the converter reads it: small files as text, large ones by range. */
export interface SnapshotReader {
  /** What the snapshot is, for messages: a folder's name, or a repository and commit. */
  readonly label: string;
  /** A text file of the snapshot (config, index, tokenizer), or undefined when the snapshot has none. */
  readText(name: string, signal?: AbortSignal): Promise<string | undefined>;
  /** A byte source over one file of the snapshot (a safetensors shard), or undefined when it has no such file. */
  open(name: string): ByteSource | undefined;
}

/**
 * Opens a snapshot's weights: `model.safetensors.index.json` with its shards, or a single `model.safetensors`.
 * Missing or truncated shards fail here, naming the shard.
 */
export async function openCheckpoint(snapshot: SnapshotReader, signal?: AbortSignal): Promise<Checkpoint> {
  const shards = await listShards(snapshot, signal);
  const tensors = new Map<string, TensorInfo>();
  const sources = new Map<string, ByteSource>();
  let totalBytes = 0;
  for (const shard of shards) {
    const source = snapshot.open(shard);
    if (!source) {
      throw new SnapshotError(snapshot.label, {
        kind: "missing-file",
        file: shard,
        why: "model.safetensors.index.json names it, but the snapshot has no such file; download it (the upload or download is incomplete).",
      });
    }
    sources.set(shard, source);
    const header = await readShardHeader(source, shard, signal);
    totalBytes += header.expectedBytes;
    for (const tensor of header.tensors) tensors.set(tensor.name, tensor);
  }
  const readRaw = async (name: string, rawSignal?: AbortSignal): Promise<Uint8Array> => {
    const info = tensors.get(name);
    if (!info)
      throw new Error(`Tensor ${name} is not in the checkpoint (${tensors.size} tensors in ${shards.join(", ")}).`);
    const source = sources.get(info.shard) as ByteSource;
    return source.getBytes(info.offset, info.byteLength, rawSignal);
  };
  const readFloat32 = async (name: string, readSignal?: AbortSignal): Promise<Float32Array> => {
    const info = tensors.get(name) as TensorInfo | undefined;
    const raw = await readRaw(name, readSignal);
    return toFloat32(raw, (info as TensorInfo).dtype);
  };
  const locateRows = (name: string, firstRow: number, rowCount: number): RowsLocation => {
    const info = tensors.get(name);
    if (!info)
      throw new Error(`Tensor ${name} is not in the checkpoint (${tensors.size} tensors in ${shards.join(", ")}).`);
    const rowBytes = info.byteLength / info.shape[0];
    if (firstRow < 0 || firstRow + rowCount > info.shape[0]) {
      throw new RangeError(
        `Tensor ${name} has ${info.shape[0]} rows; asked for rows ${firstRow}..${firstRow + rowCount}.`,
      );
    }
    const source = sources.get(info.shard) as ByteSource;
    return { source, offset: info.offset + firstRow * rowBytes, byteLength: rowCount * rowBytes };
  };
  const readRowsRaw = async (name: string, firstRow: number, rowCount: number, rowsSignal?: AbortSignal) => {
    const { source, offset, byteLength } = locateRows(name, firstRow, rowCount);
    return source.getBytes(offset, byteLength, rowsSignal);
  };
  const readRowsFloat32 = async (name: string, firstRow: number, rowCount: number, rowsSignal?: AbortSignal) => {
    const raw = await readRowsRaw(name, firstRow, rowCount, rowsSignal);
    return toFloat32(raw, (tensors.get(name) as TensorInfo).dtype);
  };
  return { tensors, shards, totalBytes, readFloat32, readRaw, readRowsFloat32, readRowsRaw, locateRows };
}

/** The shard file names of a snapshot: those of its index, or the single `model.safetensors`. */
export async function listShards(snapshot: SnapshotReader, signal?: AbortSignal): Promise<string[]> {
  const indexText = await snapshot.readText("model.safetensors.index.json", signal);
  if (indexText === undefined) return ["model.safetensors"];
  const index = JSON.parse(indexText) as { weight_map?: Record<string, string> };
  if (!index.weight_map) {
    throw new Error(
      `${snapshot.label}/model.safetensors.index.json has no weight_map; expected a Hugging Face shard index.`,
    );
  }
  return [...new Set(Object.values(index.weight_map))].sort();
}

/** Widens bf16 / fp16 bytes (little-endian) to float32; f32 bytes are copied. */
export function toFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const count = raw.byteLength / DTYPE_BYTES[dtype];
  if (dtype === "F32") return new Float32Array(raw.slice().buffer, 0, count);
  const halves =
    raw.byteOffset % 2 === 0
      ? new Uint16Array(raw.buffer, raw.byteOffset, count)
      : new Uint16Array(raw.slice().buffer, 0, count);
  if (dtype === "BF16") {
    const words = new Uint32Array(count);
    for (let i = 0; i < count; i++) words[i] = halves[i] << 16;
    return new Float32Array(words.buffer);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]);
  return out;
}

/** Converts one IEEE half-precision bit pattern to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
