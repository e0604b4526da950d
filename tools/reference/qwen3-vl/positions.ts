import type { Grid } from "./vision.ts";
import type { SpecialTokens } from "./weights.ts";

/** MRoPE positions of a prompt: three rows (temporal, height, width) of one position per token. */
export interface RopeIndex {
  positions: [number[], number[], number[]];
  /** Added to a later token's cache index to get its (equal) three positions when decoding. */
  delta: number;
}

/**
 * Multimodal positions as upstream `get_rope_index` computes them for images: text tokens count on from the
 * largest position so far; the merged tokens of an image (`<|vision_start|>` then image pads) take
 * (start + frame, start + row, start + column) with start the position after the preceding text.
 */
export function ropeIndex(ids: number[], grids: Grid[], tokens: SpecialTokens, spatialMergeSize: number): RopeIndex {
  const imageCount = ids.filter((id, i) => id === tokens.visionStart && ids[i + 1] === tokens.image).length;
  if (imageCount !== grids.length)
    throw new Error(`The prompt has ${imageCount} images (<|vision_start|><|image_pad|>) but ${grids.length} grids.`);
  if (ids.includes(tokens.video)) throw new Error("Video tokens are not supported by the reference forward pass.");
  const positions: [number[], number[], number[]] = [[], [], []];
  let next = 0;
  const pushText = (count: number) => {
    for (let i = 0; i < count; i++) for (const row of positions) row.push(next + i);
    next += count;
  };
  let start = 0;
  for (const [t, h, w] of grids) {
    const end = ids.indexOf(tokens.image, start);
    pushText(end - start);
    const [rows, columns] = [h / spatialMergeSize, w / spatialMergeSize];
    for (let frame = 0; frame < t; frame++)
      for (let row = 0; row < rows; row++)
        for (let column = 0; column < columns; column++) {
          positions[0].push(next + frame);
          positions[1].push(next + row);
          positions[2].push(next + column);
        }
    next += Math.max(t, rows, columns);
    start = end + t * rows * columns;
  }
  pushText(ids.length - start);
  return { positions, delta: next - ids.length };
}
