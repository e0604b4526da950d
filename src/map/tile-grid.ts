import { lngLatToWorldPixel } from "../geo/mercator";
import { type BBox, type TileId, tileBBox } from "../geo/tiles";

/** More grid cells than this are not drawn: the user is asked to zoom in. */
export const MAX_GRID_CELLS = 2500;

/** A tile's key, `z/x/y`. */
export function tileKey({ z, x, y }: TileId): string {
  return `${z}/${x}/${y}`;
}

/** The tile at a zoom that contains a point. */
export function tileAt(lng: number, lat: number, z: number): TileId {
  const [px, py] = lngLatToWorldPixel([lng, lat], z);
  const n = 2 ** z;
  return { z, x: Math.min(n - 1, Math.floor(px / 256)), y: Math.min(n - 1, Math.max(0, Math.floor(py / 256))) };
}

/** Toggles a tile in a picked set; picks at another zoom are dropped, since a selection has one grid zoom. */
export function toggleTile(picked: TileId[], tile: TileId): TileId[] {
  const sameZoom = picked.filter((t) => t.z === tile.z);
  const key = tileKey(tile);
  return sameZoom.some((t) => tileKey(t) === key) ? sameZoom.filter((t) => tileKey(t) !== key) : [...sameZoom, tile];
}

/** The bounding box of picked tiles (their union's bbox; the crop covers it whole). */
export function pickedTilesBBox(tiles: TileId[]): BBox | null {
  if (tiles.length === 0) return null;
  const boxes = tiles.map(tileBBox);
  return {
    west: Math.min(...boxes.map((b) => b.west)),
    south: Math.min(...boxes.map((b) => b.south)),
    east: Math.max(...boxes.map((b) => b.east)),
    north: Math.max(...boxes.map((b) => b.north)),
  };
}

/** Tile outlines covering a view at a grid zoom, as GeoJSON polygons, or null when there would be too many. */
export function gridCells(view: BBox, z: number): GeoJSON.FeatureCollection<GeoJSON.Polygon> | null {
  const nw = tileAt(view.west, view.north, z);
  const se = tileAt(view.east, view.south, z);
  const count = (se.x - nw.x + 1) * (se.y - nw.y + 1);
  if (count > MAX_GRID_CELLS || count <= 0) return null;
  const features: GeoJSON.Feature<GeoJSON.Polygon>[] = [];
  for (let x = nw.x; x <= se.x; x++) {
    for (let y = nw.y; y <= se.y; y++) features.push(tilePolygon({ z, x, y }));
  }
  return { type: "FeatureCollection", features };
}

/** One tile as a GeoJSON polygon with its key. */
export function tilePolygon(tile: TileId): GeoJSON.Feature<GeoJSON.Polygon> {
  return { type: "Feature", properties: { key: tileKey(tile) }, geometry: bboxPolygon(tileBBox(tile)) };
}

/** A bbox as a closed, counter-clockwise GeoJSON ring. */
export function bboxPolygon(b: BBox): GeoJSON.Polygon {
  const east = b.east < b.west ? b.east + 360 : b.east;
  return {
    type: "Polygon",
    coordinates: [
      [
        [b.west, b.south],
        [east, b.south],
        [east, b.north],
        [b.west, b.north],
        [b.west, b.south],
      ],
    ],
  };
}
