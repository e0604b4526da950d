import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeUrlState, encodeUrlState, type UrlState } from "./url-state";

const state: UrlState = {
  view: { center: [10.005, 48.0], zoom: 14.5 },
  bbox: { west: 9.99905, south: 48.0021, east: 10.0012345678, north: 48.006 },
  cropZoom: 17,
  sourceId: "sample",
  cogUrl: null,
  inspect: false,
  sample: "3:images/a b.png",
};

describe("URL state", () => {
  afterEach(() => vi.restoreAllMocks());

  it("encodes view, selection, crop zoom and source, and decodes them back", () => {
    const hash = encodeUrlState(state);
    expect(hash).toBe("#map=14.50/48.000000/10.005000&bbox=9.99905,48.0021,10.001234568,48.006&cz=17&source=sample");
    const decoded = decodeUrlState(hash);
    expect(decoded.view).toEqual(state.view);
    expect(decoded.cropZoom).toBe(17);
    expect(decoded.sourceId).toBe("sample");
    const bbox = decoded.bbox;
    if (!bbox) throw new Error("no bbox");
    for (const edge of ["west", "south", "east", "north"] as const)
      expect(bbox[edge]).toBeCloseTo(state.bbox?.[edge] ?? 0, 8);
  });

  it("says when the Inspect view is open, and which sample (any id, encoded)", () => {
    const hash = encodeUrlState({ ...state, inspect: true });
    expect(hash).toContain("&view=inspect&sample=3%3Aimages%2Fa%20b.png");
    expect(decodeUrlState(hash)).toMatchObject({ inspect: true, sample: "3:images/a b.png" });
    expect(encodeUrlState(state)).not.toContain("sample=");
  });

  it("leaves out what is not there: no selection, automatic crop zoom", () => {
    const decoded = decodeUrlState(encodeUrlState({ ...state, bbox: null, cropZoom: null }));
    expect(decoded).toEqual({ view: state.view, sourceId: "sample" });
  });

  it("carries the URL of a COG so that a link opens it again, and only http(s) URLs", () => {
    const url = "https://example.org/s2/T32TNT_20240601_TCI.tif?version=2&x=a b";
    const hash = encodeUrlState({ ...state, sourceId: "cog:x", cogUrl: url });
    expect(decodeUrlState(hash).cogUrl).toBe(new URL(url).href);
    expect(decodeUrlState(`#cog=${encodeURIComponent("javascript:alert(1)")}`).cogUrl).toBeUndefined();
    expect(decodeUrlState("#cog=not%20a%20url").cogUrl).toBeUndefined();
  });

  it("keeps a bbox across the antimeridian (west > east)", () => {
    expect(decodeUrlState("#bbox=179.9,-16.6,-179.9,-16.5").bbox).toEqual({
      west: 179.9,
      south: -16.6,
      east: -179.9,
      north: -16.5,
    });
  });

  it.each([
    ["", {}],
    ["#", {}],
    ["#garbage", {}],
    ["#map=abc/1/2", {}],
    ["#map=14/95/10", {}],
    ["#map=14/48", {}],
    ["#map=30/48/10", {}],
    ["#map=14/48/10/3", {}],
    ["#bbox=1,2,3", {}],
    ["#bbox=10,48.1,10.1,48", {}],
    ["#bbox=10,,10.1,48", {}],
    ["#bbox=Infinity,1,2,3", {}],
    ["#cz=-1", {}],
    ["#cz=17.5", {}],
    ["#cz=99", {}],
    ["#source=%3Cscript%3E", {}],
    ["#%E0%A4%A", {}],
    ["#map=14/48/10&bbox=oops&cz=16", { view: { center: [10, 48], zoom: 14 }, cropZoom: 16 }],
  ])("ignores malformed parts of %j, keeping the well-formed ones, without a word on the console", (hash, expected) => {
    const spies = (["log", "warn", "error", "info", "debug"] as const).map((m) => vi.spyOn(console, m));
    expect(decodeUrlState(hash)).toEqual(expected);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});
