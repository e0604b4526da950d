import { crsLabel } from "../geo/georef";
import { cropInWorker } from "../imagery/imagery-client";
import { openRasterSource, releaseRasterSources } from "../imagery/raster/client";
import { customXyzSource } from "../imagery/sources";
import { TileHealth, type TileOutcome } from "../imagery/tile-health";
import type { CroppedImage, RasterLocation } from "../imagery/types";
import { errorMessage, isAbortError } from "../io/error-data";
import { currentPlan, currentSource, selectionBBox, useAppStore } from "../state/store";

/**
 * Crops the selection from the current source; the last good crop stays while it runs or when it fails. A crop still
 * running is aborted: only the newest crop reaches the store.
 */
export async function runCrop(): Promise<void> {
  const state = useAppStore.getState();
  const bbox = selectionBBox(state.selection);
  const plan = currentPlan(state);
  if (!bbox || !plan?.result.valid) return;
  if (state.crop.status === "running") state.crop.controller.abort();
  const controller = new AbortController();
  const current = () => {
    const { crop } = useAppStore.getState();
    return crop.status === "running" && crop.controller === controller;
  };
  const source = currentSource(state);
  state.setCrop({
    status: "running",
    progress:
      plan.result.plan.kind === "raster"
        ? { status: "reading", bytesRead: 0 }
        : { status: "fetching", done: 0, total: plan.result.plan.tiles.length },
    controller,
  });
  try {
    const image = await cropInWorker(
      source,
      bbox,
      plan.zoom,
      (progress) => current() && useAppStore.getState().setCrop({ status: "running", progress, controller }),
      controller.signal,
    );
    if (current()) showCrop(image);
  } catch (error) {
    if (!current()) return;
    useAppStore
      .getState()
      .setCrop(isAbortError(error) ? { status: "idle" } : { status: "failed", message: errorMessage(error) });
  }
}

/** Shows a crop as the last good one (a new crop, or one restored after a reload); the old preview's URL is revoked. */
export function showCrop(image: CroppedImage): void {
  const previous = useAppStore.getState().lastImage;
  useAppStore.getState().setCrop({ status: "done", image, previewUrl: URL.createObjectURL(image.png) });
  if (previous) URL.revokeObjectURL(previous.previewUrl);
}

/**
 * Opens a GeoTIFF or COG (a local file or an http(s) URL) in the imagery worker, places it as the imagery source and,
 * unless told not to, moves the map to it. A file the app cannot use leaves the current source as it was.
 */
async function openRasterAsSource(id: string, name: string, location: RasterLocation, focus: boolean): Promise<void> {
  const store = useAppStore.getState();
  store.setFileError(null);
  let result: Awaited<ReturnType<typeof openRasterSource>>;
  try {
    result = await openRasterSource({ id, name, location });
  } catch (error) {
    store.setFileError(`${name} could not be opened: ${errorMessage(error)}`);
    return;
  }
  if (!result.valid) {
    store.setFileError(result.reason);
    return;
  }
  const { info } = result;
  const crs = info.georef.crs;
  store.addSource({
    kind: "geotiff",
    id,
    name: `${name} (${crsLabel(info.georef)})`,
    location,
    info,
    tileSize: 256,
    maxZoom: info.maxZoom,
    attribution: `${location.kind === "url" ? "GeoTIFF at" : "Your file"} ${name} · ${crs.name}${crs.note ? ` (${crs.note})` : ""}`,
    online: location.kind === "url",
  });
  if (focus) store.setFocus(info.bbox);
}

/** Opens the user's GeoTIFF or COG file. */
export function openUserGeoTiff(file: File): Promise<void> {
  return openRasterAsSource(
    `geotiff:${file.name}:${file.size}:${file.lastModified}`,
    file.name,
    { kind: "file", file },
    true,
  );
}

/** Opens a GeoTIFF or COG by URL, read by HTTP range requests; `focus: false` keeps the view (a shared link's). */
export function openGeoTiffUrl(url: string, focus = true): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    useAppStore.getState().setFileError(`"${url}" is not a URL; enter an http(s) address of a GeoTIFF or COG.`);
    return Promise.resolve();
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    useAppStore.getState().setFileError(`${url} is not an http(s) URL; the app reads COGs over HTTP(S) only.`);
    return Promise.resolve();
  }
  const name = decodeURIComponent(parsed.pathname.split("/").pop() || parsed.host);
  return openRasterAsSource(`cog:${parsed.href}`, name, { kind: "url", url: parsed.href }, focus);
}

/** Releases the GeoTIFFs held open in the imagery worker (headers, tile indexes, byte caches) but the current one. */
export function releaseUnusedRasters(): () => void {
  return useAppStore.subscribe((state, previous) => {
    const source = currentSource(state);
    if (source.id === currentSource(previous).id) return;
    void releaseRasterSources(source.kind === "geotiff" ? [source.id] : []);
  });
}

const tileHealth = new Map<string, TileHealth>();

/** Hears how each imagery tile the map asked for went, and records or clears the source's problem. */
export function noteTileRead(sourceId: string, outcome: TileOutcome): void {
  let health = tileHealth.get(sourceId);
  if (!health) {
    health = new TileHealth();
    tileHealth.set(sourceId, health);
  }
  const problem = health.record(outcome);
  const store = useAppStore.getState();
  if (problem) store.setSourceProblem(sourceId, problem);
  else if (outcome.kind === "tile" && store.sourceProblems[sourceId]) store.setSourceProblem(sourceId, null);
}

/** What adding a custom tile template did: added it, chose the entry already listed, or why it cannot be used. */
export type CustomSourceResult =
  | { kind: "added"; name: string }
  | { kind: "already-listed"; name: string }
  | { kind: "invalid"; reason: string };

/** Adds a custom XYZ/TMS template as a source and chooses it; one already listed is chosen, not added again. */
export function addCustomSource(template: string): CustomSourceResult {
  const result = customXyzSource(template);
  if (!result.valid) return { kind: "invalid", reason: result.reason };
  const store = useAppStore.getState();
  const listed = store.sources.find((s) => s.id === result.source.id);
  if (listed) {
    store.selectSource(listed.id);
    return { kind: "already-listed", name: listed.name };
  }
  store.addSource(result.source);
  return { kind: "added", name: result.source.name };
}
