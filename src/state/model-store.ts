import { create } from "zustand";
import type { BackendChoice, DeviceReport } from "../model/device";
import type { ModelFailure } from "../model/errors";
import type { ModelEntry } from "../model/manifest";
import type { GenerateResult } from "../model/messages";
import type { LoadProgress } from "../model/progress";
import type { AnswerState } from "../tasks/answer";
import type { BoxConvention } from "../tasks/boxes";
import { DEFAULT_PIXEL_BUDGET, type PixelBudget } from "../tasks/model-input-size";
import { type Decoding, TASK_DECODING } from "../tasks/prompts";

/** Where the model load stands. */
export type LoadState =
  | { status: "idle" }
  | { status: "loading"; progress: LoadProgress | null; controller: AbortController }
  | { status: "ready"; modelId: string; device: string; dtype: string; seconds: number; fromCache: boolean }
  | { status: "failed"; message: string; failure?: ModelFailure };

/** One question and its streamed answer. */
export interface Run {
  question: string;
  answer: AnswerState;
  status: "running" | "done" | "stopped" | "failed";
  error: string | null;
  /** The classified failure, with the recoveries to offer. */
  failure?: ModelFailure;
  stats: { ttftMs: number; tokensPerSecond: number; tokens: number; inputWidth: number; inputHeight: number };
  result: GenerateResult | null;
  controller: AbortController;
}

/** The model side of the app. */
export interface ModelState {
  models: ModelEntry[];
  modelsError: string | null;
  modelId: string | null;
  device: DeviceReport | null;
  forcedDevice: "webgpu" | "wasm" | null;
  /** A dtype the user chose (a recovery after a failure), overriding the automatic one. */
  forcedDtype: string | null;
  /** Whether the user allowed models from a Hugging Face id or URL; off by default, so nothing is requested. */
  remoteEnabled: boolean;
  remoteError: string | null;
  choice: BackendChoice | null;
  load: LoadState;
  useSystemPrompt: boolean;
  decoding: Decoding;
  budget: PixelBudget;
  run: Run | null;
  /** How the model writes box coordinates. */
  boxConvention: BoxConvention;
  /** The box highlighted in the text and on the map. */
  highlightedBox: number | null;
  set(partial: Partial<ModelState>): void;
  updateRun(update: (run: Run) => Run): void;
}

/** The model store. */
export const useModelStore = create<ModelState>()((set) => ({
  models: [],
  modelsError: null,
  modelId: null,
  device: null,
  forcedDevice: null,
  forcedDtype: null,
  remoteEnabled: false,
  remoteError: null,
  choice: null,
  load: { status: "idle" },
  useSystemPrompt: true,
  decoding: TASK_DECODING.vqa,
  budget: DEFAULT_PIXEL_BUDGET,
  run: null,
  boxConvention: "pixels",
  highlightedBox: null,
  set: (partial) => set(partial),
  updateRun: (update) => set((s) => (s.run ? { run: update(s.run) } : {})),
}));
