import { create } from "zustand";
import type { SweepLayers } from "../map/map-port";

const empty = (): GeoJSON.FeatureCollection => ({ type: "FeatureCollection", features: [] });

/** The sweep drawn on the map (its grid, classification grid and merged objects); the map bridge follows it. */
export const useSweepLayers = create<SweepLayers>()(() => ({ grid: empty(), classes: empty(), merged: empty() }));
