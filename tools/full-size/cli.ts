/**
 * `npm run make-full-size-model [-- --out <dir>] [--force]`: writes the 8B-shaped checkpoint (GeoZero-8B's
 * architecture, seeded random bf16 weights, about 17.5 GB) to `.cache/geozero-8b-shaped-hf`, or reuses it.
 */
import { parseArgs } from "node:util";
import { FULL_SIZE_SNAPSHOT, fullSizeCheckpointBytes, makeFullSizeCheckpoint } from "./checkpoint.ts";

const { values } = parseArgs({
  options: { out: { type: "string", default: FULL_SIZE_SNAPSHOT }, force: { type: "boolean", default: false } },
});
const out = values.out as string;
const started = performance.now();
try {
  const made = await makeFullSizeCheckpoint(out, values.force);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const size = `${(fullSizeCheckpointBytes() / 1e9).toFixed(2)} GB`;
  console.log(
    made ? `${out}: 8B-shaped checkpoint written (${size}) in ${seconds} s.` : `${out} is up to date (${size}).`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
