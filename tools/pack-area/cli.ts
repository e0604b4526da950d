/**
 * `npm run pack-area -- --bbox W,S,E,N --zooms 12-17 --source esri|eox|<template> --out area.pmtiles [--max-tiles N]`:
 * packs an area of an online source into a PMTiles archive for offline use. Needs the network on your machine; mind
 * the source's terms of use.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { packArea, parsePackArgs } from "./pack";

const { values } = parseArgs({
  options: {
    bbox: { type: "string" },
    zooms: { type: "string" },
    source: { type: "string" },
    out: { type: "string" },
    "max-tiles": { type: "string" },
  },
});
const parsed = parsePackArgs(values);
if (!parsed.valid || !values.out) {
  console.error(parsed.valid ? "--out <file.pmtiles> is required." : parsed.reason);
  console.error(
    "Usage: npm run pack-area -- --bbox W,S,E,N --zooms 12-17 --source esri|eox|<template> --out area.pmtiles",
  );
  process.exit(2);
}
const started = performance.now();
const result = await packArea(parsed.request, (done, total) => {
  const seconds = (performance.now() - started) / 1000;
  const eta = done > 0 ? ((total - done) * seconds) / done : 0;
  process.stderr.write(
    `\r${done}/${total} tiles · ${(done / Math.max(seconds, 0.001)).toFixed(1)} tiles/s · ${eta.toFixed(0)} s left `,
  );
});
writeFileSync(values.out, result.archive);
process.stderr.write("\n");
console.log(
  `${values.out}: ${result.tiles} tiles (${result.missing} missing at the source), ${(result.archive.length / 1e6).toFixed(2)} MB`,
);
