/**
 * `npm run gpu-cost [-- --model 8b|tiny] [--out docs/benchmarks/gpu-cost.json] [--readme README.md]`: what each token
 * of GeoZero costs on onnxruntime's WebGPU provider, counted from the graphs the converter writes (built from the
 * config and tensor list alone, no weights: src/convert/cost), for q4f16 and q4 with portable and fused attention:
 * dispatches, bytes of weights, KV cache and activations, matrix FLOPs and bytes to the CPU, per decoding step at 1,000
 * and 4,000 tokens of context, per prefill chunk and per image (448² and 1024²); then the predicted speed per GPU
 * (src/convert/cost/predict.ts, its assumptions written beside). Writes the JSON, and the README's table between its
 * `gpu-prediction` markers.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { countGraphCost, type GraphCost } from "../../src/convert/cost/count.ts";
import type { GraphView } from "../../src/convert/cost/graph-view.ts";
import { type CountedBuild, DEFAULT_ASSUMPTIONS, GPUS, predict } from "../../src/convert/cost/predict.ts";
import { decoderRunInputs, visionRunInputs } from "../../src/convert/cost/runs.ts";
import { plannedSessionGraph } from "../../src/convert/cost/session-graph.ts";
import type { AttentionKind } from "../../src/convert/family-types.ts";
import type { OutputDtype } from "../../src/convert/graph/weights.ts";
import type { Checkpoint, TensorInfo } from "../../src/convert/safetensors/read.ts";
import { PREFILL_CHUNK } from "../../src/model/generation/generator.ts";
import { GEOZERO_8B_SIZES, qwen3VLTensorShapes, syntheticConfig, TINY_SIZES } from "../convert/testing/synthetic.ts";

const CONTEXTS = [1000, 4000];
const SIDES = [448, 1024];
/** Text tokens of a prompt around the image (chat template, question): measured 20 with the app's template. */
const PROMPT_TEXT_TOKENS = 20;
const BUILDS: { dtype: OutputDtype; attention: AttentionKind }[] = [
  { dtype: "q4f16", attention: "portable" },
  { dtype: "q4f16", attention: "fused" },
  { dtype: "q4", attention: "portable" },
  { dtype: "q4", attention: "fused" },
];

function tensorList(sizes: typeof TINY_SIZES): Pick<Checkpoint, "tensors"> {
  const tensors = new Map<string, TensorInfo>();
  for (const [name, shape] of qwen3VLTensorShapes(sizes)) {
    const byteLength = shape.reduce((a, b) => a * b, 2);
    tensors.set(name, { name, dtype: "BF16", shape, shard: "none", offset: 0, byteLength });
  }
  return { tensors };
}

/** The prefill chunks of a prompt of `tokens`, as the app runs them (PREFILL_CHUNK positions each). */
function prefillChunks(decoder: GraphView, tokens: number): GraphCost[] {
  const chunks: GraphCost[] = [];
  for (let past = 0; past < tokens; past += PREFILL_CHUNK)
    chunks.push(countGraphCost(decoder, decoderRunInputs(decoder, Math.min(PREFILL_CHUNK, tokens - past), past)));
  return chunks;
}

async function countBuild(sizes: typeof TINY_SIZES, dtype: OutputDtype, attention: AttentionKind) {
  const config = syntheticConfig(sizes);
  const tensors = tensorList(sizes);
  const decoder = await plannedSessionGraph(config, tensors, "decoder_model_merged", dtype, attention);
  const vision = await plannedSessionGraph(config, tensors, "vision_encoder", dtype, attention);
  const build: CountedBuild = { decode: {}, image: {} };
  for (const context of CONTEXTS)
    build.decode[context] = countGraphCost(decoder, decoderRunInputs(decoder, 1, context));
  for (const side of SIDES) {
    const imageTokens = (side / 32) ** 2;
    build.image[side] = {
      encoder: countGraphCost(vision, visionRunInputs(vision, side)),
      prefillChunks: prefillChunks(decoder, imageTokens + PROMPT_TEXT_TOKENS),
    };
  }
  return build;
}

const round = (x: number, digits = 3) => Number(x.toPrecision(digits));

function table(results: { dtype: string; attention: string; build: CountedBuild }[]): string {
  const rows = [
    "| GPU (published bandwidth, FP32) | build | decode tok/s at 1k / 4k context (bandwidth bound) | first token, 448² / 1024² image |",
    "|---|---|---|---|",
  ];
  for (const gpu of GPUS)
    for (const { dtype, attention, build } of results.filter((r) => r.attention === "fused" || r.dtype === "q4f16")) {
      const p = predict(build, gpu);
      const [c1, c4] = CONTEXTS;
      rows.push(
        `| ${gpu.name} (${gpu.bandwidthGBs} GB/s, ${gpu.fp32Tflops} TFLOPS) | ${dtype} ${attention} | ` +
          `${round(p.decodeTokensPerSecond[c1])} / ${round(p.decodeTokensPerSecond[c4])} ` +
          `(${round(p.decodeBoundTokensPerSecond[c1])} / ${round(p.decodeBoundTokensPerSecond[c4])}) | ` +
          `${round(p.firstTokenSeconds[SIDES[0]])} s / ${round(p.firstTokenSeconds[SIDES[1]])} s |`,
      );
    }
  return rows.join("\n");
}

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "8b" },
    out: { type: "string" },
    readme: { type: "string" },
  },
});
const sizes = values.model === "tiny" ? TINY_SIZES : GEOZERO_8B_SIZES;
const results = [];
for (const { dtype, attention } of BUILDS) {
  const build = await countBuild(sizes, dtype, attention);
  results.push({ dtype, attention, build, predictions: GPUS.map((gpu) => predict(build, gpu)) });
  const step = build.decode[CONTEXTS[0]];
  console.log(
    `${dtype} ${attention}: decode step at ${CONTEXTS[0]}: ${step.dispatches} dispatches, ` +
      `${(step.weightBytes / 1e9).toFixed(3)} GB weights, ${(step.kvReadBytes / 1e6).toFixed(1)} MB KV read`,
  );
}
const report = {
  model: values.model,
  what: "Counted from the converter's graphs (no weights), per run on onnxruntime's WebGPU provider; predictions are a model, not a measurement",
  assumptions: {
    ...DEFAULT_ASSUMPTIONS,
    dispatchMicrosBasis:
      "onnxruntime's profiler on lavapipe (tools/gpu/profile.ts, docs/benchmarks/gpu-rehearsal-lavapipe.json): the CPU time to record one WebGPU kernel, median 10-22 µs on this 2-core machine; 20 µs is taken per dispatch on a GPU host",
    promptTextTokens: PROMPT_TEXT_TOKENS,
    prefillChunk: PREFILL_CHUNK,
    gpus: GPUS,
  },
  builds: results,
};
const markdown = table(results);
console.log(markdown);
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 1)}\n`);
if (values.readme) {
  const readme = readFileSync(values.readme, "utf8");
  const pattern = /(<!-- gpu-prediction:start -->\n)[\s\S]*?(<!-- gpu-prediction:end -->)/;
  if (!pattern.test(readme)) throw new Error(`${values.readme} has no <!-- gpu-prediction:start/end --> markers.`);
  writeFileSync(values.readme, readme.replace(pattern, `$1${markdown}\n$2`));
}
