import { create } from "zustand";
import type { BBox, TileId } from "../geo/tiles";
import { planSourceCrop } from "../imagery/crop-plan";
import { type ImagerySource, ONLINE_SOURCES, SAMPLE_SOURCE } from "../imagery/sources";
import type { ImageryProblem } from "../imagery/tile-health";
import type { CropProgress, CroppedImage } from "../imagery/types";
import type { MapTool } from "../map/map-port";
import { pickedTilesBBox, toggleTile } from "../map/tile-grid";

/** How the selection was made. */
export type Selection = { kind: "none" } | { kind: "rectangle"; bbox: BBox } | { kind: "tiles"; tiles: TileId[] };

/** Where the crop stands. */
export type CropState =
  | { status: "idle" }
  | { status: "running"; progress: CropProgress; controller: AbortController }
  | { status: "done"; image: CroppedImage; previewUrl: string }
  | { status: "failed"; message: string };

/** The app's state: imagery, selection and crop. */
export interface AppState {
  sources: ImagerySource[];
  sourceId: string;
  /** Why a source shows no imagery, by source id (the list marks it; the panel words it for the current one). */
  sourceProblems: Record<string, ImageryProblem>;
  tool: MapTool;
  gridZoom: number;
  selection: Selection;
  /**
   * The crop's resolution chosen by the user: a zoom for tile sources, a level for a GeoTIFF (0 = full resolution);
   * null picks the finest that fits the limit.
   */
  cropZoom: number | null;
  crop: CropState;
  /** The last good crop stays while a new one runs or fails. */
  lastImage: { image: CroppedImage; previewUrl: string } | null;
  view: { center: [number, number]; zoom: number };
  /** An area the map should move to (a newly opened file); consumed by the map. */
  focus: BBox | null;
  /** Why the last GeoTIFF could not be opened. */
  fileError: string | null;
  /** A reference box drawn over the crop, which live answers' boxes are compared with (IoU). */
  reference: BBox | null;
  addSource(source: ImagerySource): void;
  selectSource(id: string): void;
  setSourceProblem(id: string, problem: ImageryProblem | null): void;
  setTool(tool: MapTool): void;
  setGridZoom(zoom: number): void;
  setRectangle(bbox: BBox): void;
  toggleTile(tile: TileId): void;
  clearSelection(): void;
  setCropZoom(zoom: number | null): void;
  setCrop(crop: CropState): void;
  setView(view: { center: [number, number]; zoom: number }): void;
  setFocus(focus: BBox | null): void;
  setFileError(message: string | null): void;
  setReference(reference: BBox | null): void;
}

/** The selection's bbox, whichever way it was made. */
export function selectionBBox(selection: Selection): BBox | null {
  if (selection.kind === "rectangle") return selection.bbox;
  if (selection.kind === "tiles") return pickedTilesBBox(selection.tiles);
  return null;
}

/** The source in use. */
export function currentSource(state: Pick<AppState, "sources" | "sourceId">): ImagerySource {
  return state.sources.find((s) => s.id === state.sourceId) ?? SAMPLE_SOURCE;
}

/** The crop plan for the current state (its zoom, or a GeoTIFF's level), or null without a selection. */
export function currentPlan(state: AppState): ReturnType<typeof planSourceCrop> | null {
  const bbox = selectionBBox(state.selection);
  if (!bbox) return null;
  return planSourceCrop(currentSource(state), bbox, state.cropZoom);
}

/** The app's store. */
export const useAppStore = create<AppState>()((set) => ({
  sources: [SAMPLE_SOURCE, ...ONLINE_SOURCES],
  sourceId: SAMPLE_SOURCE.id,
  sourceProblems: {},
  tool: "pan",
  gridZoom: 16,
  selection: { kind: "none" },
  cropZoom: null,
  crop: { status: "idle" },
  lastImage: null,
  view: { center: [10.005, 48.0], zoom: 14.5 },
  focus: null,
  fileError: null,
  reference: null,
  addSource: (source) =>
    set((s) => ({
      sources: [...s.sources.filter((x) => x.id !== source.id), source],
      sourceId: source.id,
    })),
  selectSource: (id) => set({ sourceId: id }),
  setSourceProblem: (id, problem) =>
    set((s) => {
      const { [id]: _, ...others } = s.sourceProblems;
      return { sourceProblems: problem ? { ...others, [id]: problem } : others };
    }),
  setTool: (tool) => set({ tool }),
  setGridZoom: (gridZoom) =>
    set((s) => ({ gridZoom, selection: s.selection.kind === "tiles" ? { kind: "none" } : s.selection })),
  setRectangle: (bbox) => set({ selection: { kind: "rectangle", bbox } }),
  toggleTile: (tile) =>
    set((s) => {
      const tiles = toggleTile(s.selection.kind === "tiles" ? s.selection.tiles : [], tile);
      return { selection: tiles.length > 0 ? { kind: "tiles", tiles } : { kind: "none" } };
    }),
  clearSelection: () => set({ selection: { kind: "none" } }),
  setCropZoom: (cropZoom) => set({ cropZoom }),
  setCrop: (crop) =>
    set((s) => ({
      crop,
      lastImage: crop.status === "done" ? { image: crop.image, previewUrl: crop.previewUrl } : s.lastImage,
    })),
  setView: (view) => set({ view }),
  setFocus: (focus) => set({ focus }),
  setFileError: (fileError) => set({ fileError }),
  setReference: (reference) => set({ reference, tool: "pan" }),
}));
