import { describe, expect, it } from "vitest";
import { gridCells, pickedTilesBBox, tileAt } from "./tile-grid";

const keys = (cells: ReturnType<typeof gridCells>) => cells?.features.map((f) => f.properties?.key as string) ?? [];

describe("the tile grid across the antimeridian", () => {
  it("picks the tile under a click on the map's next copy of the world (past 180°) as on this one", () => {
    expect(tileAt(180.5, 0.5, 4)).toEqual(tileAt(-179.5, 0.5, 4));
    expect(tileAt(180.5, 0.5, 4).x).toBe(0);
    expect(tileAt(-180.5, 0.5, 4).x).toBe(15);
  });

  it("draws the cells on both sides of 180° in a view across it, each once", () => {
    const cells = keys(gridCells({ west: 170, south: -1, east: 190, north: 1 }, 4));
    expect(cells).toEqual(expect.arrayContaining(["4/15/7", "4/15/8", "4/0/7", "4/0/8"]));
    expect(cells).toHaveLength(4);
    // A view wider than the world draws each column once.
    const world = keys(gridCells({ west: -400, south: -1, east: 400, north: 1 }, 2));
    expect(new Set(world).size).toBe(world.length);
    expect(world).toHaveLength(4 * 2);
  });

  it("bounds tiles picked on both sides of 180° by the few tiles between them, not by the world", () => {
    const bbox = pickedTilesBBox([
      { z: 4, x: 15, y: 7 },
      { z: 4, x: 0, y: 8 },
    ]);
    expect(bbox).toMatchObject({ west: 157.5, east: -157.5 });
    expect(
      pickedTilesBBox([
        { z: 4, x: 3, y: 7 },
        { z: 4, x: 5, y: 7 },
      ]),
    ).toMatchObject({ west: -112.5, east: -45 });
    const all = Array.from({ length: 4 }, (_, x) => ({ z: 2, x, y: 1 }));
    expect(pickedTilesBBox(all)).toMatchObject({ west: -180, east: 180 });
  });
});
