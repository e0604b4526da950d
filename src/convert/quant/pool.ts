import type { SafetensorsDtype } from "../safetensors/read.ts";
import { NonFiniteBlockError, type Q4Matrix } from "./q4.ts";
import type { Q4Kernel } from "./q4-kernel.ts";
import type { Quantizer, RowSlice } from "./quantizer.ts";

/** Buffers of earlier results handed back for reuse (each used when large enough). */
export interface SpareBuffers {
  data?: ArrayBuffer;
  scales?: ArrayBuffer;
  zeroPoints?: ArrayBuffer;
}

/** Where a slice's rows are: bytes at hand, or a byte range of a file that the kernel's thread reads itself (Node). */
export type SliceBytes = { raw: Uint8Array } | { file: { path: string; offset: number; byteLength: number } };

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

/** A kernel thread's answer: the slice's buffers, or why it failed (`row` for a non-finite block). */
export type QuantizeReply =
  | { id: number; data: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array }
  | { id: number; error: string; row?: number };

/** One thread running the kernel (a Node worker thread, a Web Worker), as the pool talks to it. */
export interface KernelThread {
  post(job: QuantizeJob, transfer: ArrayBuffer[]): void;
  /** Registers the handlers of replies and of the thread's failure. */
  listen(onReply: (reply: QuantizeReply) => void, onError: (error: Error) => void): void;
  terminate(): Promise<void>;
}

type Pending = { resolve: (q: Q4Matrix) => void; reject: (error: Error) => void; slice: RowSlice; blockSize: number };

/**
 * Spreads slice quantisation over kernel threads, one job to the least busy; result buffers travel back to the
 * threads for reuse. `bytesOf` turns a slice into what a thread is sent (a host whose threads read files themselves
 * sends the range).
 */
export class ThreadPoolQuantizer implements Quantizer {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly load = new Map<KernelThread, number>();
  private readonly spare: Required<SpareBuffers>[] = [];

  constructor(
    private readonly threads: KernelThread[],
    private readonly bytesOf: (slice: RowSlice) => Promise<SliceBytes> = async (slice) => ({
      raw: await slice.source.getBytes(slice.offset, slice.byteLength),
    }),
    /** slices worth keeping in flight (reads that wait on a network want more than threads that read a disk) */
    readonly parallelism = threads.length * 2,
  ) {
    for (const thread of threads) {
      this.load.set(thread, 0);
      thread.listen(
        (reply) => this.settle(thread, reply),
        (error) => this.failAll(error),
      );
    }
  }

  async quantize(slice: RowSlice, blockSize: number): Promise<Q4Matrix> {
    const bytes = await this.bytesOf(slice);
    const id = this.nextId++;
    const thread = [...this.load.entries()].sort((a, b) => a[1] - b[1])[0][0];
    this.load.set(thread, (this.load.get(thread) ?? 0) + 1);
    const spare: SpareBuffers = this.spare.pop() ?? {};
    const job: QuantizeJob = {
      id,
      bytes,
      dtype: slice.dtype,
      rows: slice.rows,
      columns: slice.columns,
      blockSize,
      spare,
    };
    const transfer = [...Object.values(spare), ...("raw" in bytes ? [bytes.raw.buffer as ArrayBuffer] : [])];
    return new Promise<Q4Matrix>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slice, blockSize });
      thread.post(job, transfer);
    });
  }

  recycle(matrix: Q4Matrix): void {
    if (this.spare.length >= this.parallelism) return;
    this.spare.push({
      data: matrix.data.buffer as ArrayBuffer,
      scales: matrix.scales.buffer as ArrayBuffer,
      zeroPoints: matrix.zeroPoints.buffer as ArrayBuffer,
    });
  }

  async close(): Promise<void> {
    this.failAll(new Error("Quantizer closed while slices were in flight."));
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private settle(thread: KernelThread, reply: QuantizeReply) {
    this.load.set(thread, (this.load.get(thread) ?? 1) - 1);
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ("error" in reply) {
      pending.reject(reply.row === undefined ? new Error(reply.error) : new NonFiniteBlockError(reply.row));
      return;
    }
    const { rows, columns } = pending.slice;
    const { blockSize } = pending;
    const { data, scales, zeroPoints } = reply;
    pending.resolve({
      data,
      scales,
      zeroPoints,
      rows,
      columns,
      blockSize,
      blocksPerRow: Math.ceil(columns / blockSize),
    });
  }

  private failAll(error: Error) {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/**
 * The kernel thread's side: quantises one job and returns the reply with the buffers to transfer back. `readFile`
 * fills kernel memory from a file range (Node threads; a browser sends bytes only).
 */
export function answerJob(
  kernel: Q4Kernel,
  job: QuantizeJob,
  readFile?: (file: { path: string; offset: number }, input: Uint8Array) => void,
): [QuantizeReply, ArrayBuffer[]] {
  try {
    const { bytes } = job;
    let rows: Uint8Array | ((input: Uint8Array) => void);
    if ("raw" in bytes) rows = bytes.raw;
    else if (readFile) rows = (input) => readFile(bytes.file, input);
    else throw new Error("This kernel thread cannot read files; send the slice's bytes.");
    const q = kernel.quantizeSlice(rows, job.dtype, job.rows, job.columns, job.blockSize);
    const scaleBytes = new Uint8Array(q.scales.buffer, q.scales.byteOffset, q.scales.byteLength);
    const reply = {
      id: job.id,
      data: new Uint8Array(copyInto(q.data, job.spare.data), 0, q.data.byteLength),
      scales: new Float32Array(copyInto(scaleBytes, job.spare.scales), 0, q.scales.length),
      zeroPoints: new Uint8Array(copyInto(q.zeroPoints, job.spare.zeroPoints), 0, q.zeroPoints.byteLength),
    };
    return [reply, [reply.data.buffer, reply.scales.buffer, reply.zeroPoints.buffer] as ArrayBuffer[]];
  } catch (error) {
    const row = error instanceof NonFiniteBlockError ? error.row : undefined;
    return [{ id: job.id, error: (error as Error).message, row }, []];
  }
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
