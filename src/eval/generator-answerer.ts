/**
 * The evaluation's `Answerer` in Node: the app's shared generation module (src/model/generation) on onnxruntime-node,
 * loaded and fed exactly as `npm run generate` does (src/model/node-folder.ts): the image resized to the model's input
 * size, GeoZero's messages through the folder's chat template, then greedy, seeded sampling (the sample's seed) or
 * HF-style beam search with the task's settings (captioning: 5 beams, length penalty 0.8, early stopping).
 */
import { Generator } from "../model/generation/generator";
import { promptFromInstruction } from "../model/generation/inputs";
import { type FolderLoadOptions, type LoadedFolder, loadModelFolder, readModelImage } from "../model/node-folder";
import type { Decoding } from "../tasks/prompts";
import type { Answer, Answerer, AnswerOptions, AnswerRequest } from "./answerer";

/**
 * An answerer over a loaded folder. Every sample is prefilled whole (no KV prefix carried over from the previous
 * sample), so an answer does not depend on which samples ran before it and a resumed run answers as a fresh one.
 * The one Generator holds one KV cache, so overlapping calls go through the model's one queue (src/io/call-queue.ts,
 * as in the browser's model worker): one after another, a cancelled waiting call never runs.
 */
export function generatorAnswerer(loaded: LoadedFolder): Answerer {
  const { model, processor } = loaded;
  const generator = new Generator(model, processor.tokenizer as never, { reusePrefix: false });

  const answer = (request: AnswerRequest, decoding: Decoding, options: AnswerOptions): Promise<Answer> =>
    loaded.queue.run(() => answerNow(request, decoding, options), options.signal);

  async function answerNow(
    request: AnswerRequest,
    decoding: Decoding,
    { seed, signal }: AnswerOptions,
  ): Promise<Answer> {
    const { image } = await readModelImage(request.imagePath);
    const prompt = await promptFromInstruction(processor, image, request.instruction, request.useSystemPrompt);
    const output = await generator.generate(prompt, { ...decoding, seed }, { signal });
    return { text: output.text, tokens: output.tokenIds.length, score: output.score };
  }

  return {
    info: { model: loaded.id, dtype: loaded.dtype, device: `onnxruntime-node ${loaded.device}` },
    answer,
    dispose: async () => {
      generator.dispose();
      await model.dispose();
    },
  };
}

/** Loads a converted folder (e.g. model-cache/geozero-tiny) and answers with it. */
export async function loadGeneratorAnswerer(folder: string, options: FolderLoadOptions = {}): Promise<Answerer> {
  return generatorAnswerer(await loadModelFolder(folder, options));
}
