/**
 * The shareable part of the app's state in the URL hash: the map view, the selection's bbox, the crop zoom and the
 * imagery source, e.g. `#map=14.50/48.000000/10.005000&bbox=9.99,47.99,10.01,48.01&cz=17&source=sample`; a GeoTIFF opened by
 * URL adds `cog=<the URL>`, so a link opens it again; when the Inspect view is open, that and its sample:
 * `…&view=inspect&sample=3%3Avillage-edge.png`.
 * Decoding never throws and never logs: a malformed or missing part is left out, and the app keeps its default.
 */
import type { BBox } from "../geo/tiles";

/** A map view: centre [lng, lat] and zoom. */
export interface MapViewState {
  center: [number, number];
  zoom: number;
}

/** What a link carries. */
export interface UrlState {
  view: MapViewState;
  bbox: BBox | null;
  cropZoom: number | null;
  sourceId: string;
  /** The URL of the GeoTIFF/COG in use, when it was opened by URL. */
  cogUrl: string | null;
  /** The Inspect view is open (else the map). */
  inspect: boolean;
  /** The sample the Inspect view shows. */
  sample: string | null;
}

/** What a hash gave back: each part present only when it was well formed. */
export type DecodedUrlState = Partial<{
  view: MapViewState;
  bbox: BBox;
  cropZoom: number;
  sourceId: string;
  cogUrl: string;
  inspect: boolean;
  sample: string;
}>;

const MAX_ZOOM = 24;
const SOURCE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_SAMPLE_ID = 1000;

/** The hash (with its `#`) for a state. */
export function encodeUrlState(state: UrlState): string {
  const [lng, lat] = state.view.center;
  const parts = [`map=${state.view.zoom.toFixed(2)}/${lat.toFixed(6)}/${lng.toFixed(6)}`];
  if (state.bbox) {
    const { west, south, east, north } = state.bbox;
    parts.push(`bbox=${[west, south, east, north].map((v) => Number(v.toFixed(9))).join(",")}`);
  }
  if (state.cropZoom !== null) parts.push(`cz=${state.cropZoom}`);
  parts.push(`source=${encodeURIComponent(state.sourceId)}`);
  if (state.cogUrl) parts.push(`cog=${encodeURIComponent(state.cogUrl)}`);
  if (state.inspect) parts.push("view=inspect");
  if (state.inspect && state.sample !== null) parts.push(`sample=${encodeURIComponent(state.sample)}`);
  return `#${parts.join("&")}`;
}

/** The parts of a hash that are well formed; anything else is ignored. */
export function decodeUrlState(hash: string): DecodedUrlState {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const decoded: DecodedUrlState = {};
  const view = parseView(params.get("map"));
  if (view) decoded.view = view;
  const bbox = parseBBox(params.get("bbox"));
  if (bbox) decoded.bbox = bbox;
  const cropZoom = parseCropZoom(params.get("cz"));
  if (cropZoom !== null) decoded.cropZoom = cropZoom;
  const sourceId = params.get("source");
  if (sourceId !== null && SOURCE_ID.test(sourceId)) decoded.sourceId = sourceId;
  const cogUrl = parseHttpUrl(params.get("cog"));
  if (cogUrl) decoded.cogUrl = cogUrl;
  if (params.get("view") === "inspect") decoded.inspect = true;
  const sample = params.get("sample");
  if (sample && sample.length <= MAX_SAMPLE_ID) decoded.sample = sample;
  return decoded;
}

function numbers(text: string | null, separator: string, count: number): number[] | null {
  if (text === null) return null;
  const parts = text.split(separator);
  if (parts.length !== count || parts.some((p) => p.trim() === "")) return null;
  const values = parts.map(Number);
  return values.every(Number.isFinite) ? values : null;
}

function parseView(text: string | null): MapViewState | null {
  const values = numbers(text, "/", 3);
  if (!values) return null;
  const [zoom, lat, lng] = values;
  if (zoom < 0 || zoom > MAX_ZOOM || Math.abs(lat) > 85.0511 || Math.abs(lng) > 180) return null;
  return { center: [lng, lat], zoom };
}

function parseBBox(text: string | null): BBox | null {
  const values = numbers(text, ",", 4);
  if (!values) return null;
  const [west, south, east, north] = values;
  const lngOk = [west, east].every((v) => Math.abs(v) <= 180) && west !== east;
  const latOk = [south, north].every((v) => Math.abs(v) <= 85.0511) && south < north;
  return lngOk && latOk ? { west, south, east, north } : null;
}

function parseHttpUrl(text: string | null): string | null {
  if (text === null) return null;
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function parseCropZoom(text: string | null): number | null {
  if (text === null || !/^\d{1,2}$/.test(text)) return null;
  const zoom = Number(text);
  return zoom <= MAX_ZOOM ? zoom : null;
}
