import { describe, expect, it } from "vitest";
import { coordinateLevels, tiffBytes } from "../../tools/geotiff/writer";
import { openRasterOnce } from "../imagery/raster/registry";
import { useAppStore } from "../state/store";
import { addCustomSource, releaseUnusedRasters } from "./imagery";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the imagery actions", () => {
  it("release an open GeoTIFF (header, tile index, byte cache) when another source is chosen", async () => {
    const utm = { origin: [560000, 5330000] as [number, number], pixelSize: [10, 10] as [number, number] };
    const bytes = tiffBytes({ levels: coordinateLevels(300, 300, 0), geo: { ...utm, keys: { 1024: 1, 3072: 32632 } } });
    const location = { kind: "file" as const, file: new Blob([bytes as Uint8Array<ArrayBuffer>]) };
    const stop = releaseUnusedRasters();
    const first = await openRasterOnce("geotiff:utm.tif", "utm.tif", location);
    expect(await openRasterOnce("geotiff:utm.tif", "utm.tif", location)).toBe(first);
    useAppStore.getState().selectSource("esri-world-imagery");
    await settle();
    expect(await openRasterOnce("geotiff:utm.tif", "utm.tif", location)).not.toBe(first);
    stop();
    useAppStore.getState().selectSource("sample");
  });

  it("add a custom template once: the same one again is chosen, another one gets its own label", () => {
    const template = "https://tiles.example.com/a/{z}/{x}/{y}.png";
    expect(addCustomSource(template)).toEqual({
      kind: "added",
      name: "Custom tiles (tiles.example.com/a/{z}/{x}/{y}.png)",
    });
    useAppStore.getState().selectSource("sample");
    expect(addCustomSource(` ${template} `)).toMatchObject({ kind: "already-listed" });
    expect(useAppStore.getState().sourceId).toBe(`custom:${template}`);
    const other = addCustomSource("https://tiles.example.com/b/{z}/{x}/{y}.png");
    expect(other).toEqual({ kind: "added", name: "Custom tiles (tiles.example.com/b/{z}/{x}/{y}.png)" });
    expect(useAppStore.getState().sources.filter((s) => s.id.startsWith("custom:"))).toHaveLength(2);
    expect(addCustomSource("ftp://x/{z}/{x}/{y}")).toMatchObject({ kind: "invalid" });
  });
});
