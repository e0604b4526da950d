import { type FormEvent, useState, useSyncExternalStore } from "react";
import { openGeoTiffUrl, openUserGeoTiff } from "../app/imagery";
import { onRasterBytesRead, rasterBytesRead } from "../imagery/raster/bytes-read";
import { formatBytes } from "../model/manifest";
import { currentSource, useAppStore } from "../state/store";
import { useDropTarget } from "./use-drop-target";

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
  return useDropTarget((transfer) => {
    const file = transfer.files[0];
    if (file) void openUserGeoTiff(file);
  });
}
