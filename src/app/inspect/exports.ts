/** What leaves the Inspect view: records as files, a sample's image and georeference, a sample shown on the map. */

import type { SampleRecord } from "../../eval/record-format";
import { cutForFile } from "../../geo/antimeridian";
import { type GeoReference, parseWorldFile } from "../../geo/georef";
import { recordsAt, recordsCsv, recordsJsonl, sampleGeoJson } from "../../inspect/export";
import type { SampleGeometry } from "../../inspect/sample";
import type { OpenedFolder } from "../../inspect/store";
import { imageFileSize } from "./browser-answerer";
import { showOnMap } from "./map-bridge";
import { inspect } from "./storage";

/** The records the list shows (filtered and ordered), or all of them. */
function exportedRecords(scope: "filtered" | "all"): SampleRecord[] {
  const state = inspect();
  if (scope === "all") return state.records;
  return recordsAt(state.records, state.order);
}

/** A file for the user to save (the UI starts the download). */
export interface ExportFile {
  blob: Blob;
  fileName: string;
}

/** Records as `results.jsonl` (which `npm run eval` resumes from) or CSV, with the marks. */
export function recordsFile(format: "jsonl" | "csv", scope: "filtered" | "all"): ExportFile {
  const records = exportedRecords(scope);
  const { marks, threshold } = inspect();
  if (format === "jsonl") {
    return {
      blob: new Blob([recordsJsonl(records, marks)], { type: "application/x-ndjson" }),
      fileName: "results.jsonl",
    };
  }
  return { blob: new Blob([recordsCsv(records, marks, threshold)], { type: "text/csv" }), fileName: "results.csv" };
}

/** The image of a record from the opened folder, and its georeference when a world file lies beside it. */
export async function sampleImage(
  record: SampleRecord,
  folder: OpenedFolder | null,
): Promise<{ file: File; georef: GeoReference | null } | null> {
  const file = folder?.images.find(record.image) ?? null;
  if (!folder || !file) return null;
  const world = folder.worldFiles.find(record.image.replace(/\.[^./]+$/, ".png"));
  if (!world) return { file, georef: null };
  const size = record.image_size
    ? { width: record.image_size[0], height: record.image_size[1] }
    : await imageFileSize(file);
  const read = parseWorldFile(await world.text(), size.width, size.height);
  return { file, georef: read.valid ? read.georef : null };
}

/** A georeferenced sample's reference and predicted boxes as a GeoJSON file. */
export function sampleGeoJsonFile(record: SampleRecord, geometry: SampleGeometry, georef: GeoReference): ExportFile {
  const text = JSON.stringify(cutForFile(sampleGeoJson(record, geometry, georef)), null, 2);
  return {
    blob: new Blob([text], { type: "application/geo+json" }),
    fileName: `geozero-sample-${record.index}.geojson`,
  };
}

/** Shows a georeferenced sample on the map: the map view opens with its boxes drawn and the view fitted. */
export function showSampleOnMap(record: SampleRecord, geometry: SampleGeometry, georef: GeoReference): void {
  inspect().setPage("map");
  showOnMap(sampleGeoJson(record, geometry, georef), georef);
}
