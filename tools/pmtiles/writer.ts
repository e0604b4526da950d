/**
 * Writes PMTiles v3 archives (the `pmtiles` package reads them but has no writer): header, root directory, leaf
 * directories when the root would not fit in the first 16 KiB, JSON metadata and tile data, all uncompressed.
 * Tiles are collected in memory: the archives made here (sample imagery, packed areas) are small.
 */
import { Compression, type TileType, zxyToTileId } from "pmtiles";

const HEADER_BYTES = 127;
const ROOT_BUDGET = 16384 - HEADER_BYTES;

/** What the archive describes. */
export interface ArchiveInfo {
  tileType: TileType.Png | TileType.Jpeg | TileType.Webp;
  bounds: { west: number; south: number; east: number; north: number };
  center: { lng: number; lat: number; zoom: number };
  metadata: Record<string, unknown>;
}

interface Entry {
  tileId: number;
  offset: number;
  length: number;
  runLength: number;
}

/** Collects tiles, then serialises the archive with {@link PmtilesWriter.finish}. */
export class PmtilesWriter {
  private readonly tiles = new Map<number, { z: number; data: Uint8Array }>();

  /** Adds one tile; a tile added twice keeps the last bytes. */
  addTile(z: number, x: number, y: number, data: Uint8Array): void {
    this.tiles.set(zxyToTileId(z, x, y), { z, data });
  }

  /** The complete archive. */
  finish(info: ArchiveInfo): Uint8Array {
    if (this.tiles.size === 0) throw new Error("A PMTiles archive needs at least one tile; none was added.");
    const ids = [...this.tiles.keys()].sort((a, b) => a - b);
    const dataParts: Uint8Array[] = [];
    const entries: Entry[] = [];
    let offset = 0;
    for (const tileId of ids) {
      const { data } = this.tiles.get(tileId) as { data: Uint8Array };
      entries.push({ tileId, offset, length: data.length, runLength: 1 });
      dataParts.push(data);
      offset += data.length;
    }
    const { root, leaves } = buildDirectories(entries);
    const metadata = new TextEncoder().encode(JSON.stringify(info.metadata));
    const zooms = [...this.tiles.values()].map((t) => t.z);
    const layout = {
      rootOffset: HEADER_BYTES,
      rootLength: root.length,
      metadataOffset: HEADER_BYTES + root.length,
      metadataLength: metadata.length,
      leavesOffset: HEADER_BYTES + root.length + metadata.length,
      leavesLength: leaves.length,
      dataOffset: HEADER_BYTES + root.length + metadata.length + leaves.length,
      dataLength: offset,
      tiles: entries.length,
      minZoom: Math.min(...zooms),
      maxZoom: Math.max(...zooms),
    };
    const header = encodeHeader(info, layout);
    return concat([header, root, metadata, leaves, ...dataParts]);
  }
}

function buildDirectories(entries: Entry[]): { root: Uint8Array; leaves: Uint8Array } {
  const root = encodeDirectory(entries);
  if (root.length <= ROOT_BUDGET) return { root, leaves: new Uint8Array(0) };
  for (let leafSize = 4096; ; leafSize *= 2) {
    const leafBytes: Uint8Array[] = [];
    const rootEntries: Entry[] = [];
    let leafOffset = 0;
    for (let i = 0; i < entries.length; i += leafSize) {
      const leaf = encodeDirectory(entries.slice(i, i + leafSize));
      rootEntries.push({ tileId: entries[i].tileId, offset: leafOffset, length: leaf.length, runLength: 0 });
      leafBytes.push(leaf);
      leafOffset += leaf.length;
    }
    const leafRoot = encodeDirectory(rootEntries);
    if (leafRoot.length <= ROOT_BUDGET) return { root: leafRoot, leaves: concat(leafBytes) };
  }
}

function encodeDirectory(entries: Entry[]): Uint8Array {
  const bytes: number[] = [];
  writeVarint(bytes, entries.length);
  let lastId = 0;
  for (const e of entries) {
    writeVarint(bytes, e.tileId - lastId);
    lastId = e.tileId;
  }
  for (const e of entries) writeVarint(bytes, e.runLength);
  for (const e of entries) writeVarint(bytes, e.length);
  entries.forEach((e, i) => {
    const previous = entries[i - 1];
    const contiguous = i > 0 && e.offset === previous.offset + previous.length;
    writeVarint(bytes, contiguous ? 0 : e.offset + 1);
  });
  return Uint8Array.from(bytes);
}

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function encodeHeader(
  info: ArchiveInfo,
  l: {
    rootOffset: number;
    rootLength: number;
    metadataOffset: number;
    metadataLength: number;
    leavesOffset: number;
    leavesLength: number;
    dataOffset: number;
    dataLength: number;
    tiles: number;
    minZoom: number;
    maxZoom: number;
  },
): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  header.set(new TextEncoder().encode("PMTiles"), 0);
  header[7] = 3;
  const u64s = [
    l.rootOffset,
    l.rootLength,
    l.metadataOffset,
    l.metadataLength,
    l.leavesOffset,
    l.leavesLength,
    l.dataOffset,
    l.dataLength,
    l.tiles,
    l.tiles,
    l.tiles,
  ];
  u64s.forEach((value, i) => {
    view.setBigUint64(8 + i * 8, BigInt(value), true);
  });
  header[96] = 1; // clustered: tile data is in tile-id order
  header[97] = Compression.None;
  header[98] = Compression.None;
  header[99] = info.tileType;
  header[100] = l.minZoom;
  header[101] = l.maxZoom;
  const e7 = (degrees: number) => Math.round(degrees * 1e7);
  view.setInt32(102, e7(info.bounds.west), true);
  view.setInt32(106, e7(info.bounds.south), true);
  view.setInt32(110, e7(info.bounds.east), true);
  view.setInt32(114, e7(info.bounds.north), true);
  header[118] = info.center.zoom;
  view.setInt32(119, e7(info.center.lng), true);
  view.setInt32(123, e7(info.center.lat), true);
  return header;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
