import { create } from "zustand";
import type { OutputDtype } from "../convert/graph/weights.ts";
import type { PickedFile } from "../io/picked-files";
import { HUB_URL } from "../model-build/hub-snapshot";
import type { BuildRecord } from "../model-build/journal";
import type { BuildPreview, BuildProgress, BuildResult, SnapshotChoice } from "../model-build/messages";

/** The repository folder the Build form starts with: GeoZero as its authors published it. */
export const DEFAULT_BUILD_SOURCE = { repo: "hjvsl/GeoZero", subfolder: "GeoZero-8B-without-RFT", revision: "main" };

/** A build in this tab: being checked, running, or ended. */
export type BuildRun =
  | { status: "inspecting"; controller: AbortController }
  | { status: "previewed"; preview: BuildPreview; snapshot: SnapshotChoice }
  | {
      status: "building";
      preview: BuildPreview;
      snapshot: SnapshotChoice;
      progress: BuildProgress | null;
      controller: AbortController;
    }
  | { status: "done"; preview: BuildPreview; result: BuildResult }
  | {
      status: "failed";
      message: string;
      needsToken: boolean;
      preview: BuildPreview | null;
      snapshot: SnapshotChoice | null;
    };

/** The Build part of the Model panel. */
export interface BuildState {
  /** the hub's base URL (a setting) */
  hubUrl: string;
  repo: string;
  subfolder: string;
  revision: string;
  /** "auto": q4f16 where the GPU has shader-f16, else q4, as the load chooses */
  dtype: "auto" | OutputDtype;
  /** a Hugging Face access token for gated or private repositories: in this tab's memory only, never stored */
  token: string;
  /** the folder picked to build from */
  picked: PickedFile[] | null;
  run: BuildRun | null;
  /** builds this browser started and did not finish (for Resume and Delete) */
  unfinished: BuildRecord[];
  /** the last thing done that is worth a line (a deletion and what it freed, a save) */
  notice: string | null;
  set(partial: Partial<BuildState>): void;
}

export const useBuildStore = create<BuildState>()((set) => ({
  hubUrl: HUB_URL,
  ...DEFAULT_BUILD_SOURCE,
  dtype: "auto",
  token: "",
  picked: null,
  run: null,
  unfinished: [],
  notice: null,
  set: (partial) => set(partial),
}));
