/**
 * The core of `npm run generate`: the app's loading, preprocessing, prompt building and generation (the
 * src/model/generation module) on onnxruntime-node, for scripting questions without a browser.
 */
import { readFile } from "node:fs/promises";
import { type DecodingSettings, type GenerationOutput, Generator } from "../../src/model/generation/generator";
import { type PreparedPrompt, promptFromIds, promptFromInstruction } from "../../src/model/generation/inputs";
import { type LoadedFolder, loadModelFolder, readModelImage } from "../../src/model/node-folder";
import { TASK_DECODING } from "../../src/tasks/prompts";
import { openNpyRows } from "./npy";

export interface GenerateRequest {
  /** a converted model folder, e.g. model-cache/geozero-tiny */
  model: string;
  image: string;
  prompt?: string;
  /** a JSON file holding an array of token ids */
  ids?: string;
  system: boolean;
  maxNewTokens: number;
  greedy: boolean;
  seed?: number;
  dtype?: string;
  dumpLogits?: string;
}

export interface GenerateRun {
  output: GenerationOutput;
  prompt: PreparedPrompt;
  /** the image as the model saw it, and whether it was resized to get there */
  input: { width: number; height: number; resized: boolean };
  logitRows: number;
  /** the weights used: --dtype, else q4 when the folder has it, else its first */
  dtype: string;
}

async function readIds(path: string): Promise<number[]> {
  const ids = JSON.parse(await readFile(path, "utf8")) as unknown;
  if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0))
    throw new Error(`${path} must hold a JSON array of token ids (whole numbers ≥ 0), e.g. [151644, 872, …].`);
  return ids as number[];
}

function decodingFor(request: GenerateRequest): DecodingSettings {
  if (request.greedy) return { kind: "greedy", maxNewTokens: request.maxNewTokens };
  const free = TASK_DECODING.free;
  if (free.kind !== "sample") throw new Error("the free-question task is expected to sample");
  return { ...free, maxNewTokens: request.maxNewTokens, seed: request.seed };
}

/** Runs one question; `write` gets the answer as it streams. */
export async function runGenerate(
  request: GenerateRequest,
  write: (text: string) => void,
  loaded?: LoadedFolder,
): Promise<GenerateRun> {
  if ((request.prompt === undefined) === (request.ids === undefined))
    throw new Error('Give exactly one of --prompt "<text>" or --ids <ids.json>.');
  const folder = loaded ?? (await loadModelFolder(request.model, { dtype: request.dtype }));
  // Through the folder's one queue: a folder shared by several callers serves one question at a time.
  return folder.queue.run(() => generateOnFolder(request, write, folder, !loaded));
}

async function generateOnFolder(
  request: GenerateRequest,
  write: (text: string) => void,
  folder: LoadedFolder,
  disposeAfter: boolean,
): Promise<GenerateRun> {
  const { model, processor, dtype } = folder;
  const { image, resized } = await readModelImage(request.image);
  const prompt =
    request.ids !== undefined
      ? await promptFromIds(processor, await readIds(request.ids), image)
      : await promptFromInstruction(processor, image, request.prompt ?? "", request.system);
  const generator = new Generator(model, processor.tokenizer as never);
  const vocab = (model.config as unknown as { text_config: { vocab_size: number } }).text_config.vocab_size;
  const npy = request.dumpLogits ? await openNpyRows(request.dumpLogits, vocab) : null;
  const pending: Promise<void>[] = [];
  try {
    const output = await generator.generate(prompt, decodingFor(request), {
      callbacks: {
        onText: write,
        onLogits: npy ? (logits) => void pending.push(npy.append(Float32Array.from(logits))) : undefined,
      },
    });
    await Promise.all(pending);
    return {
      output,
      prompt,
      input: { width: image.width, height: image.height, resized },
      logitRows: pending.length,
      dtype,
    };
  } finally {
    await Promise.all(pending).catch(() => {});
    await npy?.close();
    generator.dispose();
    if (disposeAfter) await model.dispose();
  }
}
