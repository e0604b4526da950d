import { describe, expect, it } from "vitest";
import {
  FAILED_TILES_LIMIT,
  imageryProblemText,
  MISSING_TILES_LIMIT,
  TileHealth,
  type TileOutcome,
} from "./tile-health";

const missing = (n: number): TileOutcome => ({ kind: "missing", url: `https://t.example/16/${n}/1.png` });
const noCors: TileOutcome = {
  kind: "failed",
  url: "https://t.example/16/0/1.png",
  problem: { kind: "no-cors" },
  reason: "no CORS",
};

describe("TileHealth", () => {
  it("reports a source whose every tile so far is a 404, once, after the limit", () => {
    const health = new TileHealth();
    const reports = Array.from({ length: MISSING_TILES_LIMIT + 3 }, (_, i) => health.record(missing(i)));
    expect(reports.slice(0, MISSING_TILES_LIMIT - 1)).toEqual(Array(MISSING_TILES_LIMIT - 1).fill(null));
    expect(reports[MISSING_TILES_LIMIT - 1]).toEqual({
      kind: "no-tiles",
      tiles: MISSING_TILES_LIMIT,
      exampleUrl:
        missing(MISSING_TILES_LIMIT - 1).kind === "missing"
          ? `https://t.example/16/${MISSING_TILES_LIMIT - 1}/1.png`
          : "",
    });
    expect(reports.slice(MISSING_TILES_LIMIT).every((r) => r === null)).toBe(true);
  });

  it("does not report missing tiles of a source that has shown some", () => {
    const health = new TileHealth();
    health.record({ kind: "tile" });
    const reports = Array.from({ length: 3 * MISSING_TILES_LIMIT }, (_, i) => health.record(missing(i)));
    expect(reports.every((r) => r === null)).toBe(true);
  });

  it("reports the first failure of a source that has shown nothing, and a working one only after a run of them", () => {
    expect(new TileHealth().record(noCors)).toMatchObject({ kind: "failed", problem: { kind: "no-cors" } });
    const working = new TileHealth();
    working.record({ kind: "tile" });
    const reports = Array.from({ length: FAILED_TILES_LIMIT }, () => working.record(noCors));
    expect(reports.slice(0, -1).every((r) => r === null)).toBe(true);
    expect(reports.at(-1)).toMatchObject({ kind: "failed" });
  });

  it("words each problem with the source's name and the fix, never a raw error", () => {
    const noTiles = imageryProblemText("Custom tiles (t.example/{z}/{x}/{y}.png)", {
      kind: "no-tiles",
      tiles: 6,
      exampleUrl: "https://t.example/16/0/1.png",
    });
    expect(noTiles).toMatch(/^Custom tiles \(t\.example\/\{z\}\/\{x\}\/\{y\}\.png\) shows nothing: .*404/);
    expect(noTiles).toContain("order of {z}, {x} and {y}");
    if (noCors.kind !== "failed") throw new Error("unreachable");
    const cors = imageryProblemText("Custom tiles (t.example)", noCors);
    expect(cors).toMatch(/^Custom tiles \(t\.example\) cannot be shown: .*no CORS header/);
    expect(cors).toContain("npm run pack-area");
    expect(cors).not.toContain("AJAXError");
  });
});
