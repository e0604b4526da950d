/**
 * `npm run make-grounding-set [-- --force]`: writes the project's small grounding set to `fixtures/grounding-set/`
 * (see make.ts): images with world files, `annotations.json`, and `results.jsonl` / `results.json` / `results.md` as
 * `npm run eval` writes them. Open it in the app's Inspect view. Skips work when the set exists unless `--force`.
 */
import { existsSync } from "node:fs";
import { GROUNDING_SET_DIR } from "./location";
import { makeGroundingSet } from "./make";

if (existsSync(`${GROUNDING_SET_DIR}/results.json`) && !process.argv.includes("--force")) {
  console.log(`${GROUNDING_SET_DIR} exists; pass --force to make it again.`);
} else {
  const summary = await makeGroundingSet(GROUNDING_SET_DIR);
  console.log(`${GROUNDING_SET_DIR}: ${summary.evaluated} grounding samples; Acc@0.5 ${summary.metrics.accuracy}%`);
}
