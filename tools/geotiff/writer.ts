/**
 * Writes tiled RGB GeoTIFFs laid out as Cloud-Optimized GeoTIFFs (every IFD first, then the tiles from the coarsest
 * overview to full resolution), classic or BigTIFF, for the tests and benchmarks. geotiff.js writes only
 * single-image, stripped files, so the fixtures need their own writer.
 */
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { deflateSync } from "node:zlib";

/** One resolution level: full resolution first, then each overview. */
export interface RasterLevel {
  width: number;
  height: number;
  /** The colour of pixel (col, row) of this level. */
  pixel(col: number, row: number): [number, number, number];
}

/** GeoTIFF georeferencing: a tie point and pixel size, and GeoKeys by number (SHORT or DOUBLE values). */
export interface GeoTags {
  origin: [number, number];
  pixelSize: [number, number];
  /** GeoKey id → value; numbers that are not integers in 0..65535 go to GeoDoubleParams. */
  keys: Record<number, number | number[]>;
}

export interface TiffOptions {
  levels: RasterLevel[];
  tileSize?: number;
  /** Georeferencing; omitted, the file is a plain TIFF. */
  geo?: GeoTags;
  bigTiff?: boolean;
  compression?: "none" | "deflate";
  /**
   * Where each tile's data starts, given its level, index and the end of the previous tile; the default packs
   * them. Leaving gaps makes a sparse file of any size.
   */
  placeTile?: (level: number, index: number, next: number) => number;
}

/** The file as pieces at offsets (holes between them read as zeros). */
export interface TiffPieces {
  size: number;
  pieces: Array<{ offset: number; bytes: Uint8Array }>;
}

const SHORT = 3;
const LONG = 4;
const DOUBLE = 12;
const LONG8 = 16;

interface Entry {
  tag: number;
  type: number;
  values: number[];
}

const typeSize: Record<number, number> = { [SHORT]: 2, [LONG]: 4, [DOUBLE]: 8, [LONG8]: 8 };

function encodeTile(level: RasterLevel, tileSize: number, tx: number, ty: number, deflate: boolean): Uint8Array {
  const bytes = new Uint8Array(tileSize * tileSize * 3);
  for (let row = 0; row < tileSize; row++) {
    const y = ty * tileSize + row;
    for (let col = 0; col < tileSize; col++) {
      const x = tx * tileSize + col;
      if (x >= level.width || y >= level.height) continue;
      bytes.set(level.pixel(x, y), (row * tileSize + col) * 3);
    }
  }
  return deflate ? new Uint8Array(deflateSync(bytes, { level: 1 })) : bytes;
}

function geoEntries(geo: GeoTags): Entry[] {
  const doubles: number[] = [];
  const directory: number[] = [];
  const ids = Object.keys(geo.keys)
    .map(Number)
    .sort((a, b) => a - b);
  for (const id of ids) {
    const value = geo.keys[id];
    const values = Array.isArray(value) ? value : [value];
    const isShort = values.length === 1 && Number.isInteger(values[0]) && values[0] >= 0 && values[0] <= 65535;
    if (isShort) directory.push(id, 0, 1, values[0]);
    else {
      directory.push(id, 34736, values.length, doubles.length);
      doubles.push(...values);
    }
  }
  const entries: Entry[] = [
    { tag: 33550, type: DOUBLE, values: [geo.pixelSize[0], geo.pixelSize[1], 0] },
    { tag: 33922, type: DOUBLE, values: [0, 0, 0, geo.origin[0], geo.origin[1], 0] },
    { tag: 34735, type: SHORT, values: [1, 1, 0, ids.length, ...directory] },
  ];
  if (doubles.length > 0) entries.push({ tag: 34736, type: DOUBLE, values: doubles });
  return entries;
}

/** Lays the file out: header, IFDs with their values, then the tiles. */
export function layOutTiff(options: TiffOptions): TiffPieces {
  const { levels, tileSize = 256, bigTiff = false, compression = "deflate" } = options;
  const offsetType = bigTiff ? LONG8 : LONG;
  const tiles = levels.map((level) => {
    const across = Math.ceil(level.width / tileSize);
    const down = Math.ceil(level.height / tileSize);
    return Array.from({ length: across * down }, (_, i) =>
      encodeTile(level, tileSize, i % across, Math.floor(i / across), compression === "deflate"),
    );
  });
  const ifdEntries = (index: number, offsets: number[], counts: number[]): Entry[] => {
    const level = levels[index];
    const entries: Entry[] = [
      { tag: 254, type: LONG, values: [index === 0 ? 0 : 1] },
      { tag: 256, type: LONG, values: [level.width] },
      { tag: 257, type: LONG, values: [level.height] },
      { tag: 258, type: SHORT, values: [8, 8, 8] },
      { tag: 259, type: SHORT, values: [compression === "deflate" ? 8 : 1] },
      { tag: 262, type: SHORT, values: [2] },
      { tag: 277, type: SHORT, values: [3] },
      { tag: 284, type: SHORT, values: [1] },
      { tag: 322, type: SHORT, values: [tileSize] },
      { tag: 323, type: SHORT, values: [tileSize] },
      { tag: 324, type: offsetType, values: offsets },
      { tag: 325, type: offsetType, values: counts },
    ];
    if (index === 0 && options.geo) entries.push(...geoEntries(options.geo));
    return entries.sort((a, b) => a.tag - b.tag);
  };
  const inline = bigTiff ? 8 : 4;
  const entrySize = bigTiff ? 20 : 12;
  const countSize = bigTiff ? 8 : 2;
  const ifdSize = (entries: Entry[]) =>
    countSize +
    entries.length * entrySize +
    inline +
    entries.reduce((sum, e) => {
      const bytes = e.values.length * typeSize[e.type];
      return sum + (bytes > inline ? bytes + (bytes % 2) : 0);
    }, 0);
  const placeholder = levels.map((_, i) =>
    ifdEntries(
      i,
      tiles[i].map(() => 0),
      tiles[i].map(() => 0),
    ),
  );
  const headerSize = bigTiff ? 16 : 8;
  const headSize = headerSize + placeholder.reduce((sum, entries) => sum + ifdSize(entries), 0);

  // Tiles from the coarsest overview to full resolution, as a COG orders them.
  const offsets = tiles.map((level) => level.map(() => 0));
  let next = headSize;
  for (let level = levels.length - 1; level >= 0; level--) {
    for (let i = 0; i < tiles[level].length; i++) {
      const at = options.placeTile ? options.placeTile(level, i, next) : next;
      offsets[level][i] = at;
      next = at + tiles[level][i].length;
    }
  }
  if (!bigTiff && next > 2 ** 32)
    throw new RangeError(`A classic TIFF ends at 4 GiB; this one needs ${next} bytes: use bigTiff.`);

  const head = new Uint8Array(headSize);
  const view = new DataView(head.buffer);
  const put = (type: number, at: number, v: number) => {
    if (type === SHORT) view.setUint16(at, v, true);
    else if (type === LONG) view.setUint32(at, v, true);
    else if (type === DOUBLE) view.setFloat64(at, v, true);
    else view.setBigUint64(at, BigInt(v), true);
  };
  const putOffset = (at: number, v: number) => put(offsetType, at, v);
  head.set([0x49, 0x49], 0);
  view.setUint16(2, bigTiff ? 43 : 42, true);
  if (bigTiff) {
    view.setUint16(4, 8, true);
    put(LONG8, 8, headerSize);
  } else put(LONG, 4, headerSize);

  let at = headerSize;
  levels.forEach((_, index) => {
    const entries = ifdEntries(
      index,
      offsets[index],
      tiles[index].map((t) => t.length),
    );
    const start = at;
    let values = start + countSize + entries.length * entrySize + inline;
    if (bigTiff) put(LONG8, at, entries.length);
    else put(SHORT, at, entries.length);
    at += countSize;
    for (const entry of entries) {
      view.setUint16(at, entry.tag, true);
      view.setUint16(at + 2, entry.type, true);
      if (bigTiff) put(LONG8, at + 4, entry.values.length);
      else put(LONG, at + 4, entry.values.length);
      const size = typeSize[entry.type];
      const bytes = entry.values.length * size;
      const target = bytes > inline ? values : at + (bigTiff ? 12 : 8);
      if (bytes > inline) {
        putOffset(at + (bigTiff ? 12 : 8), values);
        values += bytes + (bytes % 2);
      }
      entry.values.forEach((v, k) => {
        put(entry.type, target + k * size, v);
      });
      at += entrySize;
    }
    const nextIfd = index + 1 < levels.length ? values : 0;
    putOffset(at, nextIfd);
    at = values;
    if (at - start !== ifdSize(entries)) throw new Error("TIFF layout: an IFD's size changed between passes.");
  });

  const pieces: TiffPieces["pieces"] = [{ offset: 0, bytes: head }];
  tiles.forEach((level, l) => {
    level.forEach((bytes, i) => {
      pieces.push({ offset: offsets[l][i], bytes });
    });
  });
  return { size: next, pieces };
}

/** The file's bytes, for small files. */
export function tiffBytes(options: TiffOptions): Uint8Array {
  const { size, pieces } = layOutTiff(options);
  const out = new Uint8Array(size);
  for (const { offset, bytes } of pieces) out.set(bytes, offset);
  return out;
}

/** Writes the file to disk, leaving holes unwritten (sparse where the file system allows). */
export function writeTiffFile(path: string, options: TiffOptions): number {
  const { size, pieces } = layOutTiff(options);
  const fd = openSync(path, "w");
  try {
    for (const { offset, bytes } of pieces) writeSync(fd, bytes, 0, bytes.length, offset);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return size;
}

/**
 * Levels of an image whose every pixel encodes its own full-resolution column and row:
 * R = col mod 256, G = row mod 256, B = (col div 256 mod 16) + 16 × (row div 256 mod 16). Overview k holds the pixel
 * (col·2^k, row·2^k) of full resolution, so any pixel of any level names where it came from.
 */
export function coordinateLevels(width: number, height: number, overviews: number): RasterLevel[] {
  return Array.from({ length: overviews + 1 }, (_, k) => {
    const factor = 2 ** k;
    return {
      width: Math.ceil(width / factor),
      height: Math.ceil(height / factor),
      pixel: (col: number, row: number) => encodePixel(col * factor, row * factor),
    };
  });
}

/** The colour of full-resolution pixel (col, row) in {@link coordinateLevels}. */
export function encodePixel(col: number, row: number): [number, number, number] {
  return [col % 256, row % 256, (Math.floor(col / 256) % 16) + 16 * (Math.floor(row / 256) % 16)];
}

/** The full-resolution pixel a colour of {@link coordinateLevels} names, given a pixel near it (within 2048). */
export function decodePixel(rgb: ArrayLike<number>, near: [number, number]): [number, number] {
  const [r, g, b] = [rgb[0], rgb[1], rgb[2]];
  const unwrap = (low: number, high: number, guess: number) => {
    const value = high * 256 + low;
    return value + 4096 * Math.round((guess - value) / 4096);
  };
  return [unwrap(r, b % 16, near[0]), unwrap(g, Math.floor(b / 16), near[1])];
}
