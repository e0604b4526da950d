/**
 * `npm run convert -- <hf-snapshot-dir> model-cache/<id> [--dtype q4f16|q4|fp16|fp32[,…]] [--vision-dtype …]
 * [--attention portable|fused] [--vision-attention portable|fused] [--workers N] [--chunk-bytes N] [--demo]`: converts a Qwen3-VL safetensors snapshot into a transformers.js model folder.
 */
import { parseArgs } from "node:util";
import {
  type ConvertProgress,
  DEFAULT_ATTENTION,
  DEFAULT_VISION_ATTENTION,
  parseAttention,
  parseDtypes,
} from "../../src/convert/convert.ts";
import { formatBytes, progressLine } from "../../src/convert/progress.ts";
import { convertSnapshot } from "./convert.ts";

const USAGE =
  "Usage: npm run convert -- <hf-snapshot-dir> model-cache/<id> [--dtype q4f16|q4|fp16|fp32[,…]] [--vision-dtype …] [--attention portable|fused] [--vision-attention portable|fused] [--workers N] [--chunk-bytes N] [--demo]";

function progressReporter(outDir: string): (event: ConvertProgress) => void {
  const started = performance.now();
  let lastDraw = 0;
  const interactive = process.stderr.isTTY;
  return (event) => {
    const elapsed = (performance.now() - started) / 1000;
    if (event.status === "start") {
      process.stderr.write(`Converting ${formatBytes(event.totalBytes)} of weights into ${event.files.join(", ")}\n`);
      return;
    }
    if (event.status === "done") {
      const total = event.files.reduce((sum, f) => sum + f.bytes, 0);
      process.stderr.write(
        `${interactive ? "\n" : ""}Wrote ${event.files.length} files (${formatBytes(total)}) to ${outDir} in ${elapsed.toFixed(1)} s\n`,
      );
      return;
    }
    const now = performance.now();
    if (now - lastDraw < (interactive ? 100 : 5000) && event.readBytes < event.totalBytes) return;
    lastDraw = now;
    const line = progressLine(event.readBytes, event.totalBytes, elapsed, event.file);
    process.stderr.write(interactive ? `\r${line}\x1b[K` : `${line}\n`);
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      dtype: { type: "string", default: "q4f16" },
      "vision-dtype": { type: "string" },
      "chunk-bytes": { type: "string" },
      attention: { type: "string", default: DEFAULT_ATTENTION },
      "vision-attention": { type: "string", default: DEFAULT_VISION_ATTENTION },
      workers: { type: "string" },
      demo: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length !== 2) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const [snapshotDir, outDir] = positionals;
  const dtypes = parseDtypes(values.dtype, "--dtype");
  const visionDtypes = values["vision-dtype"] ? parseDtypes(values["vision-dtype"], "--vision-dtype") : undefined;
  if (visionDtypes && visionDtypes.length !== 1)
    throw new Error(`--vision-dtype takes one dtype; got ${visionDtypes.join(",")}.`);
  const chunkBytes = values["chunk-bytes"] ? Number(values["chunk-bytes"]) : undefined;
  if (chunkBytes !== undefined && !(chunkBytes > 0))
    throw new Error(`--chunk-bytes ${values["chunk-bytes"]}; expected a positive number of bytes.`);
  const workers = values.workers === undefined ? undefined : Number(values.workers);
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) {
    throw new Error(`--workers ${values.workers}; expected a whole number ≥ 0 (0 quantises on the main thread).`);
  }
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort(new Error("Interrupted; the partial output folder was removed.")));
  await convertSnapshot(
    {
      snapshotDir,
      outDir,
      dtypes,
      visionDtype: visionDtypes?.[0],
      chunkBytes,
      attention: parseAttention(values.attention),
      visionAttention: parseAttention(values["vision-attention"], "--vision-attention"),
      workers,
      demo: values.demo,
      onProgress: progressReporter(outDir),
    },
    controller.signal,
  );
}

main().catch((error: unknown) => {
  console.error(`\nconvert failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
