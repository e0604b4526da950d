import { describe, expect, it } from "vitest";
import { ropeIndex } from "./positions.ts";

const TOKENS = { visionStart: 10, image: 11, video: 12 };

describe("ropeIndex (upstream get_rope_index for images)", () => {
  it("numbers text on from the largest position and lays each image out as (start, start + row, start + column)", () => {
    const ids = [1, 10, 11, 11, 13, 2, 10, 11, 11, 11, 11, 13, 3];
    const { positions, delta } = ropeIndex(
      ids,
      [
        [1, 2, 4],
        [1, 4, 4],
      ],
      TOKENS,
      2,
    );
    expect(positions).toEqual([
      [0, 1, 2, 2, 4, 5, 6, 7, 7, 7, 7, 9, 10],
      [0, 1, 2, 2, 4, 5, 6, 7, 7, 8, 8, 9, 10],
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 7, 8, 9, 10],
    ]);
    expect(delta).toBe(11 - ids.length);
  });

  it("is 0, 1, 2, … on every row for text only", () => {
    expect(ropeIndex([5, 6, 7], [], TOKENS, 2)).toEqual({
      positions: [
        [0, 1, 2],
        [0, 1, 2],
        [0, 1, 2],
      ],
      delta: 0,
    });
  });

  it("refuses a prompt whose images do not match the grids", () => {
    expect(() => ropeIndex([10, 11, 11], [], TOKENS, 2)).toThrow(/1 images .* but 0 grids/);
  });
});
