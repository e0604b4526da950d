/// <reference lib="webworker" />
import { answerJob, type QuantizeJob } from "../convert/quant/pool.ts";
import { Q4Kernel } from "../convert/quant/q4-kernel.ts";
import { Q4_KERNEL_URL } from "../convert/quant/quantizer.ts";

// One thread of the build's 4-bit kernel: the converter's WebAssembly kernel, jobs in, packed blocks out.
const scope = self as unknown as DedicatedWorkerGlobalScope;

fetch(Q4_KERNEL_URL)
  .then((response) => response.arrayBuffer())
  .then((buffer) => Q4Kernel.create(new Uint8Array(buffer)))
  .then(
    (kernel) => {
      scope.onmessage = (event: MessageEvent<QuantizeJob>) => {
        const [reply, transfer] = answerJob(kernel, event.data);
        scope.postMessage(reply, transfer);
      };
      scope.postMessage("ready");
    },
    (error: Error) => scope.postMessage(`kernel failed: ${error.message}`),
  );
