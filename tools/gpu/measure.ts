/**
 * `node --import tsx tools/gpu/measure.ts --folder <converted folder> [--dtype q4f16|q4] [--device webgpu|cpu]
 * [--compare cpu] [--compare-tokens 16] [--large-side 1024] [--decode-tokens 32] [--adapter <name>] [--out <file.json>]`:
 * one converted model on one onnxruntime-node execution provider (WebGPU is Dawn, as in Chrome) with the app's own
 * loading and generation modules: image encode and prefill at 448² and at `--large-side`², decode tokens/s after each,
 * a 5-beam step, the bytes that cross to the CPU per decoding step, and the greedy tokens and logits against another
 * execution provider's. Run by tools/gpu/full-size.sh (a GPU, or lavapipe for the rehearsal); it runs anywhere.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Generator } from "../../src/model/generation/generator";
import { type PreparedPrompt, promptFromInstruction } from "../../src/model/generation/inputs";
import { type LoadedFolder, loadModelFolder, readModelImage } from "../../src/model/node-folder";
import { writeTestImage } from "../io/test-image.ts";

type Device = "webgpu" | "cpu";
const QUESTION = "Describe the land cover of this scene in detail.";

async function promptFor(folder: LoadedFolder, image: string): Promise<PreparedPrompt> {
  const { image: raw } = await readModelImage(image);
  return promptFromInstruction(folder.processor, raw, QUESTION, false);
}

const seconds = (ms: number) => ms / 1000;

/** One greedy answer from a cold cache: encode, prefill, first token, then tokens/s and bytes to the CPU per step. */
async function answer(generator: Generator, prompt: PreparedPrompt, tokens: number, keepLogits = false) {
  generator.forget();
  const logits: Float32Array[] = [];
  const out = await generator.generate(
    prompt,
    { kind: "greedy", maxNewTokens: tokens },
    { callbacks: keepLogits ? { onLogits: (values) => logits.push(values.slice()) } : {} },
  );
  const steps = out.transfers.decodeSteps;
  return {
    figures: {
      promptTokens: out.prefill.promptTokens,
      encodeSeconds: seconds(out.prefill.imageEncodeMs),
      prefillSeconds: seconds(out.prefill.prefillMs),
      firstTokenSeconds: seconds(out.firstTokenMs),
      tokens: out.tokenIds.length,
      tokensPerSecond: out.tokensPerSecond,
      bytesToCpuPerStep: steps > 0 ? out.transfers.decodeBytesToCpu / steps : null,
      tokenIds: out.tokenIds,
    },
    logits,
  };
}

/** Beam search with 5 beams: seconds per step after the first. */
async function beamSteps(generator: Generator, prompt: PreparedPrompt, steps: number) {
  generator.forget();
  const times: number[] = [];
  await generator.generate(
    prompt,
    { kind: "beam", numBeams: 5, lengthPenalty: 0.8, earlyStopping: false, maxNewTokens: steps },
    { callbacks: { onBeams: () => times.push(performance.now()) } },
  );
  const gaps = times.slice(1).map((t, i) => (t - times[i]) / 1000);
  return { steps: gaps.length, secondsPerStep: gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length) };
}

async function load(folderPath: string, device: Device, dtype: string | undefined) {
  const started = performance.now();
  const folder = await loadModelFolder(folderPath, { device, dtype });
  const generator = new Generator(folder.model, folder.processor.tokenizer as never, { reusePrefix: false });
  return { folder, generator, loadSeconds: seconds(performance.now() - started) };
}

async function unload({ folder, generator }: Awaited<ReturnType<typeof load>>): Promise<void> {
  generator.dispose();
  await folder.model.dispose();
}

/** How far two runs' logits are apart, step by step, and where their greedy tokens first differ. */
function compareLogits(ours: Float32Array[], theirs: Float32Array[], ourIds: number[], theirIds: number[]) {
  const steps = Math.min(ours.length, theirs.length);
  const maxAbsDiff: number[] = [];
  for (let s = 0; s < steps; s++) {
    let max = 0;
    for (let i = 0; i < ours[s].length; i++) max = Math.max(max, Math.abs(ours[s][i] - theirs[s][i]));
    maxAbsDiff.push(max);
  }
  const firstDifferent = ourIds.findIndex((id, i) => theirIds[i] !== id);
  return {
    sameTokens: firstDifferent === -1 && ourIds.length === theirIds.length,
    firstDifferentToken: firstDifferent === -1 ? null : firstDifferent,
    maxLogitDiffPerStep: maxAbsDiff,
  };
}

interface Options {
  folder: string;
  dtype: string | undefined;
  device: Device;
  work: string;
  compareTokens: number;
  decodeTokens: number;
  largeSide: number;
}

/** Every figure on one device; the 448² answer's logits are kept for the comparison. */
async function measure(options: Options) {
  const loaded = await load(options.folder, options.device, options.dtype);
  const { folder, generator } = loaded;
  const small = await promptFor(folder, await writeTestImage(join(options.work, "gpu-448.png"), 448));
  const largePath = await writeTestImage(join(options.work, `gpu-${options.largeSide}.png`), options.largeSide);
  const large = await promptFor(folder, largePath);
  await answer(generator, small, 2); // warm-up: kernels compiled, buffers allocated
  const at448 = await answer(generator, small, options.compareTokens, true);
  const atLarge = await answer(generator, large, options.decodeTokens);
  const result = {
    device: options.device,
    dtype: folder.dtype,
    loadSeconds: loaded.loadSeconds,
    image448: at448.figures,
    imageLarge: { side: options.largeSide, ...atLarge.figures },
    beams5: await beamSteps(generator, large, 4),
  };
  await unload(loaded);
  return { result, logits448: at448.logits, prompt448: join(options.work, "gpu-448.png") };
}

/** The 448² greedy answer on another device, with its logits. */
async function answerOn(options: Options, device: Device, image: string) {
  const loaded = await load(options.folder, device, options.dtype);
  const prompt = await promptFor(loaded.folder, image);
  const out = await answer(loaded.generator, prompt, options.compareTokens, true);
  await unload(loaded);
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      folder: { type: "string" },
      dtype: { type: "string" },
      device: { type: "string", default: "webgpu" },
      compare: { type: "string" },
      "compare-tokens": { type: "string", default: "16" },
      "decode-tokens": { type: "string", default: "32" },
      // 1024² gives 1,024 visual tokens: about 1,000 tokens of context to decode after
      "large-side": { type: "string", default: "1024" },
      adapter: { type: "string" },
      work: { type: "string", default: ".cache" },
      out: { type: "string" },
    },
  });
  if (!values.folder) throw new Error("Give --folder <a converted model folder>.");
  const options: Options = {
    folder: values.folder,
    dtype: values.dtype,
    device: values.device as Device,
    work: values.work as string,
    compareTokens: Number(values["compare-tokens"]),
    decodeTokens: Number(values["decode-tokens"]),
    largeSide: Number(values["large-side"]),
  };
  const main = await measure(options);
  let comparison = null;
  if (values.compare) {
    const other = await answerOn(options, values.compare as Device, main.prompt448);
    const ours = main.result.image448.tokenIds;
    comparison = {
      device: values.compare,
      tokenIds: other.figures.tokenIds,
      ...compareLogits(main.logits448, other.logits, ours, other.figures.tokenIds),
    };
  }
  const report = { folder: values.folder, adapter: values.adapter ?? null, ...main.result, comparison };
  console.log(JSON.stringify(report, null, 2));
  if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
  if (comparison && !comparison.sameTokens) process.exitCode = 3;
}

await main();
