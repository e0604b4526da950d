import { create } from "zustand";
import type { MergedBox, MergeOptions } from "../sweep/merge";
import { DEFAULT_MERGE } from "../sweep/merge";
import { DEFAULT_SWEEP_SETTINGS, type SweepPlanResult } from "../sweep/plan";
import type { ChipRecord, SweepHeader } from "../sweep/records";
import type { StoredSweep, SweepStatus } from "./sweep-db";

/** The sweep form: chip size, overlap, and the resolution (null: the crop zoom, or the raster's own pixels). */
export interface SweepForm {
  chipSize: number;
  overlap: number;
  resolution: number | null;
}

/** The sweep shown: running, paused, stopped or finished, with its records as they come. */
export interface ActiveSweep {
  header: SweepHeader;
  createdAt: number;
  /** Chip records by chip index; replaced (not changed) when one is added. */
  records: ReadonlyMap<number, ChipRecord>;
  status: SweepStatus | "pausing";
  reason: string | null;
  /** The chip being answered. */
  current: number | null;
  /** Median seconds per chip on this device, once measured. */
  secondsPerChip: number | null;
  /** Chips done in this run and when it started, for the rate. */
  doneThisRun: number;
  runStartedAt: number;
  /** The merged objects under the current merge settings. */
  merged: MergedBox[];
}

/** The sweep side of the app. */
export interface SweepState {
  form: SweepForm;
  merge: MergeOptions;
  /** Whether the sweep panel is open: its plan's grid is drawn on the map. */
  planning: boolean;
  preview: { result: SweepPlanResult; estimateSeconds: number | null } | null;
  active: ActiveSweep | null;
  /** The kept sweeps, newest first, with their counts. */
  list: Array<StoredSweep & { done: number; failed: number }>;
  error: string | null;
  /** The chip shown from the answers list. */
  shownChip: number | null;
  set(partial: Partial<SweepState>): void;
  updateActive(update: (active: ActiveSweep) => ActiveSweep): void;
}

export const useSweepStore = create<SweepState>()((set) => ({
  form: { ...DEFAULT_SWEEP_SETTINGS, resolution: null },
  merge: DEFAULT_MERGE,
  planning: false,
  preview: null,
  active: null,
  list: [],
  error: null,
  shownChip: null,
  set: (partial) => set(partial),
  updateActive: (update) => set((s) => (s.active ? { active: update(s.active) } : {})),
}));
