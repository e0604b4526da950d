import type { HistoryEntry } from "../state/history-db";
import { useAppStore } from "../state/store";
import { boxesToGeoJson } from "../tasks/geojson";
import { drawBoxes, moveMapTo } from "./map-actions";

/** A kept result's boxes as GeoJSON with its question, answer and model as properties. */
export function historyEntryGeoJson(entry: HistoryEntry): GeoJSON.FeatureCollection {
  return boxesToGeoJson(entry.boxes, entry.crop.georef, {
    question: entry.question,
    answer: entry.answer,
    model: entry.model,
  });
}

/**
 * Shows a kept result on the map: its source (when still listed), its crop outlined as the selection at its crop
 * zoom, its boxes drawn, and the view moved to the crop.
 */
export function showHistoryEntry(entry: HistoryEntry): void {
  const store = useAppStore.getState();
  if (store.sources.some((s) => s.id === entry.crop.sourceId)) store.selectSource(entry.crop.sourceId);
  store.setRectangle(entry.crop.bbox);
  store.setCropZoom(entry.crop.zoom);
  drawBoxes(historyEntryGeoJson(entry));
  moveMapTo(entry.crop.bbox);
}
