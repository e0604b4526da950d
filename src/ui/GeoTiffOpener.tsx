import { type DragEvent, type FormEvent, useState, useSyncExternalStore } from "react";
import { crsLabel } from "../geo/georef";
import { onRasterBytesRead, rasterBytesRead } from "../imagery/raster/bytes-read";
import { openRasterSource } from "../imagery/raster/client";
import type { RasterLocation } from "../imagery/types";
import { formatBytes } from "../model/manifest";
import { currentSource, useAppStore } from "../state/store";

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
    store.setFileError(`${name} could not be opened: ${error instanceof Error ? error.message : String(error)}`);
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

/** Bytes read from the current GeoTIFF source against its size: a COG is read by range, never whole. */
function BytesRead() {
  const source = useAppStore(currentSource);
  const read = useSyncExternalStore(onRasterBytesRead, () =>
    source.kind === "geotiff" ? rasterBytesRead(source.id) : 0,
  );
  if (source.kind !== "geotiff") return null;
  const { size } = source.info;
  return (
    <p className="hint" data-testid="geotiff-bytes-read">
      Read {formatBytes(read)} of {formatBytes(size)} ({((100 * read) / size).toFixed(1)} %) ·{" "}
      {source.info.levels.length} level{source.info.levels.length > 1 ? "s" : ""}, {source.info.levels[0].width} ×{" "}
      {source.info.levels[0].height} px
    </p>
  );
}

/** The file picker, the COG URL field, and the drop target wrapping the map. */
export function GeoTiffOpener() {
  const fileError = useAppStore((s) => s.fileError);
  const [url, setUrl] = useState("");
  const openUrl = (event: FormEvent) => {
    event.preventDefault();
    void openGeoTiffUrl(url.trim());
  };
  return (
    <>
      <label className="file-button">
        Open GeoTIFF / COG…
        <input
          type="file"
          accept=".tif,.tiff,image/tiff"
          data-testid="geotiff-input"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void openUserGeoTiff(file);
            e.target.value = "";
          }}
        />
      </label>
      <p className="hint">
        …or drop one on the map. Any projection proj4 can express; files of any size are read by range.
      </p>
      <form onSubmit={openUrl} className="row">
        <input
          data-testid="cog-url"
          aria-label="GeoTIFF or COG URL"
          placeholder="https://…/image.tif (COG)"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <button type="submit" data-testid="cog-open">
          Open URL
        </button>
      </form>
      <BytesRead />
      {fileError && (
        <p className="error" role="alert" data-testid="geotiff-error">
          {fileError}
        </p>
      )}
    </>
  );
}

/** Props that make an element accept a dropped GeoTIFF. */
export function useGeoTiffDrop() {
  const [over, setOver] = useState(false);
  return {
    over,
    handlers: {
      onDragOver: (e: DragEvent) => {
        e.preventDefault();
        setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (e: DragEvent) => {
        e.preventDefault();
        setOver(false);
        const file = e.dataTransfer.files[0];
        if (file) void openUserGeoTiff(file);
      },
    },
  };
}
