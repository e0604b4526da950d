import { unwrapLongitudes } from "../geo/extent";
import { type GeoReference, pixelToLngLat } from "../geo/georef";
import type { FoundBox } from "./boxes";

/** Colours shared by a box's highlight in the text and its shape on the map (same index, same colour). */
export const BOX_COLOURS = ["#ffb000", "#00c2ff", "#ff4d9d", "#7cff6b", "#b18cff", "#ff7a45", "#00e0b0", "#f5f05a"];

/** The colour of the box with this index. */
export function boxColour(index: number): string {
  return BOX_COLOURS[index % BOX_COLOURS.length];
}

/** The colour of a reference (ground-truth) box, on the map and the image, apart from every prediction colour. */
export const REFERENCE_COLOUR = "#ffffff";

/** What a box's feature carries besides its label. */
export interface BoxContext {
  question?: string;
  answer?: string;
  model?: string;
}

/** A reference box in crop pixels and each predicted box's IoU against it (by box index; null when dropped). */
export interface ReferenceComparison {
  pixels: [number, number, number, number];
  ious: ReadonlyMap<number, number>;
}

type PixelBox = [number, number, number, number];

/**
 * Kept boxes as GeoJSON polygons in longitude/latitude through the crop's georeference: corners of the box's pixel
 * rectangle (pixel-corner convention), a closed counter-clockwise ring, continuous across the antimeridian. With a reference, each prediction carries its
 * `iou` and the reference follows as a feature with `role: "reference"`.
 */
export function boxesToGeoJson(
  boxes: Array<Pick<FoundBox, "index" | "label" | "status" | "pixels">>,
  georef: GeoReference,
  context: BoxContext = {},
  reference: ReferenceComparison | null = null,
): GeoJSON.FeatureCollection<GeoJSON.Polygon> {
  const features = boxes.flatMap((box) => {
    if (!box.pixels) return [];
    const properties = {
      role: "prediction",
      index: box.index,
      label: box.label,
      colour: boxColour(box.index),
      status: box.status,
      pixels: box.pixels,
      ...(reference ? { iou: reference.ious.get(box.index) ?? null } : {}),
      ...context,
    };
    return [polygonFeature(box.pixels, georef, properties)];
  });
  if (reference) {
    const properties = { role: "reference", colour: REFERENCE_COLOUR, pixels: reference.pixels, ...context };
    features.push(polygonFeature(reference.pixels, georef, properties));
  }
  return { type: "FeatureCollection", features };
}

function polygonFeature(
  [x1, y1, x2, y2]: PixelBox,
  georef: GeoReference,
  properties: Record<string, unknown>,
): GeoJSON.Feature<GeoJSON.Polygon> {
  const ring = [
    [x1, y2],
    [x2, y2],
    [x2, y1],
    [x1, y1],
    [x1, y2],
  ].map(([x, y]) => pixelToLngLat(georef, [x, y]));
  // A box across the antimeridian keeps its longitudes continuous (past 180°), as MapLibre draws it and GIS reads it,
  // instead of a ring around the world.
  return { type: "Feature", properties, geometry: { type: "Polygon", coordinates: [unwrapLongitudes(ring)] } };
}
