import { type GeoReference, worldFile } from "../geo/georef";
import { downloadBlob } from "./download";

/** Saves a crop as a PNG and its ESRI world file (`.pgw`, EPSG:3857) under the same base name. */
export function exportCropWithWorldFile(crop: { png: Blob; georef: GeoReference }, baseName: string): void {
  downloadBlob(crop.png, `${baseName}.png`);
  downloadBlob(new Blob([worldFile(crop.georef)], { type: "text/plain" }), `${baseName}.pgw`);
}
