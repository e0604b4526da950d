import type { RunInputs } from "./count.ts";
import type { GraphView } from "./graph-view.ts";

const numeric = (d: number | string, what: string): number => {
  if (typeof d !== "number") throw new Error(`${what}: dimension "${d}" must be a number in the graph.`);
  return d;
};

/**
 * The decoder's inputs for one run of `sequence` new positions after `past` cached ones (batch 1, the last position's
 * logits kept), as the app feeds them: one decoding step is `sequence` 1, a prefill chunk `sequence` 256.
 */
export function decoderRunInputs(graph: GraphView, sequence: number, past: number): RunInputs {
  const inputs: RunInputs = {};
  for (const input of graph.inputs) {
    if (input.name === "inputs_embeds")
      inputs[input.name] = { shape: [1, sequence, numeric(input.shape[2], input.name)] };
    else if (input.name === "attention_mask") inputs[input.name] = { shape: [1, past + sequence] };
    else if (input.name === "position_ids") inputs[input.name] = { shape: [3, 1, sequence] };
    else if (input.name === "num_logits_to_keep") inputs[input.name] = { shape: [], values: [1] };
    else if (input.name.startsWith("past_key_values."))
      inputs[input.name] = {
        shape: [1, numeric(input.shape[1], input.name), past, numeric(input.shape[3], input.name)],
      };
    else throw new Error(`The decoder input "${input.name}" is not one the cost counter knows.`);
  }
  return inputs;
}

/** The vision encoder's inputs for one square image of `side`² pixels (patches of 16 px, merged 2×2). */
export function visionRunInputs(graph: GraphView, side: number, patch = 16): RunInputs {
  const grid = side / patch;
  if (!Number.isInteger(grid) || grid % 2 !== 0)
    throw new Error(`An image side of ${side} px is not a multiple of ${2 * patch} px (2×2 patches of ${patch} px).`);
  const pixels = graph.inputs.find((i) => i.name === "pixel_values");
  if (!pixels) throw new Error("The vision encoder has no pixel_values input.");
  return {
    pixel_values: { shape: [grid * grid, numeric(pixels.shape[1], "pixel_values")] },
    image_grid_thw: { shape: [1, 3], values: [1, grid, grid] },
  };
}
