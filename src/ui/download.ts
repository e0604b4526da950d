import { cutForFile } from "../geo/antimeridian";

/** Saves a blob under a file name through a temporary link. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Saves a file the app made (`{ blob, fileName }`). */
export function downloadFile(file: { blob: Blob; fileName: string }): void {
  downloadBlob(file.blob, file.fileName);
}

/** Saves GeoJSON as a `.geojson` file, its shapes cut at the antimeridian as files should hold them. */
export function downloadGeoJson(collection: GeoJSON.FeatureCollection, fileName: string): void {
  const text = JSON.stringify(cutForFile(collection), null, 2);
  downloadBlob(new Blob([text], { type: "application/geo+json" }), fileName);
}

/** The file name of a result's export, the same from the Ask panel and the history: `geozero-<result id>.<ext>`. */
export function resultFileName(resultId: string, extension: string): string {
  return `geozero-${resultId}.${extension}`;
}
