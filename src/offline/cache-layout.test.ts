import { describe, expect, it } from "vitest";
import {
  epsgBucketOf,
  isEpsgChunk,
  isModelIndex,
  isSampleArchive,
  OFFLINE_CACHES,
  offlineCacheName,
  ortBuildOf,
  precacheFor,
  staleCaches,
} from "./cache-layout";

const ROOT = "https://host.example/";
const SUB = "https://host.example/geozero/";

describe("staleCaches", () => {
  const current = Object.values(OFFLINE_CACHES).map((part) => offlineCacheName(part, ROOT));

  it("keeps the current layout's caches, other scopes' caches and every cache that is not the service worker's", () => {
    const others = [
      ...Object.values(OFFLINE_CACHES).map((part) => offlineCacheName(part, SUB)),
      offlineCacheName("precache-v0", SUB),
      "geozero-models-v1",
      "transformers-cache",
    ];
    expect(staleCaches([...current, ...others], ROOT)).toEqual([]);
  });

  it("deletes an older layout of the same scope: older versions and Workbox's default names", () => {
    const older = [
      offlineCacheName("precache-v0", ROOT),
      offlineCacheName("tiles-v3", ROOT),
      `workbox-precache-v2-${ROOT}`,
      `workbox-runtime-${ROOT}`,
    ];
    expect(staleCaches([...current, ...older, "geozero-models-v1"], ROOT)).toEqual(older);
  });

  it("never takes a sub-path's caches for the root's, though the root is a prefix of them", () => {
    expect(staleCaches([offlineCacheName("precache-v0", SUB)], ROOT)).toEqual([]);
    expect(staleCaches([offlineCacheName("precache-v0", ROOT)], SUB)).toEqual([]);
  });
});

describe("precacheFor", () => {
  const entries = [
    { url: "index.html" },
    { url: "assets/ort-wasm-simd-threaded.jspi-AbC123.wasm" },
    { url: "assets/ort-wasm-simd-threaded.jspi-AbC123.mjs" },
    { url: "assets/ort-wasm-simd-threaded.asyncify-Xy9.wasm" },
    { url: "sample/synthetic-sample.pmtiles" },
  ];

  it("keeps the ONNX Runtime build this browser runs and drops the other", () => {
    expect(precacheFor(entries, true).map((e) => e.url)).toEqual([
      "index.html",
      "assets/ort-wasm-simd-threaded.jspi-AbC123.wasm",
      "assets/ort-wasm-simd-threaded.jspi-AbC123.mjs",
      "sample/synthetic-sample.pmtiles",
    ]);
    expect(precacheFor(entries, false).map((e) => e.url)).toEqual([
      "index.html",
      "assets/ort-wasm-simd-threaded.asyncify-Xy9.wasm",
      "sample/synthetic-sample.pmtiles",
    ]);
  });

  it("takes plain URLs as well as entries", () => {
    expect(precacheFor(["a.js", "assets/ort-wasm-simd-threaded.jspi-1.wasm"], false)).toEqual(["a.js"]);
  });
});

describe("what the routes match", () => {
  it("recognises the runtime's files, EPSG chunks, sample archives and the model index, under any sub-path", () => {
    expect(ortBuildOf("/geozero/assets/ort-wasm-simd-threaded.asyncify-D4.mjs")).toBe("asyncify");
    expect(ortBuildOf("/assets/ort.bundle.min-1.mjs")).toBeNull();
    expect(isEpsgChunk("/geozero/assets/epsg-32-Bq7.js")).toBe(true);
    expect(isEpsgChunk("/assets/index-Bq7.js")).toBe(false);
    expect(epsgBucketOf("assets/epsg-102-x.js")).toBe(102);
    expect(epsgBucketOf("/assets/_virtual_epsg-index-x.js")).toBeNull();
    expect(isSampleArchive("/geozero/sample/synthetic-sample.pmtiles")).toBe(true);
    expect(isSampleArchive("/model-cache/x.pmtiles")).toBe(false);
    expect(isModelIndex("/geozero/model-cache/index.json")).toBe(true);
    expect(isModelIndex("/geozero/model-cache/geozero-tiny/config.json")).toBe(false);
  });
});
