import { parentPort, workerData } from "node:worker_threads";
import type { SafetensorsDtype } from "../safetensors/read.ts";
import { NonFiniteBlockError, type Q4Matrix } from "./q4.ts";
import { Q4Kernel, type SliceBytes } from "./q4-kernel.ts";

/** Buffers of earlier results handed back for reuse (each used when large enough). */
export interface SpareBuffers {
  data?: ArrayBuffer;
  scales?: ArrayBuffer;
  zeroPoints?: ArrayBuffer;
}

/** A slice of rows to quantise, as the pool sends it. */
export interface QuantizeJob {
  id: number;
  bytes: SliceBytes;
  dtype: SafetensorsDtype;
  rows: number;
  columns: number;
  blockSize: number;
  spare: SpareBuffers;
}

/** A worker's answer: the slice's buffers, or why it failed (`row` for a non-finite block). */
export type QuantizeReply =
  | { id: number; data: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array }
  | { id: number; error: string; row?: number };

/** What the pool passes each worker at start: the kernel's binary. */
export interface QuantizeWorkerData {
  wasm: Uint8Array<ArrayBuffer>;
}

const port = parentPort;
if (port) {
  Q4Kernel.create((workerData as QuantizeWorkerData).wasm).then(
    (kernel) => {
      port.on("message", (job: QuantizeJob) => {
        const [reply, transfer] = run(kernel, job);
        port.postMessage(reply, transfer);
      });
      port.postMessage("ready");
    },
    (error: Error) => port.postMessage(`kernel failed: ${error.message}`),
  );
}

function run(kernel: Q4Kernel, job: QuantizeJob): [QuantizeReply, ArrayBuffer[]] {
  try {
    const q = kernel.quantizeSlice(job.bytes, job.dtype, job.rows, job.columns, job.blockSize);
    const scaleBytes = new Uint8Array(q.scales.buffer, q.scales.byteOffset, q.scales.byteLength);
    const reply = {
      id: job.id,
      data: new Uint8Array(copyInto(q.data, job.spare.data), 0, q.data.byteLength),
      scales: new Float32Array(copyInto(scaleBytes, job.spare.scales), 0, q.scales.length),
      zeroPoints: new Uint8Array(copyInto(q.zeroPoints, job.spare.zeroPoints), 0, q.zeroPoints.byteLength),
    };
    return [reply, buffersOf(reply)];
  } catch (error) {
    const row = error instanceof NonFiniteBlockError ? error.row : undefined;
    return [{ id: job.id, error: (error as Error).message, row }, []];
  }
}

function buffersOf(q: Pick<Q4Matrix, "data" | "scales" | "zeroPoints">): ArrayBuffer[] {
  return [q.data.buffer as ArrayBuffer, q.scales.buffer as ArrayBuffer, q.zeroPoints.buffer as ArrayBuffer];
}

/**
 * Copies `bytes` to the start of `spare` when it is large enough, else of a new buffer rounded up to 64 KiB (fresh
 * memory costs a page fault per 4 KiB, so the pool hands buffers back and forth instead of allocating per slice).
 */
function copyInto(bytes: Uint8Array, spare: ArrayBuffer | undefined): ArrayBuffer {
  const buffer =
    spare && spare.byteLength >= bytes.byteLength
      ? spare
      : new ArrayBuffer(Math.ceil(Math.max(1, bytes.byteLength) / 65536) * 65536);
  new Uint8Array(buffer, 0, bytes.byteLength).set(bytes);
  return buffer;
}
