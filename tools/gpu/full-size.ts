/**
 * `node --import tsx tools/gpu/full-size.ts --folder <converted folder> [--device webgpu|cpu] [--compare cpu]
 * [--large-side 1024] [--decode-tokens 32] [--bandwidth-gbs N] [--out <file.json>]`: the GPU measurements of GeoZero at full size with the app's own loading and generation
 * modules on onnxruntime-node (whose WebGPU execution provider is Dawn, as in Chrome): image encode and prefill at
 * 448² and 1024², decode tokens/s at about 1,000 tokens of context, a 5-beam step, and the greedy tokens against
 * another execution provider's. Each figure is printed beside the memory-bandwidth bound when `--bandwidth-gbs`
 * is given. Run by tools/gpu/full-size.sh on a GPU machine; it runs anywhere (slowly on a software adapter).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { Generator } from "../../src/model/generation/generator";
import { type PreparedPrompt, promptFromInstruction } from "../../src/model/generation/inputs";
import type { ModelManifest } from "../../src/model/manifest";
import { type LoadedFolder, loadModelFolder, readModelImage } from "../../src/model/node-folder";

type Device = "webgpu" | "cpu";
const QUESTION = "Describe the land cover of this scene in detail.";

/** A smooth test image of `side`² px (no resize before the model), written to `path`. */
async function testImage(path: string, side: number): Promise<string> {
  const pixels = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++)
      for (let c = 0; c < 3; c++) pixels[(y * side + x) * 3 + c] = (x * (3 + c) + y * (5 + 2 * c)) % 256;
  await sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toFile(path);
  return path;
}

async function promptFor(folder: LoadedFolder, image: string): Promise<PreparedPrompt> {
  const { image: raw } = await readModelImage(image);
  return promptFromInstruction(folder.processor, raw, QUESTION, false);
}

/** Prefill of one image prompt: vision encoder and decoder over the whole prompt, from a cold cache. */
async function prefill(generator: Generator, prompt: PreparedPrompt) {
  generator.forget();
  const { prefill: info } = await generator.prefill(prompt);
  return {
    promptTokens: info.promptTokens,
    encodeSeconds: info.imageEncodeMs / 1000,
    prefillSeconds: info.prefillMs / 1000,
  };
}

/** Greedy decoding after the prompt: seconds per token after the first, and the ids. */
async function decode(generator: Generator, prompt: PreparedPrompt, tokens: number) {
  generator.forget();
  const times: number[] = [];
  const out = await generator.generate(
    prompt,
    { kind: "greedy", maxNewTokens: tokens },
    { callbacks: { onToken: () => times.push(performance.now()) } },
  );
  const steps = times.slice(1).map((t, i) => (t - times[i]) / 1000);
  const perToken = steps.reduce((a, b) => a + b, 0) / Math.max(1, steps.length);
  return {
    context: prompt.inputIds.length,
    tokenIds: out.tokenIds,
    secondsPerToken: perToken,
    tokensPerSecond: 1 / perToken,
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

/** Bytes of the decoder's weights, which every decoding step reads once. */
function decoderWeightBytes(folder: string): number {
  const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as ModelManifest;
  return manifest.files.filter((f) => f.path.startsWith("onnx/decoder_model_merged")).reduce((s, f) => s + f.bytes, 0);
}

async function load(folderPath: string, device: Device) {
  const started = performance.now();
  const folder = await loadModelFolder(folderPath, { device });
  const generator = new Generator(folder.model, folder.processor.tokenizer as never, { reusePrefix: false });
  return { folder, generator, loadSeconds: (performance.now() - started) / 1000 };
}

async function unload({ folder, generator }: Awaited<ReturnType<typeof load>>): Promise<void> {
  generator.dispose();
  await folder.model.dispose();
}

/** Every figure on one device. */
async function measure(folderPath: string, device: Device, work: string, decodeTokens: number, largeSide: number) {
  const loaded = await load(folderPath, device);
  const { folder, generator } = loaded;
  const small = await promptFor(folder, await testImage(join(work, "gpu-448.png"), 448));
  const large = await promptFor(folder, await testImage(join(work, `gpu-${largeSide}.png`), largeSide));
  await prefill(generator, small); // warm-up: kernels compiled, buffers allocated
  const result = {
    device,
    dtype: folder.dtype,
    loadSeconds: loaded.loadSeconds,
    prefill448: await prefill(generator, small),
    prefillLarge: { side: largeSide, ...(await prefill(generator, large)) },
    decode448: await decode(generator, small, 8),
    decodeAfterLarge: await decode(generator, large, decodeTokens),
    beams5: await beamSteps(generator, large, 4),
  };
  await unload(loaded);
  return result;
}

/** The 448² greedy tokens on another device, for comparison. */
async function tokensOn(folderPath: string, device: Device, work: string) {
  const loaded = await load(folderPath, device);
  const result = await decode(loaded.generator, await promptFor(loaded.folder, join(work, "gpu-448.png")), 8);
  await unload(loaded);
  return { device, ...result };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      folder: { type: "string" },
      device: { type: "string", default: "webgpu" },
      compare: { type: "string" },
      "decode-tokens": { type: "string", default: "32" },
      // 1024² gives 1,024 visual tokens: about 1,000 tokens of context to decode after
      "large-side": { type: "string", default: "1024" },
      "bandwidth-gbs": { type: "string" },
      work: { type: "string", default: ".cache" },
      out: { type: "string" },
    },
  });
  if (!values.folder) throw new Error("Give --folder <a converted model folder>.");
  const decodeTokens = Number(values["decode-tokens"]);
  const largeSide = Number(values["large-side"]);
  const main = await measure(values.folder, values.device as Device, values.work as string, decodeTokens, largeSide);
  const weights = decoderWeightBytes(values.folder);
  const bandwidth = values["bandwidth-gbs"] ? Number(values["bandwidth-gbs"]) * 1e9 : null;
  const bound = bandwidth
    ? { decoderWeightBytes: weights, bandwidthBytesPerSecond: bandwidth, tokensPerSecond: bandwidth / weights }
    : null;
  let comparison = null;
  if (values.compare) {
    const other = await tokensOn(values.folder, values.compare as Device, values.work as string);
    const ids = main.decode448.tokenIds;
    const sameTokens448 = other.tokenIds.length === ids.length && other.tokenIds.every((id, i) => id === ids[i]);
    comparison = { ...other, sameTokens448 };
  }
  const report = { ...main, bound, comparison };
  console.log(JSON.stringify(report, null, 2));
  if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
}

await main();
