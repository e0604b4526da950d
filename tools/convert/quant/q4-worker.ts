import { parentPort, workerData } from "node:worker_threads";
import { answerJob, type QuantizeJob } from "../../../src/convert/quant/pool.ts";
import { Q4Kernel } from "../../../src/convert/quant/q4-kernel.ts";
import { readFileRangeSync } from "../../io/file-source.ts";

/** What the pool passes each worker thread at start: the kernel's binary. */
export interface QuantizeWorkerData {
  wasm: Uint8Array<ArrayBuffer>;
}

const port = parentPort;
if (port) {
  Q4Kernel.create((workerData as QuantizeWorkerData).wasm).then(
    (kernel) => {
      port.on("message", (job: QuantizeJob) => {
        const [reply, transfer] = answerJob(kernel, job, (file, input) =>
          readFileRangeSync(file.path, file.offset, input),
        );
        port.postMessage(reply, transfer);
      });
      port.postMessage("ready");
    },
    (error: Error) => port.postMessage(`kernel failed: ${error.message}`),
  );
}
