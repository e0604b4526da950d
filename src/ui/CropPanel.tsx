import { runCrop } from "../app/imagery";
import { crsLabel, groundSampleDistance } from "../geo/georef";
import type { CropProgress } from "../imagery/types";
import { formatBytes } from "../model/manifest";
import { currentPlan, useAppStore } from "../state/store";
import { exportCropWithWorldFile } from "./export-crop";
import { formatGsd } from "./format";

function progressText(progress: CropProgress): string {
  switch (progress.status) {
    case "fetching":
      return `Fetching tiles ${progress.done} / ${progress.total}`;
    case "reading":
      return `Reading the raster's window (${formatBytes(progress.bytesRead)} read from the file so far)`;
    case "stitching":
      return "Stitching";
    case "encoding":
      return "Encoding PNG";
    case "done":
      return "Done";
  }
}

/** The crop button, its progress and the preview of the last cropped image. */
export function CropPanel() {
  const state = useAppStore();
  const plan = currentPlan(state);
  const { crop, lastImage } = state;
  // While a crop runs, a new one replaces it (the selection may have changed since).
  const canCrop = plan?.result.valid === true;

  return (
    <section className="panel" aria-labelledby="crop-heading">
      <h2 id="crop-heading">Crop</h2>
      <div className="row">
        <button
          type="button"
          className="primary"
          data-testid="crop-button"
          disabled={!canCrop}
          onClick={() => void runCrop()}
        >
          Crop selection
        </button>
        {crop.status === "running" && (
          <button type="button" data-testid="crop-cancel" onClick={() => crop.controller.abort()}>
            Cancel
          </button>
        )}
      </div>
      {crop.status === "running" && (
        <div data-testid="crop-progress">
          <progress
            max={crop.progress.status === "fetching" ? crop.progress.total : 1}
            value={crop.progress.status === "fetching" ? crop.progress.done : undefined}
          />
          <span className="hint">{progressText(crop.progress)}</span>
        </div>
      )}
      {crop.status === "failed" && (
        <p className="error" role="alert" data-testid="crop-error">
          {crop.message}
        </p>
      )}
      {lastImage && (
        <figure className="preview" data-testid="crop-preview">
          <img src={lastImage.previewUrl} alt="Cropped selection" data-testid="crop-preview-image" />
          <figcaption data-testid="crop-preview-caption">
            {lastImage.image.width} × {lastImage.image.height} px ·{" "}
            {lastImage.image.georef.crs ? `level ${lastImage.image.zoom}` : `zoom ${lastImage.image.zoom}`} ·{" "}
            {crsLabel(lastImage.image.georef)} · {formatGsd(groundSampleDistance(lastImage.image.georef))}
          </figcaption>
          <button
            type="button"
            data-testid="crop-export-png"
            onClick={() => exportCropWithWorldFile(lastImage.image, `geozero-crop-z${lastImage.image.zoom}`)}
          >
            Export PNG + world file + .prj
          </button>
        </figure>
      )}
    </section>
  );
}
