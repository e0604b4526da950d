/**
 * `node --import tsx tools/gpu/checkpoint.ts --model tiny|8b`: makes (or reuses) the checkpoint a GPU run converts and
 * prints its folder: `8b` is the 8B-shaped checkpoint (`npm run make-full-size-model`), `tiny` the tiny demo model's
 * architecture with its seed and the real Qwen3 tokenizer (the rehearsal: the same steps in seconds).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TINY_SIZES, writeSyntheticSnapshot } from "../convert/testing/synthetic.ts";
import { FULL_SIZE_SNAPSHOT, makeFullSizeCheckpoint } from "../full-size/checkpoint.ts";

const TINY_SNAPSHOT = ".cache/gpu/tiny-hf";

const { values } = parseArgs({ options: { model: { type: "string", default: "8b" } } });
if (values.model === "8b") {
  await makeFullSizeCheckpoint();
  console.log(FULL_SIZE_SNAPSHOT);
} else if (values.model === "tiny") {
  // chat_template.json is written last: its presence means a whole snapshot
  if (!existsSync(join(TINY_SNAPSHOT, "chat_template.json")))
    await writeSyntheticSnapshot(TINY_SNAPSHOT, { ...TINY_SIZES, vocab: 151936 }, { seed: 5, realTokenizer: true });
  console.log(TINY_SNAPSHOT);
} else {
  console.error(`Unknown model "${values.model}": tiny or 8b.`);
  process.exit(2);
}
