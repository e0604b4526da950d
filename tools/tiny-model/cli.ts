/**
 * `npm run make-tiny-model`: the random-weight demo model every test runs and the app loads by default. Writes a
 * seeded tiny Qwen3-VL checkpoint in the real Hugging Face layout (bf16 shards with index, the published tensor names,
 * DeepStack, the real Qwen3 tokenizer) to `.cache/tiny-hf/`, then converts it with the project's converter into
 * `model-cache/geozero-tiny/` at fp32, q4 and q4f16, marked as a demo in its manifest. Skips both when the inputs
 * are unchanged (`--force` to redo).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_ATTENTION, DEFAULT_VISION_ATTENTION } from "../../src/convert/convert.ts";
import { convertSnapshot } from "../convert/convert.ts";
import { TINY_SIZES, writeSyntheticSnapshot } from "../convert/testing/synthetic.ts";

const SNAPSHOT = ".cache/tiny-hf";
const OUT = "model-cache/geozero-tiny";
const STAMP = join(OUT, ".inputs-sha256");
const SEED = 5;
const SIZES = { ...TINY_SIZES, vocab: 151936 };
/** The converter's defaults, as users get them (portable attention: see DEFAULT_ATTENTION). */
const ATTENTION = { attention: DEFAULT_ATTENTION, visionAttention: DEFAULT_VISION_ATTENTION };

/** The converter's sources (tests aside), shared core and Node host: the folder is remade whenever they change. */
function converterSources(): string[] {
  return ["src/convert", "tools/convert"].flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((file) => /\.(ts|wat|wasm)$/.test(file) && !file.endsWith(".test.ts"))
      .sort()
      .map((file) => join(dir, file)),
  );
}

function inputsHash(): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify({ SIZES, SEED, ATTENTION, version: 1 }));
  for (const file of ["tools/tiny-model/cli.ts", ...converterSources()]) hash.update(readFileSync(file));
  return hash.digest("hex");
}

const expected = inputsHash();
const force = process.argv.includes("--force");
if (!force && existsSync(STAMP) && readFileSync(STAMP, "utf8") === expected) {
  console.log(`${OUT} is up to date.`);
} else {
  rmSync(SNAPSHOT, { recursive: true, force: true });
  await writeSyntheticSnapshot(SNAPSHOT, SIZES, { seed: SEED, realTokenizer: true });
  rmSync(OUT, { recursive: true, force: true });
  await convertSnapshot({
    snapshotDir: SNAPSHOT,
    outDir: OUT,
    dtypes: ["fp32", "q4", "q4f16"],
    ...ATTENTION,
    demo: true,
  });
  writeFileSync(STAMP, expected);
  console.log(`${OUT}: random-weight demo model written (not GeoZero).`);
}
