import { type GeoReference, pixelToLngLat } from "../geo/georef";
import type { FoundBox } from "./boxes";

/** Colours shared by a box's highlight in the text and its shape on the map (same index, same colour). */
export const BOX_COLOURS = ["#ffb000", "#00c2ff", "#ff4d9d", "#7cff6b", "#b18cff", "#ff7a45", "#00e0b0", "#f5f05a"];

/** The colour of the box with this index. */
export function boxColour(index: number): string {
  return BOX_COLOURS[index % BOX_COLOURS.length];
}

/** What a box's feature carries besides its label. */
export interface BoxContext {
  question?: string;
  answer?: string;
  model?: string;
}

/**
 * Kept boxes as GeoJSON polygons in longitude/latitude through the crop's georeference: corners of the box's pixel
 * rectangle (pixel-corner convention), a closed counter-clockwise ring.
 */
export function boxesToGeoJson(
  boxes: FoundBox[],
  georef: GeoReference,
  context: BoxContext = {},
): GeoJSON.FeatureCollection<GeoJSON.Polygon> {
  const features = boxes.flatMap((box) => {
    if (!box.pixels) return [];
    const [x1, y1, x2, y2] = box.pixels;
    const ring = [
      [x1, y2],
      [x2, y2],
      [x2, y1],
      [x1, y1],
      [x1, y2],
    ].map(([x, y]) => pixelToLngLat(georef, [x, y]));
    const feature: GeoJSON.Feature<GeoJSON.Polygon> = {
      type: "Feature",
      properties: {
        index: box.index,
        label: box.label,
        colour: boxColour(box.index),
        status: box.status,
        pixels: box.pixels,
        ...context,
      },
      geometry: { type: "Polygon", coordinates: [ring] },
    };
    return [feature];
  });
  return { type: "FeatureCollection", features };
}
