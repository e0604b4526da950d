/**
 * Model inputs for one question: token ids and, when there is one, the processed image. Prompts are built from the
 * instruction with GeoZero's chat messages (src/tasks/prompts.ts) and the model folder's chat template, or taken as
 * raw token ids. The image is expected at the model's input size already (sides multiples of 32 in the pixel budget),
 * so the processor does not resize it.
 */
import { type Processor, type RawImage, Tensor } from "@huggingface/transformers";
import { buildMessages } from "../../tasks/prompts";

/** The processed image: what the vision encoder takes, plus a key that identifies its pixels. */
export interface ImageInput {
  pixelValues: Tensor;
  gridThw: Tensor;
  /** visual tokens after the 2 × 2 merge: the number of `<|image_pad|>` in the prompt */
  tokens: number;
  /** content hash of the pixel values and grid: equal keys, equal vision features */
  key: string;
}

/** Token ids and the image they refer to. */
export interface PreparedPrompt {
  inputIds: number[];
  image: ImageInput | null;
}

/** The special tokens the image placement uses, as in Qwen3-VL's tokenizer. */
export const VISION_START = "<|vision_start|>";
export const IMAGE_PAD = "<|image_pad|>";

function tokenizerOf(processor: Processor) {
  const tokenizer = processor.tokenizer;
  if (!tokenizer) throw new Error("The processor has no tokenizer; is the model folder complete?");
  return tokenizer;
}

/** 32-bit FNV-1a over the bytes of the pixel values and grid, as hex. */
function contentKey(pixelValues: Tensor, gridThw: Tensor): string {
  const data = pixelValues.data as Float32Array;
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let hash = 0x811c9dc5;
  for (const word of words) hash = Math.imul(hash ^ word, 0x01000193);
  for (const value of gridThw.data as BigInt64Array) hash = Math.imul(hash ^ Number(value), 0x01000193);
  return `${(hash >>> 0).toString(16)}-${pixelValues.dims.join("x")}`;
}

function imageInput(pixelValues: Tensor, gridThw: Tensor, mergeSize: number): ImageInput {
  const [t, h, w] = Array.from(gridThw.data as BigInt64Array, Number);
  return { pixelValues, gridThw, tokens: (t * h * w) / (mergeSize * mergeSize), key: contentKey(pixelValues, gridThw) };
}

/**
 * An image already processed elsewhere (e.g. a reference run's exact inputs): pixel values as the processor lays them
 * out, one row of channels × temporal patch × patch² values per patch, and its [t, h, w] patch grid.
 */
export function preprocessedImage(
  pixelValues: Float32Array,
  grid: readonly [number, number, number],
  mergeSize = 2,
): ImageInput {
  const patches = grid[0] * grid[1] * grid[2];
  if (!grid.every((n) => Number.isInteger(n) && n > 0) || grid[1] % mergeSize || grid[2] % mergeSize)
    throw new RangeError(`The grid [${grid}] must be positive whole numbers with h and w multiples of ${mergeSize}.`);
  if (pixelValues.length % patches)
    throw new RangeError(
      `${pixelValues.length} pixel values do not split into ${patches} patches of the grid [${grid}].`,
    );
  const values = new Tensor("float32", pixelValues, [patches, pixelValues.length / patches]);
  return imageInput(values, new Tensor("int64", BigInt64Array.from(grid, BigInt), [1, 3]), mergeSize);
}

function mergeSizeOf(processor: Processor): number {
  return (processor.image_processor as unknown as { merge_size?: number } | undefined)?.merge_size ?? 2;
}

/** The prompt for one question about `image`: GeoZero's messages through the folder's chat template. */
export async function promptFromInstruction(
  processor: Processor,
  image: RawImage,
  instruction: string,
  useSystemPrompt: boolean,
): Promise<PreparedPrompt> {
  const text = processor.apply_chat_template(buildMessages(instruction, useSystemPrompt), {
    add_generation_prompt: true,
  }) as string;
  const inputs = await processor(text, image);
  return {
    inputIds: Array.from(inputs.input_ids.data as BigInt64Array, Number),
    image: imageInput(inputs.pixel_values, inputs.image_grid_thw, mergeSizeOf(processor)),
  };
}

/**
 * A prompt from raw token ids holding exactly one `<|image_pad|>` right after `<|vision_start|>`; that pad is
 * expanded to the image's token count.
 */
export async function promptFromIds(
  processor: Processor,
  ids: readonly number[],
  image: RawImage,
): Promise<PreparedPrompt> {
  const tokenizer = tokenizerOf(processor);
  const [visionStart, imagePad] = [VISION_START, IMAGE_PAD].map((token) => {
    const id = tokenizer.convert_tokens_to_ids(token) as number | undefined;
    if (typeof id !== "number") throw new Error(`The tokenizer has no ${token} token; is this a Qwen3-VL model?`);
    return id;
  });
  const pads = ids.flatMap((id, at) => (id === imagePad ? [at] : []));
  if (pads.length !== 1 || ids[pads[0] - 1] !== visionStart) {
    throw new Error(
      `The ids must hold exactly one ${IMAGE_PAD} (${imagePad}) right after ${VISION_START} (${visionStart}); found ${pads.length} pads. Put [..., ${visionStart}, ${imagePad}, ...] where the image goes.`,
    );
  }
  const imageProcessor = processor.image_processor;
  if (!imageProcessor) throw new Error("The processor has no image processor; is the model folder complete?");
  const { pixel_values, image_grid_thw } = (await imageProcessor(image)) as {
    pixel_values: Tensor;
    image_grid_thw: Tensor;
  };
  const input = imageInput(pixel_values, image_grid_thw, mergeSizeOf(processor));
  const inputIds = [...ids.slice(0, pads[0]), ...new Array(input.tokens).fill(imagePad), ...ids.slice(pads[0] + 1)];
  return { inputIds, image: input };
}

/** A prompt without an image, from text already in the chat format. */
export function promptFromText(processor: Processor, text: string): PreparedPrompt {
  const encoded = tokenizerOf(processor)(text) as { input_ids: Tensor };
  return { inputIds: Array.from(encoded.input_ids.data as BigInt64Array, Number), image: null };
}
