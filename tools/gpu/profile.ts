/**
 * `node --import tsx tools/gpu/profile.ts --folders <a,b> --dtypes q4f16,q4 [--device webgpu] [--adapter name]
 * [--out file.json]`: each converted folder's decoder on onnxruntime-node's WebGPU provider with onnxruntime's profiler,
 * one decoding step (1 position after 215) and one prefill chunk (256 positions), and the vision encoder on a 448²
 * image, each run three times (the first compiles the shaders): the dispatches per run
 * as the profiler sees them (its GPU timestamp events), by kernel, beside the cost counter's count for the same
 * inputs (src/convert/cost), and the CPU time onnxruntime spends per dispatch (its node events, median).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { countGraphCost, type RunInputs } from "../../src/convert/cost/count.ts";
import { type GraphView, graphViewOfBytes } from "../../src/convert/cost/graph-view.ts";
import { decoderRunInputs, visionRunInputs } from "../../src/convert/cost/runs.ts";

interface ProfileEvent {
  cat?: string;
  name: string;
  dur?: number;
  args?: Record<string, string>;
}

const RUNS = 2;

function feedsOf(inputs: RunInputs, session: ort.InferenceSession): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const { shape, values } = inputs[meta.name];
    const count = shape.reduce((a, b) => a * b, 1);
    if (meta.type === "int64") {
      const data = values ? BigInt64Array.from(values.map(BigInt)) : new BigInt64Array(count).fill(1n);
      feeds[meta.name] = new ort.Tensor("int64", data, shape);
    } else if (meta.type === "float16")
      feeds[meta.name] = new ort.Tensor("float16", new Uint16Array(count).fill(0x2e66), shape);
    else
      feeds[meta.name] = new ort.Tensor(
        "float32",
        new Float32Array(count).map((_, i) => Math.sin(i) * 0.1),
        shape,
      );
  }
  return feeds;
}

/** Dispatches per run from the profiler's GPU events (`kernel&program&…`), and the CPU time per WebGPU node. */
function readProfile(events: ProfileEvent[]) {
  const runs = Math.max(1, events.filter((e) => e.name === "model_run").length);
  const gpu = events.filter((e) => e.cat === "Api");
  const byKernel: Record<string, number> = {};
  for (const e of gpu) {
    const [, op, program] = e.name.split("&");
    const key = `${op}/${program ?? op}`;
    byKernel[key] = (byKernel[key] ?? 0) + 1 / runs;
  }
  const cpu = events
    .filter(
      (e) => e.cat === "Node" && e.args?.provider === "WebGpuExecutionProvider" && e.name.endsWith("_kernel_time"),
    )
    .map((e) => e.dur ?? 0)
    .sort((a, b) => a - b);
  return {
    dispatches: gpu.length / runs,
    byKernel,
    gpuMicrosPerRun: gpu.reduce((sum, e) => sum + (e.dur ?? 0), 0) / runs,
    cpuMicrosPerNodeMedian: cpu.length ? cpu[Math.floor(cpu.length / 2)] : null,
  };
}

async function profileRun(file: string, inputsOf: (graph: GraphView) => RunInputs, work: string) {
  const graph = graphViewOfBytes(readFileSync(file));
  const inputs = inputsOf(graph);
  const counted = countGraphCost(graph, inputs);
  const prefix = join(work, `prof-${Date.now()}`);
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ["webgpu"],
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const feeds = feedsOf(inputs, session);
  await session.run(feeds); // warm-up: shaders compiled (profiled too; the counts are per run)
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) await session.run(feeds);
  const msPerRun = (performance.now() - started) / RUNS;
  session.endProfiling();
  await session.release();
  const written = readdirSync(work).find((f) => join(work, f).startsWith(prefix));
  if (!written) throw new Error(`onnxruntime wrote no profile under ${prefix}.`);
  const events = JSON.parse(readFileSync(join(work, written), "utf8")) as ProfileEvent[];
  const profiled = readProfile(events); // the warm-up run included: counts are per run
  return { msPerRun, profiled, counted };
}

const { values } = parseArgs({
  options: {
    folders: { type: "string" },
    dtypes: { type: "string", default: "q4f16" },
    adapter: { type: "string" },
    work: { type: "string", default: ".cache/gpu/profiles" },
    out: { type: "string" },
  },
});
if (!values.folders) throw new Error("Give --folders <converted folder,…>.");
mkdirSync(values.work as string, { recursive: true });
const report: Record<string, unknown>[] = [];
for (const folder of values.folders.split(",")) {
  for (const dtype of (values.dtypes as string).split(",")) {
    const runs = [
      ...[
        [1, 215],
        [256, 0],
      ].map(([sequence, past]) => ({
        session: "decoder_model_merged",
        what: { sequence, past },
        inputs: (graph: GraphView) => decoderRunInputs(graph, sequence, past),
      })),
      { session: "vision_encoder", what: { side: 448 }, inputs: (graph: GraphView) => visionRunInputs(graph, 448) },
    ];
    for (const run of runs) {
      const file = join(folder, "onnx", `${run.session}_${dtype}.onnx`);
      const measured = await profileRun(file, run.inputs, values.work as string);
      report.push({ folder, dtype, session: run.session, ...run.what, ...measured });
      console.log(
        `${folder} ${dtype} ${run.session} ${JSON.stringify(run.what)}: ${measured.profiled.dispatches} dispatches profiled, ` +
          `${measured.counted.dispatches} counted; ${measured.msPerRun.toFixed(1)} ms/run`,
      );
    }
  }
}
const out = { adapter: values.adapter ?? null, runs: report };
if (values.out) writeFileSync(values.out, `${JSON.stringify(out, null, 2)}\n`);
