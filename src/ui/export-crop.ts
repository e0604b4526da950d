import { type GeoReference, prjFile, worldFile } from "../geo/georef";
import { downloadBlob } from "./download";

/**
 * Saves a crop as a PNG, its ESRI world file (`.pgw`) and its CRS as WKT (`.prj`) under the same base name: EPSG:3857
 * for crops of tile sources, the raster's own CRS for crops of a GeoTIFF.
 */
export function exportCropWithWorldFile(crop: { png: Blob; georef: GeoReference }, baseName: string): void {
  downloadBlob(crop.png, `${baseName}.png`);
  downloadBlob(new Blob([worldFile(crop.georef)], { type: "text/plain" }), `${baseName}.pgw`);
  downloadBlob(new Blob([prjFile(crop.georef)], { type: "text/plain" }), `${baseName}.prj`);
}
