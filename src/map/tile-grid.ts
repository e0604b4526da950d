import { lngLatToWorldPixel } from "../geo/mercator";
import { type BBox, type TileId, tileBBox, wrapTileX } from "../geo/tiles";

/** More grid cells than this are not drawn: the user is asked to zoom in. */
export const MAX_GRID_CELLS = 2500;

/** A tile's key, `z/x/y`. */
export function tileKey({ z, x, y }: TileId): string {
  return `${z}/${x}/${y}`;
}

/** The tile at a zoom that contains a point; a point on another copy of the world (past ±180°) wraps onto this one. */
export function tileAt(lng: number, lat: number, z: number): TileId {
  const { x, y } = tileCell(lng, lat, z);
  return { z, x: wrapTileX(x, z), y };
}

/** The tile column (not wrapped: the world's copies continue it) and row at a zoom that hold a point. */
function tileCell(lng: number, lat: number, z: number): { x: number; y: number } {
  const [px, py] = lngLatToWorldPixel([lng, lat], z);
  const n = 2 ** z;
  return { x: Math.floor(px / 256), y: Math.min(n - 1, Math.max(0, Math.floor(py / 256))) };
}

/** Toggles a tile in a picked set; picks at another zoom are dropped, since a selection has one grid zoom. */
export function toggleTile(picked: TileId[], tile: TileId): TileId[] {
  const sameZoom = picked.filter((t) => t.z === tile.z);
  const key = tileKey(tile);
  return sameZoom.some((t) => tileKey(t) === key) ? sameZoom.filter((t) => tileKey(t) !== key) : [...sameZoom, tile];
}

/**
 * The bounding box of picked tiles (their union's bbox; the crop covers it whole): the narrowest span of columns
 * that holds them, across the antimeridian (west > east) when that is narrower than going around the other way.
 */
export function pickedTilesBBox(tiles: TileId[]): BBox | null {
  if (tiles.length === 0) return null;
  const z = tiles[0].z;
  const n = 2 ** z;
  const columns = [...new Set(tiles.map((t) => t.x))].sort((a, b) => a - b);
  // The widest gap between picked columns, around the world: the bbox is everything else.
  let first = columns[0];
  let widestGap = columns[0] + n - columns[columns.length - 1];
  for (let i = 1; i < columns.length; i++) {
    if (columns[i] - columns[i - 1] > widestGap) {
      widestGap = columns[i] - columns[i - 1];
      first = columns[i];
    }
  }
  const last = columns[(columns.indexOf(first) + columns.length - 1) % columns.length];
  const rows = tiles.map((t) => tileBBox(t));
  return {
    west: tileBBox({ z, x: first, y: 0 }).west,
    south: Math.min(...rows.map((b) => b.south)),
    east: tileBBox({ z, x: last, y: 0 }).east,
    north: Math.max(...rows.map((b) => b.north)),
  };
}

/** Tile outlines covering a view at a grid zoom, as GeoJSON polygons, or null when there would be too many. */
export function gridCells(view: BBox, z: number): GeoJSON.FeatureCollection<GeoJSON.Polygon> | null {
  // The view's columns run on past 180° (the map's copies of the world); each cell is drawn once, wrapped, and the map
  // shows it on every copy.
  const nw = tileCell(view.west, view.north, z);
  const se = tileCell(view.east + (view.east < view.west ? 360 : 0), view.south, z);
  const columns = Math.min(se.x - nw.x + 1, 2 ** z);
  const count = columns * (se.y - nw.y + 1);
  if (count > MAX_GRID_CELLS || count <= 0) return null;
  const features: GeoJSON.Feature<GeoJSON.Polygon>[] = [];
  for (let x = nw.x; x < nw.x + columns; x++) {
    for (let y = nw.y; y <= se.y; y++) features.push(tilePolygon({ z, x: wrapTileX(x, z), y }));
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
