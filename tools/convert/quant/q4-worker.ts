import { parentPort } from "node:worker_threads";
import type { SafetensorsDtype } from "../safetensors/read.ts";
import { quantizeQ4Raw } from "./q4.ts";

/** A slice of rows to widen and quantise, as the pool sends it. */
export interface QuantizeJob {
  id: number;
  raw: Uint8Array;
  dtype: SafetensorsDtype;
  rows: number;
  columns: number;
  blockSize: number;
}

const port = parentPort;
if (port) {
  port.on("message", (job: QuantizeJob) => {
    const q = quantizeQ4Raw(job.raw, job.dtype, job.rows, job.columns, job.blockSize);
    port.postMessage({ id: job.id, data: q.data, scales: q.scales, zeroPoints: q.zeroPoints }, [
      q.data.buffer as ArrayBuffer,
      q.scales.buffer as ArrayBuffer,
      q.zeroPoints.buffer as ArrayBuffer,
    ]);
  });
  port.postMessage("ready");
}
