/**
 * `node --import tsx tools/gpu/summary.ts <out dir> <model>`: one table of a GPU run (tools/gpu/full-size.sh): per
 * build, whether the WebGPU provider's greedy tokens equal the CPU provider's, time to first token, decode tokens/s
 * and bytes to the CPU per step; the profiler's dispatches per decoding step beside the cost counter's; and, for the
 * 8B model, the prediction of docs/benchmarks/gpu-cost.json for the GPUs it names beside the figures measured.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface Figures {
  promptTokens: number;
  firstTokenSeconds: number;
  tokensPerSecond: number;
  bytesToCpuPerStep: number | null;
}
interface Measured {
  dtype: string;
  adapter: string | null;
  image448: Figures;
  imageLarge: Figures & { side: number };
  comparison: { sameTokens: boolean; firstDifferentToken: number | null; maxLogitDiffPerStep: number[] } | null;
}
interface Profiled {
  runs: {
    folder: string;
    dtype: string;
    session: string;
    sequence?: number;
    side?: number;
    profiled: { dispatches: number };
    counted: { dispatches: number };
  }[];
}
interface CostReport {
  builds: {
    dtype: string;
    attention: string;
    predictions: {
      gpu: string;
      decodeTokensPerSecond: Record<string, number>;
      firstTokenSeconds: Record<string, number>;
    }[];
  }[];
}

const [out, model] = process.argv.slice(2);
if (!out || !model) throw new Error("Usage: summary.ts <out dir> <model>");
const fixed = (x: number | null | undefined, digits = 2) => (x == null ? "–" : x.toFixed(digits));
const lines: string[] = [];
let failed = false;

lines.push(
  "build | same tokens as CPU (16, greedy) | max logit diff | first token 448² | tok/s 448² | first token large | tok/s large | bytes to CPU / step",
);
for (const file of readdirSync(out)
  .filter((f) => f.startsWith(`${model}-`) && f.endsWith(".json"))
  .sort()) {
  const m = JSON.parse(readFileSync(join(out, file), "utf8")) as Measured;
  const same = m.comparison?.sameTokens ?? null;
  if (same === false) failed = true;
  const diff = m.comparison ? Math.max(...m.comparison.maxLogitDiffPerStep) : null;
  lines.push(
    `${file.replace(".json", "")} | ${same === null ? "not compared" : same ? "yes" : `no, from token ${m.comparison?.firstDifferentToken}`} | ${fixed(diff, 4)} | ` +
      `${fixed(m.image448.firstTokenSeconds)} s | ${fixed(m.image448.tokensPerSecond)} | ` +
      `${fixed(m.imageLarge.firstTokenSeconds)} s (${m.imageLarge.side}²) | ${fixed(m.imageLarge.tokensPerSecond)} | ${m.image448.bytesToCpuPerStep}`,
  );
}

const profileFile = join(out, `profile-${model}.json`);
if (existsSync(profileFile)) {
  lines.push("", "run | dispatches (onnxruntime's profiler) | dispatches (cost counter)");
  for (const r of (JSON.parse(readFileSync(profileFile, "utf8")) as Profiled).runs) {
    const what = r.session === "vision_encoder" ? `vision ${r.side}²` : `decoder S=${r.sequence}`;
    lines.push(`${r.folder.split("/").pop()} ${r.dtype} ${what} | ${r.profiled.dispatches} | ${r.counted.dispatches}`);
  }
}

const costFile = "docs/benchmarks/gpu-cost.json";
if (model === "8b" && existsSync(costFile)) {
  lines.push(
    "",
    "prediction (docs/benchmarks/gpu-cost.json, a model) | tok/s at 1k context | first token 448² | 1024²",
  );
  for (const build of (JSON.parse(readFileSync(costFile, "utf8")) as CostReport).builds)
    for (const p of build.predictions.filter((x) => /H100|H200/.test(x.gpu)))
      lines.push(
        `${p.gpu}, ${build.dtype} ${build.attention} | ${fixed(p.decodeTokensPerSecond["1000"], 1)} | ` +
          `${fixed(p.firstTokenSeconds["448"])} s | ${fixed(p.firstTokenSeconds["1024"])} s`,
      );
}
console.log(lines.join("\n"));
if (failed) process.exitCode = 3;
