import { readFileSync } from "node:fs";
import { type Download, expect, type Page, test } from "@playwright/test";
import { PNG } from "pngjs";
import proj4 from "proj4";
import { decodePixel, encodePixel } from "../tools/geotiff/writer";
import { type FixtureName, GeoTiffFixtures, type RasterFixture } from "./support/geotiffs";

type BBox = { west: number; south: number; east: number; north: number };
type Hooks = {
  __geozero: {
    store: {
      getState(): {
        setRectangle(bbox: BBox): void;
        setCropZoom(zoom: number | null): void;
        lastImage: {
          image: { width: number; height: number; georef: { transform: number[]; crs?: { id: string } } };
        } | null;
      };
    };
    map(): {
      map: {
        getCenter(): { lng: number; lat: number };
        getZoom(): number;
        project(p: [number, number]): { x: number; y: number };
        loaded(): boolean;
        areTilesLoaded(): boolean;
        getSource(id: string): { serialize(): { data: GeoJSON.FeatureCollection } };
      };
    } | null;
    replayAnswer(question: string, pieces: string[]): Promise<void>;
  };
};

let fixtures: GeoTiffFixtures;
test.beforeAll(() => {
  fixtures = new GeoTiffFixtures();
});
test.afterAll(() => fixtures.remove());

/** Longitude/latitude of a full-resolution pixel corner of a fixture, by proj4 from its hand-written definition. */
function lngLatOf(fixture: RasterFixture, col: number, row: number): [number, number] {
  const x = fixture.origin[0] + col * fixture.pixelSize;
  const y = fixture.origin[1] - row * fixture.pixelSize;
  return proj4(fixture.proj4, "EPSG:4326", [x, y]) as [number, number];
}

/** A bbox in degrees inside a window of a fixture's pixels: the app's crop covers it with that window, about. */
function bboxOf(fixture: RasterFixture, left: number, top: number, right: number, bottom: number): BBox {
  const [tl, tr, bl, br] = [
    lngLatOf(fixture, left, top),
    lngLatOf(fixture, right, top),
    lngLatOf(fixture, left, bottom),
    lngLatOf(fixture, right, bottom),
  ];
  return {
    west: Math.max(tl[0], bl[0]),
    east: Math.min(tr[0], br[0]),
    north: Math.min(tl[1], tr[1]),
    south: Math.max(bl[1], br[1]),
  };
}

async function openFile(page: Page, fixture: RasterFixture): Promise<void> {
  await page.getByTestId("geotiff-input").setInputFiles(fixture.path);
}

/** Opens a COG by its URL, which becomes the current source. */
async function openUrl(page: Page, url: string): Promise<void> {
  await page.getByTestId("cog-url").fill(url);
  await page.getByTestId("cog-open").click();
  await expect(page.getByTestId("source-select")).toHaveValue(`cog:${url}`);
}

function hooks(page: Page) {
  return {
    centre: () =>
      page.evaluate(() => {
        const c = (window as unknown as Hooks).__geozero.map()?.map.getCenter();
        return c ? [c.lng, c.lat] : null;
      }),
    crop: async (bbox: BBox) => {
      await page.evaluate((b) => (window as unknown as Hooks).__geozero.store.getState().setRectangle(b), bbox);
      await page.getByTestId("crop-button").click();
      await expect(page.getByTestId("crop-preview")).toBeVisible({ timeout: 60_000 });
      const image = await page.evaluate(() => (window as unknown as Hooks).__geozero.store.getState().lastImage?.image);
      const pixels = await page.getByTestId("crop-preview-image").evaluate(async (img: HTMLImageElement) => {
        await img.decode();
        const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
        const context = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
        context.drawImage(img, 0, 0);
        return Array.from(context.getImageData(0, 0, img.naturalWidth, img.naturalHeight).data);
      });
      if (!image) throw new Error("no crop");
      return { ...image, pixels };
    },
  };
}

/** The raster pixel (col, row) the map shows over a fixture's pixel, once its tiles are loaded. */
async function shownPixel(page: Page, fixture: RasterFixture, [col, row]: [number, number]): Promise<[number, number]> {
  await page.waitForFunction(() => {
    const map = (window as unknown as Hooks).__geozero.map()?.map;
    return map?.loaded() && map.areTilesLoaded();
  });
  await page.waitForTimeout(500);
  const onScreen = await page.evaluate(
    (p) => {
      const map = (window as unknown as Hooks).__geozero.map()?.map;
      const canvas = document.querySelector(".maplibregl-canvas")?.getBoundingClientRect();
      // The copy of the point nearest the view's centre (across 180°, the other copy is a world away on screen).
      const centre = map?.getCenter().lng ?? 0;
      const at = map?.project([p[0] + 360 * Math.round((centre - p[0]) / 360), p[1]]);
      return at && canvas ? { x: canvas.left + at.x, y: canvas.top + at.y } : null;
    },
    lngLatOf(fixture, col + 0.5, row + 0.5),
  );
  if (!onScreen) throw new Error("map not ready");
  const shot = PNG.sync.read(
    await page.screenshot({ clip: { x: Math.floor(onScreen.x), y: Math.floor(onScreen.y), width: 1, height: 1 } }),
  );
  return decodePixel(shot.data.subarray(0, 3), [col, row]);
}

/** The full-resolution window a crop came from, read from its own pixels, and the count of pixels that disagree. */
function cropOrigin(crop: { width: number; height: number; pixels: number[] }, near: [number, number]) {
  const [left, top] = decodePixel(crop.pixels.slice(0, 3), near);
  let mismatches = 0;
  for (let row = 0; row < crop.height; row++) {
    for (let col = 0; col < crop.width; col++) {
      const at = (row * crop.width + col) * 4;
      const expected = encodePixel(left + col, top + row);
      if (expected.some((v, i) => crop.pixels[at + i] !== v)) mismatches++;
    }
  }
  return { left, top, mismatches };
}

test("a UTM raster is shown reprojected, cropped in its own pixels, and a box maps back through proj4 within half a pixel", async ({
  page,
}) => {
  const utm = fixtures.make("utm-north.tif");
  await page.goto("/");
  await openFile(page, utm);
  await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:utm-north.tif:/);
  await expect(page.getByTestId("source-attribution")).toContainText("WGS 84 / UTM zone 32N");
  await expect(page.getByTestId("geotiff-bytes-read")).toContainText("3 levels, 1200 × 900 px");
  const [lngC, latC] = lngLatOf(utm, 600, 450);
  await expect
    .poll(async () => (await hooks(page).centre())?.map((v) => Number(v.toFixed(2))))
    .toEqual([Number(lngC.toFixed(2)), Number(latC.toFixed(2))]);

  // Shown on the map: the screen pixel over raster pixel (600, 450) shows that pixel (or one of its neighbours).
  const shown = await shownPixel(page, utm, [600, 450]);
  expect(Math.abs(shown[0] - 600)).toBeLessThanOrEqual(4);
  expect(Math.abs(shown[1] - 450)).toBeLessThanOrEqual(4);

  // The crop: the raster's own pixels, exactly, at 10 m, with the raster's CRS and transform.
  const crop = await hooks(page).crop(bboxOf(utm, 400, 300, 850, 720));
  expect(crop.georef.crs?.id).toBe("EPSG:32632");
  const { left, top, mismatches } = cropOrigin(crop, [400, 300]);
  expect(mismatches).toBe(0);
  expect(crop.georef.transform).toEqual([560000 + left * 10, 10, 0, 5330000 - top * 10, 0, -10]);
  await expect(page.getByTestId("crop-preview-caption")).toContainText("level 0 · EPSG:32632 · 10.0 m/px");

  // The export: the world file in UTM metres at pixel centres, the .prj the CRS's WKT.
  const downloads: Download[] = [];
  page.on("download", (download) => downloads.push(download));
  await page.getByTestId("crop-export-png").click();
  await expect.poll(() => downloads.length).toBe(3);
  const text = async (ending: string) => {
    const download = downloads.find((d) => d.suggestedFilename().endsWith(ending));
    return readFileSync((await download?.path()) ?? "", "utf8");
  };
  expect((await text(".pgw")).trim().split("\n").map(Number)).toEqual([
    10,
    0,
    0,
    -10,
    560000 + left * 10 + 5,
    5330000 - top * 10 - 5,
  ]);
  expect(await text(".prj")).toMatch(/^PROJCS\["WGS 84 \/ UTM zone 32N".*AUTHORITY\["EPSG","32632"\]\]\n$/);

  // A box at 250/750 ‰ of the crop maps to the longitude/latitude proj4 gives its corners, within half a pixel (5 m).
  await page.evaluate(
    (pieces) => (window as unknown as Hooks).__geozero.replayAnswer("Where?", pieces),
    ["<answer>[250, 250, 750, 750]</answer>"],
  );
  await page.getByTestId("box-convention").selectOption("relative-1000");
  const drawn = await page.evaluate(
    () => (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes").serialize().data,
  );
  if (!drawn) throw new Error("no boxes drawn");
  const ring = (drawn.features[0].geometry as GeoJSON.Polygon).coordinates[0];
  const x1 = (250 / 1000) * crop.width;
  const y1 = (250 / 1000) * crop.height;
  const x2 = (750 / 1000) * crop.width;
  const y2 = (750 / 1000) * crop.height;
  const corners = [
    [x1, y1],
    [x2, y1],
    [x2, y2],
    [x1, y2],
  ].map(([x, y]) => lngLatOf(utm, left + x, top + y));
  for (const corner of corners) {
    const metres = Math.min(
      ...ring.map(([lng, lat]) =>
        Math.hypot((lng - corner[0]) * 111_320 * Math.cos((lat * Math.PI) / 180), (lat - corner[1]) * 110_574),
      ),
    );
    expect(metres).toBeLessThan(5);
  }
});

for (const [name, crsId, attribution] of [
  ["utm-south.tif", "EPSG:32733", "UTM zone 33S"],
  ["swiss-lv95.tif", "EPSG:2056", "CH1903+ / LV95"],
  ["wgs84.tif", "EPSG:4326", "WGS 84"],
] as Array<[FixtureName, string, string]>) {
  test(`${name} is placed where proj4 puts it and cropped in its own grid (${crsId})`, async ({ page }) => {
    const fixture = fixtures.make(name);
    await page.goto("/");
    await openFile(page, fixture);
    await expect(page.getByTestId("source-attribution")).toContainText(attribution);
    const [lng, lat] = lngLatOf(fixture, fixture.width / 2, fixture.height / 2);
    await expect
      .poll(async () => (await hooks(page).centre())?.map((v) => Number(v.toFixed(2))))
      .toEqual([Number(lng.toFixed(2)), Number(lat.toFixed(2))]);
    const crop = await hooks(page).crop(bboxOf(fixture, 200, 150, 420, 330));
    expect(crop.georef.crs?.id).toBe(crsId);
    const { left, top, mismatches } = cropOrigin(crop, [200, 150]);
    expect(mismatches).toBe(0);
    const [x0, dx, , y0, , dy] = crop.georef.transform;
    expect(x0).toBeCloseTo(fixture.origin[0] + left * fixture.pixelSize, 9);
    expect(y0).toBeCloseTo(fixture.origin[1] - top * fixture.pixelSize, 9);
    expect([dx, dy]).toEqual([fixture.pixelSize, -fixture.pixelSize]);
  });
}

test("a raster across the antimeridian is fitted in view (not the whole world), shown on both sides and cropped across 180°", async ({
  page,
}) => {
  const fixture = fixtures.make("utm60-antimeridian.tif");
  await page.goto("/");
  await openFile(page, fixture);
  await expect(page.getByTestId("source-attribution")).toContainText("WGS 84 / UTM zone 60N");
  const wrapped = (lng: number) => ((((lng + 180) % 360) + 360) % 360) - 180;
  const [lngC, latC] = lngLatOf(fixture, 300, 200);
  // The 6 km raster fills the view: zoomed in on its centre, not fitted to the world (zoom 0 to 2).
  const currentView = () =>
    page.evaluate(() => {
      const map = (window as unknown as Hooks).__geozero.map()?.map;
      return map ? { lng: map.getCenter().lng, lat: map.getCenter().lat, zoom: map.getZoom() } : null;
    });
  await expect.poll(async () => (await currentView())?.zoom ?? 0).toBeGreaterThan(11);
  const view = await currentView();
  if (!view) throw new Error("no map");
  expect(Math.abs(wrapped(view.lng - lngC))).toBeLessThan(0.01);
  expect(Math.abs(view.lat - latC)).toBeLessThan(0.01);
  // The link keeps that view, its centre within ±180°.
  await expect.poll(() => new URL(page.url()).hash).toMatch(/map=1[1-9]\.\d+\/5[12]\.\d+\/-?1(79|80)\.\d+/);

  // Shown on the map on both sides of 180°: raster columns 100 (west of it) and 500 (east of it).
  for (const at of [
    [100, 200],
    [500, 200],
  ] as Array<[number, number]>) {
    const shown = await shownPixel(page, fixture, at);
    expect(Math.abs(shown[0] - at[0])).toBeLessThanOrEqual(4);
    expect(Math.abs(shown[1] - at[1])).toBeLessThanOrEqual(4);
  }

  // A crop across 180°: the raster's own pixels, exactly.
  const crop = await hooks(page).crop(bboxOf(fixture, 200, 100, 420, 300));
  expect(crop.georef.crs?.id).toBe("EPSG:32660");
  const { mismatches } = cropOrigin(crop, [200, 100]);
  expect(mismatches).toBe(0);
});

test("a COG by URL is read by range: header, the overview for the view and the crop's window, under 10% of the file", async ({
  page,
}) => {
  const { startTileServer } = await import("./support/tile-server");
  const server = await startTileServer();
  try {
    const cog = fixtures.make("big-cog.tif");
    server.serveFile("big-cog.tif", cog.path);
    await page.goto("/");
    await openUrl(page, `${server.url}/cog/big-cog.tif`);
    await page.waitForFunction(() => {
      const map = (window as unknown as Hooks).__geozero.map()?.map;
      return map?.loaded() && map.areTilesLoaded();
    });
    const crop = await hooks(page).crop(bboxOf(cog, 2000, 2000, 2300, 2250));
    expect(cropOrigin(crop, [2000, 2000]).mismatches).toBe(0);
    const served = server.bytesServed("big-cog.tif");
    console.log(`COG by URL: ${served} of ${cog.size} bytes served (${((100 * served) / cog.size).toFixed(1)} %)`);
    expect(served).toBeLessThan(cog.size / 10);
    await expect(page.getByTestId("geotiff-bytes-read")).toContainText("5 levels, 4096 × 4096 px");

    // The URL is in the link: opening the link opens the COG again.
    const link = page.url();
    expect(link).toContain(`cog=${encodeURIComponent(`${server.url}/cog/big-cog.tif`)}`);
    await page.goto("about:blank");
    await page.goto(link);
    await expect(page.getByTestId("source-select")).toHaveValue(`cog:${server.url}/cog/big-cog.tif`);
  } finally {
    await server.close();
  }
});

test("a COG URL signed for GET only (a HEAD gets 403, as S3 and GCS presigned URLs answer) opens and crops", async ({
  page,
}) => {
  const { startTileServer } = await import("./support/tile-server");
  const server = await startTileServer();
  try {
    const cog = fixtures.make("utm-south.tif");
    server.serveFile("utm-south.tif", cog.path);
    await page.goto("/");
    await openUrl(page, `${server.url}/cog-signed/utm-south.tif`);
    await expect(page.getByTestId("geotiff-bytes-read")).toContainText("2 levels, 800 × 600 px");
    const crop = await hooks(page).crop(bboxOf(cog, 200, 150, 420, 330));
    expect(cropOrigin(crop, [200, 150]).mismatches).toBe(0);
    expect(server.requests.filter((r) => r.startsWith("/cog-signed/")).length).toBeGreaterThan(0);
  } finally {
    await server.close();
  }
});

test("URLs that cannot be read by range are refused with the fix, and the current source stays", async ({ page }) => {
  const { startTileServer } = await import("./support/tile-server");
  const server = await startTileServer();
  try {
    const cog = fixtures.make("utm-south.tif");
    server.serveFile("utm-south.tif", cog.path);
    await page.goto("/");
    for (const [route, message] of [
      ["cog-norange/utm-south.tif", "does not support HTTP range requests"],
      ["cog-nocors/utm-south.tif", "does not allow this page to read it (no CORS header)"],
      ["cog/missing.tif", "HTTP 404 (not found)"],
    ]) {
      await page.getByTestId("cog-url").fill(`${server.url}/${route}`);
      await page.getByTestId("cog-open").click();
      await expect(page.getByTestId("geotiff-error")).toContainText(message);
      await expect(page.getByTestId("source-select")).toHaveValue("sample");
    }
  } finally {
    await server.close();
  }
});

test("bad files are refused by name with the fix, by the file button and by drop, and the open raster stays", async ({
  page,
}) => {
  const utm = fixtures.make("utm-north.tif");
  const whole = readFileSync(utm.path);
  const noGeo = fixtures.write(
    "scan.tif",
    { epsg: 0, proj4: "", origin: [0, 0], pixelSize: 1 },
    {
      levels: [{ width: 64, height: 64, pixel: () => [1, 2, 3] }],
    },
  );
  const quebec = fixtures.write(
    "quebec.tif",
    { epsg: 2009, proj4: "", origin: [300000, 5000000], pixelSize: 10 },
    {
      levels: [{ width: 64, height: 64, pixel: () => [1, 2, 3] }],
      geo: { origin: [300000, 5000000], pixelSize: [10, 10], keys: { 1024: 1, 3072: 2009 } },
    },
  );
  await page.goto("/");
  await openFile(page, utm);
  await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:utm-north.tif:/);

  const cases: Array<[string, Buffer, RegExp]> = [
    ["cut.tif", whole.subarray(0, whole.length - 20_000), /^cut.tif is truncated: .*Download or copy it again/],
    ["cut-header.tif", whole.subarray(0, 200), /^cut-header.tif is truncated/],
    ["scan.tif", readFileSync(noGeo.path), /^scan.tif is a TIFF without georeferencing/],
    ["quebec.tif", readFileSync(quebec.path), /^quebec.tif: EPSG:2009 .*datum grid .*gdalwarp -t_srs EPSG:3857/],
    ["notes.tif", Buffer.from("just notes"), /^notes.tif is not a GeoTIFF/],
  ];
  for (const [name, buffer, message] of cases) {
    await page.getByTestId("geotiff-input").setInputFiles({ name, mimeType: "image/tiff", buffer });
    await expect(page.getByTestId("geotiff-error")).toHaveText(message, { timeout: 20_000 });
    await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:utm-north.tif:/);
  }
  // The same truncated file dropped on the map.
  const bytes = Array.from(whole.subarray(0, whole.length - 20_000));
  const dataTransfer = await page.evaluateHandle((data) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], "dropped.tif", { type: "image/tiff" }));
    return transfer;
  }, bytes);
  await page.dispatchEvent("main.map-area", "drop", { dataTransfer });
  await expect(page.getByTestId("geotiff-error")).toHaveText(/^dropped.tif is truncated/);
  await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:utm-north.tif:/);
});

test("a sparse 5 GB BigTIFF opens and crops by range, without its size in memory", async ({ page }) => {
  const big = fixtures.sparse("sparse-5gb.tif", 5);
  expect(big.size).toBeGreaterThan(4.5e9);
  await page.goto("/");
  await openFile(page, big);
  await expect(page.getByTestId("source-select")).toHaveValue(/^geotiff:sparse-5gb.tif:/, { timeout: 30_000 });
  // Its last tiles lie past 4 GiB: crop a window from them.
  const crop = await hooks(page).crop(bboxOf(big, 800, 800, 1000, 1000));
  expect(cropOrigin(crop, [800, 800]).mismatches).toBe(0);
  await expect(page.getByTestId("geotiff-bytes-read")).toContainText(/Read [\d.]+ (kB|MB) of [45]\.\d\d GB/);
  const heap = await page.evaluate(
    () => (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize,
  );
  expect(heap).toBeLessThan(300e6);
});
