import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import proj4 from "proj4";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { cropWindowHere } from "../../src/imagery/imagery-handlers";
import { chipAt, planSweep } from "../../src/sweep/plan";
import { coordinateLevels, decodePixel, writeTiffFile } from "../geotiff/writer";
import { openSource, setUpNodeImagery } from "./node-imagery";

const UTM32N = "+proj=utm +zone=32 +datum=WGS84 +units=m +no_defs";
const work = mkdtempSync(join(tmpdir(), "sweep-imagery-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the crop code in Node", () => {
  it("cuts a sweep's chips from a UTM GeoTIFF on disk exactly in the raster's own pixels", async () => {
    setUpNodeImagery();
    const path = join(work, "utm.tif");
    writeTiffFile(path, {
      levels: coordinateLevels(1200, 900, 2),
      geo: { origin: [560000, 5330000], pixelSize: [10, 10], keys: { 1024: 1, 1025: 1, 3072: 32632 } },
    });
    const source = await openSource(path);
    expect(source.sweep.kind).toBe("raster");
    const [west, north] = proj4(UTM32N, "EPSG:4326", [560000 + 3000, 5330000 - 2000]);
    const [east, south] = proj4(UTM32N, "EPSG:4326", [560000 + 8000, 5330000 - 6000]);
    const planned = planSweep(
      source.sweep,
      { west, south, east, north },
      { resolution: 0, chipSize: 128, overlap: 0.25 },
    );
    if (!planned.valid) throw new Error(planned.reason);
    const chip = chipAt(planned.plan, planned.plan.cols + 1, [0, 0, 1200, 900]);
    const image = await cropWindowHere(source.spec, 0, chip.rect, () => {}, undefined);
    expect([image.width, image.height]).toEqual([128, 128]);
    expect(image.georef.transform).toEqual([560000 + chip.rect[0] * 10, 10, 0, 5330000 - chip.rect[1] * 10, 0, -10]);
    const { data } = await sharp(Buffer.from(await image.png.arrayBuffer()))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const channels = data.length / (128 * 128);
    const at = (x: number, y: number) =>
      decodePixel(data.subarray((y * 128 + x) * channels), [chip.rect[0] + x, chip.rect[1] + y]);
    expect(at(0, 0)).toEqual([chip.rect[0], chip.rect[1]]);
    expect(at(127, 127)).toEqual([chip.rect[0] + 127, chip.rect[1] + 127]);
  });
});
