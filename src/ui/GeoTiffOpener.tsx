import { type DragEvent, useState } from "react";
import { openGeoTiff } from "../imagery/geotiff";
import { useAppStore } from "../state/store";

/** Opens the user's GeoTIFF or COG, places it as the imagery source and moves the map to it. */
export async function openUserGeoTiff(file: File): Promise<void> {
  const store = useAppStore.getState();
  store.setFileError(null);
  const result = await openGeoTiff(file, file.name);
  if (!result.valid) {
    store.setFileError(result.reason);
    return;
  }
  const { raster } = result;
  store.addSource({
    kind: "geotiff",
    id: `geotiff:${file.name}:${file.size}:${file.lastModified}`,
    name: `${file.name} (EPSG:${raster.epsg})`,
    file,
    tileSize: 256,
    maxZoom: raster.maxZoom,
    attribution: `Your file ${file.name}`,
    online: false,
  });
  store.setFocus(raster.bbox);
}

/** The file picker, and the drop target wrapping the map. */
export function GeoTiffOpener() {
  const fileError = useAppStore((s) => s.fileError);
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
      <p className="hint">…or drop one on the map. EPSG:4326 and EPSG:3857 files are placed.</p>
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
