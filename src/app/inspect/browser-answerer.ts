/**
 * The evaluation's `Answerer` in the browser: the loaded model in the model worker, asked with the same prompt,
 * decoding and per-sample seed as `npm run eval`, every sample from a fresh state. Images come from the folder the
 * user opened; the worker resizes them to the model's input size (Qwen3-VL's default pixel budget, as the Node tool).
 */
import type { Answerer, AnswererInfo } from "../../eval/answerer";
import type { ImageIndex } from "../../inspect/images";
import { modelWorker } from "../../model/client";
import { DEFAULT_PIXEL_BUDGET } from "../../tasks/model-input-size";

export function workerAnswerer(info: AnswererInfo, images: ImageIndex<File>): Answerer {
  const fileOf = (path: string): File => {
    const file = images.find(path);
    if (!file) throw new Error(`The images folder has no ${path}; open the folder the annotation file refers to.`);
    return file;
  };
  return {
    info,
    answer: async (request, decoding, { seed, signal }) => {
      const result = await modelWorker().call(
        "generate",
        {
          image: fileOf(request.imagePath),
          instruction: request.instruction,
          useSystemPrompt: request.useSystemPrompt,
          decoding,
          budget: DEFAULT_PIXEL_BUDGET,
          seed,
          fresh: true,
        },
        { signal },
      );
      return { text: result.text, tokens: result.tokens };
    },
    dispose: async () => {},
  };
}

/** An image file's size in pixels, decoded by the browser. */
export async function imageFileSize(file: Blob): Promise<{ width: number; height: number }> {
  const bitmap = await createImageBitmap(file);
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return size;
}
