import { dequantizeQ4, quantizeQ4 } from "../../../src/convert/quant/q4.ts";
import { EMBED, type ReferenceModel } from "./weights.ts";

const BLOCK = 32;

/**
 * The model with the weights the q4 graphs hold: every Linear weight and the embedding table (the 2-D tensors
 * other than the vision position table) rounded through 4-bit blocks of 32 along their rows, as the converter
 * writes them for MatMulNBits and GatherBlockQuantized. Running the reference on it separates the error of the
 * 4-bit weights themselves (a property of the checkpoint) from errors of the quantised graphs.
 */
export function withQ4Weights(model: ReferenceModel): ReferenceModel {
  const rounded = new Map<string, Float32Array>();
  return {
    ...model,
    tensor(name) {
      const shape = model.shapes.get(name) ?? (name === "lm_head.weight" ? model.shapes.get(EMBED) : undefined);
      const quantized = shape?.length === 2 && shape[1] >= BLOCK && !name.endsWith("pos_embed.weight");
      if (!quantized || !shape) return model.tensor(name);
      let found = rounded.get(name);
      if (!found) {
        found = dequantizeQ4(quantizeQ4(model.tensor(name), shape[0], shape[1], BLOCK));
        rounded.set(name, found);
      }
      return found;
    },
  };
}
