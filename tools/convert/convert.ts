import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import {
  type ConvertOptions,
  type ConvertProgress,
  planSnapshot,
  writeModelFolder,
} from "../../src/convert/convert.ts";
import { PRECISIONS } from "../../src/convert/graph/weights.ts";
import type { WrittenFile } from "../../src/convert/sink.ts";
import { writeFolderAtomically } from "../io/atomic-folder.ts";
import { ensureFreeSpace } from "../io/disk-space.ts";
import { folderOnDisk, snapshotFolder } from "./node-folder.ts";
import { inlineQuantizer, startWorkerQuantizer } from "./quant/pool.ts";
import { snapshotOrigin } from "./snapshot-origin.ts";

/** Default cap on quantising threads (each holds a few slices of about 8 MiB). */
const MAX_DEFAULT_WORKERS = 8;

/** What to convert, where to, and how (Node). */
export interface SnapshotConversion extends ConvertOptions {
  snapshotDir: string;
  outDir: string;
  /** Worker threads quantising 4-bit slices (default: available parallelism up to 8; 0 quantises inline). */
  workers?: number;
  onProgress?: (event: ConvertProgress) => void;
}

/**
 * Converts a Hugging Face snapshot folder into a transformers.js model folder with the shared converter
 * (src/convert). Everything is written to a hidden sibling folder renamed over `<out>` only at the end
 * (tools/io/atomic-folder.ts), so a failed run never looks complete.
 */
export async function convertSnapshot(options: SnapshotConversion, signal?: AbortSignal): Promise<WrittenFile[]> {
  const workers = options.workers ?? Math.min(availableParallelism(), MAX_DEFAULT_WORKERS);
  const quantizes = [...options.dtypes, options.visionDtype].some((dtype) => dtype && PRECISIONS[dtype].quantize);
  // Workers start (about 0.1 s) while the snapshot is read and the builds are planned.
  const starting = quantizes ? startWorkerQuantizer(workers) : Promise.resolve(undefined);
  try {
    const outDir = resolve(options.outDir);
    const planned = await planSnapshot(snapshotFolder(options.snapshotDir), options, signal);
    await ensureFreeSpace(
      dirname(outDir),
      planned.plannedBytes,
      `Converting ${options.snapshotDir} to ${options.dtypes.join(", ")}`,
    );
    const quantizer = (await starting) ?? inlineQuantizer();
    return await writeFolderAtomically(
      outDir,
      (partial) =>
        writeModelFolder(
          planned,
          {
            sink: folderOnDisk(partial),
            quantizer,
            origin: snapshotOrigin(options.snapshotDir),
            onProgress: options.onProgress,
          },
          signal,
        ),
      signal,
    );
  } finally {
    await (await starting)?.close(); // start never rejects: workers that cannot start give undefined
  }
}
