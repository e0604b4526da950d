/**
 * GeoTIFF benchmark: a 4096² UTM COG (4 overviews, deflate) opened in headless Chromium from a local File and by URL
 * from the test server on 127.0.0.1 (HTTP range requests). For each: the time to the first map tile (open: header and
 * tile index, then one tile at the zoom that shows the whole raster) and to a 2048² full-resolution crop, beside the
 * time to read the same number of bytes plainly (one `Blob.slice` or one range request). Each run opens the file
 * afresh under a new id, so no cache is reused.
 */
import { GeoTiffFixtures } from "../../e2e/support/geotiffs";
import { startTileServer } from "../../e2e/support/tile-server";
import type { RasterLocation } from "../../src/imagery/types";
import { openAppPage } from "./browser";
import type { BenchPart } from "./parts";

const REPEATS = 3;
/** The app's modules the page imports from the Vite dev server. */
const MODULES = [
  "/src/imagery/raster/client.ts",
  "/src/imagery/raster/bytes-read.ts",
  "/src/imagery/imagery-client.ts",
  "/src/geo/mercator.ts",
  "/src/geo/georef.ts",
];

interface Run {
  firstTileMs: number;
  tileBytes: number;
  cropMs: number;
  cropBytes: number;
  plainTileMs: number;
  plainCropMs: number;
}

export const geotiffBench: BenchPart = {
  name: "geotiff",
  async run() {
    const fixtures = new GeoTiffFixtures();
    const cog = fixtures.make("big-cog.tif");
    const server = await startTileServer();
    server.serveFile("big-cog.tif", cog.path);
    const app = await openAppPage();
    try {
      // The first import of these modules may make Vite optimise a dependency and reload the page: do it before.
      await app.page
        .evaluate((paths) => Promise.all(paths.map((path) => import(/* @vite-ignore */ path))), MODULES)
        .catch(() => undefined);
      await app.page.waitForLoadState("load");
      await app.page.waitForFunction(() => "__geozero" in window);
      await app.page.evaluate(() => {
        const input = document.createElement("input");
        input.type = "file";
        input.id = "bench-file";
        document.body.append(input);
      });
      await app.page.setInputFiles("#bench-file", cog.path);
      const url = `${server.url}/cog/big-cog.tif`;
      console.log(`COG: ${cog.width} × ${cog.height} px, 5 levels, ${(cog.size / 1e6).toFixed(1)} MB`);
      for (const kind of ["file", "url"] as const) {
        const runs: Run[] = [];
        for (let i = 0; i < REPEATS; i++) runs.push(await measure(app.page, kind, url, i));
        report(kind === "file" ? "local File" : "HTTP on 127.0.0.1", runs);
      }
    } finally {
      await app.close();
      await server.close();
      fixtures.remove();
    }
  },
};

function measure(page: import("@playwright/test").Page, kind: "file" | "url", url: string, run: number): Promise<Run> {
  return page.evaluate(
    async ({ kind, url, run, modules }) => {
      const [client, bytes, crop, mercator, georef] = (await Promise.all(
        modules.map((path) => import(/* @vite-ignore */ path)),
      )) as [
        typeof import("../../src/imagery/raster/client"),
        typeof import("../../src/imagery/raster/bytes-read"),
        typeof import("../../src/imagery/imagery-client"),
        typeof import("../../src/geo/mercator"),
        typeof import("../../src/geo/georef"),
      ];
      const file = (document.getElementById("bench-file") as HTMLInputElement).files?.[0] as File;
      const location: RasterLocation = kind === "file" ? { kind: "file", file } : { kind: "url", url };
      const id = `bench:${kind}:${run}`;
      await client.releaseRasterSources([]);

      const started = performance.now();
      const opened = await client.openRasterSource({ id, name: "big-cog.tif", location });
      if (!opened.valid) throw new Error(opened.reason);
      const { info } = opened;
      const centre: [number, number] = [(info.bbox.west + info.bbox.east) / 2, (info.bbox.south + info.bbox.north) / 2];
      // The zoom at which the raster is about 1000 px wide on the map, as when the app fits it to the view.
      const zoom = Math.floor(Math.log2((1000 * 360) / (256 * (info.bbox.east - info.bbox.west))));
      const [px, py] = mercator.lngLatToWorldPixel(centre, zoom);
      await client.rasterTilePng(
        { id, name: "big-cog.tif", location },
        zoom,
        Math.floor(px / 256),
        Math.floor(py / 256),
      );
      const firstTileMs = performance.now() - started;
      const tileBytes = bytes.rasterBytesRead(id);

      const corner = (col: number, row: number) => georef.pixelToLngLat(info.georef, [col, row]);
      const [a, b, c, d] = [corner(1024, 1024), corner(3072, 1024), corner(1024, 3072), corner(3072, 3072)];
      const bbox = {
        west: Math.max(a[0], c[0]),
        east: Math.min(b[0], d[0]),
        north: Math.min(a[1], b[1]),
        south: Math.max(c[1], d[1]),
      };
      const source = {
        kind: "geotiff" as const,
        id,
        name: "big-cog.tif",
        location,
        info,
        tileSize: 256,
        maxZoom: info.maxZoom,
      };
      const cropStarted = performance.now();
      const image = await crop.cropInWorker(source, bbox, 0, () => {});
      const cropMs = performance.now() - cropStarted;
      const cropBytes = bytes.rasterBytesRead(id) - tileBytes;
      if (Math.abs(image.width - 2048) > 2 || Math.abs(image.height - 2048) > 2)
        throw new Error(`crop ${image.width} × ${image.height}`);

      const plain = async (length: number) => {
        const t = performance.now();
        if (kind === "file") await file.slice(0, length).arrayBuffer();
        else await (await fetch(url, { headers: { range: `bytes=0-${length - 1}` } })).arrayBuffer();
        return performance.now() - t;
      };
      return {
        firstTileMs,
        tileBytes,
        cropMs,
        cropBytes,
        plainTileMs: await plain(tileBytes),
        plainCropMs: await plain(cropBytes),
      };
    },
    { kind, url, run, modules: MODULES },
  );
}

function report(label: string, runs: Run[]): void {
  const median = (pick: (r: Run) => number) => [...runs.map(pick)].sort((x, y) => x - y)[Math.floor(runs.length / 2)];
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  const tile = median((r) => r.firstTileMs);
  const plainTile = median((r) => r.plainTileMs);
  const crop = median((r) => r.cropMs);
  const plainCrop = median((r) => r.plainCropMs);
  console.log(`\n${label} (median of ${runs.length}):`);
  console.log(
    `  first map tile: ${tile.toFixed(0)} ms, ${mb(runs[0].tileBytes)} read; plain read of as many bytes ${plainTile.toFixed(1)} ms; ratio ${(tile / plainTile).toFixed(1)}`,
  );
  console.log(
    `  2048² crop:     ${crop.toFixed(0)} ms, ${mb(runs[0].cropBytes)} read; plain read of as many bytes ${plainCrop.toFixed(1)} ms; ratio ${(crop / plainCrop).toFixed(1)}`,
  );
}
