/**
 * A minimal real `Answerer` for Node: transformers.js (onnxruntime-node) with a converted model folder, the app's
 * prompt building (`buildMessages`), the processor's own resize, greedy or seeded sampling through `generate`. Beam
 * search is not in transformers.js 4.3.1 (it silently runs greedy), so beam requests run greedy and say so in the
 * record's note. Meant to be replaced by the app's shared generation module, which implements the same interface.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import {
  AutoProcessor,
  env,
  InterruptableStoppingCriteria,
  Qwen3VLForConditionalGeneration,
  RawImage,
  random,
  type Tensor,
} from "@huggingface/transformers";
import type { ModelManifest } from "../model/manifest";
import { buildMessages, type Decoding } from "../tasks/prompts";
import type { Answer, Answerer, AnswerOptions, AnswerRequest } from "./answerer";

export interface TransformersAnswererOptions {
  /** One of the folder's dtypes (manifest `dtypes`); q4 when it has one, else its first. */
  dtype?: string;
  /** onnxruntime-node execution provider: cpu, or cuda where the machine has CUDA. */
  device?: "cpu" | "cuda";
}

const BEAM_NOTE =
  "Beam search is not available in transformers.js 4.3.1; this sample ran greedy (GeoZero's captioning uses 5 beams).";

function generationOptions(decoding: Decoding): { options: Record<string, unknown>; note: string | null } {
  switch (decoding.kind) {
    case "greedy":
      return { options: { do_sample: false, max_new_tokens: decoding.maxNewTokens }, note: null };
    case "sample":
      return {
        options: {
          do_sample: true,
          temperature: decoding.temperature,
          top_p: decoding.topP,
          top_k: decoding.topK,
          max_new_tokens: decoding.maxNewTokens,
        },
        note: null,
      };
    case "beam":
      return { options: { do_sample: false, max_new_tokens: decoding.maxNewTokens }, note: BEAM_NOTE };
  }
}

function readManifest(folder: string): ModelManifest {
  try {
    return JSON.parse(readFileSync(resolve(folder, "manifest.json"), "utf8")) as ModelManifest;
  } catch (error) {
    throw new Error(
      `${folder}/manifest.json cannot be read (${(error as Error).message}); --model takes a folder made by npm run convert, e.g. model-cache/geozero-tiny.`,
    );
  }
}

export async function loadTransformersAnswerer(
  modelFolder: string,
  { dtype, device = "cpu" }: TransformersAnswererOptions = {},
): Promise<Answerer> {
  const folder = resolve(modelFolder);
  const manifest = readManifest(folder);
  if (manifest.source.modelType !== "qwen3_vl") {
    throw new Error(
      `${folder} holds a "${manifest.source.modelType}" model; the evaluation runs Qwen3-VL models only.`,
    );
  }
  const chosen = dtype ?? (manifest.dtypes.includes("q4") ? "q4" : manifest.dtypes[0]);
  if (!manifest.dtypes.includes(chosen)) {
    throw new Error(`${folder} has no ${chosen} weights; it has ${manifest.dtypes.join(", ")}.`);
  }
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(folder)}/`;
  const modelId = basename(folder);
  const processor = await AutoProcessor.from_pretrained(modelId);
  const model = await Qwen3VLForConditionalGeneration.from_pretrained(modelId, { dtype: chosen as "q4", device });

  async function answer(request: AnswerRequest, decoding: Decoding, { seed, signal }: AnswerOptions): Promise<Answer> {
    const image = await RawImage.read(request.imagePath);
    const prompt = processor.apply_chat_template(buildMessages(request.instruction, request.useSystemPrompt), {
      add_generation_prompt: true,
    });
    const inputs = await processor(prompt, image.rgb());
    const stopping = new InterruptableStoppingCriteria();
    const onAbort = () => stopping.interrupt();
    signal?.addEventListener("abort", onAbort, { once: true });
    const { options, note } = generationOptions(decoding);
    random.seed(seed);
    try {
      const output = (await model.generate({ ...inputs, ...options, stopping_criteria: stopping })) as Tensor;
      const promptLength = inputs.input_ids.dims[1];
      const generated = output.slice(null, [promptLength, null]);
      const [text] = processor.batch_decode(generated, { skip_special_tokens: true });
      return { text, tokens: output.dims[1] - promptLength, note };
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  return {
    info: { model: modelId, dtype: chosen, device: `onnxruntime-node ${device}` },
    answer,
    dispose: async () => {
      await model.dispose();
    },
  };
}
