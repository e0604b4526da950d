import { create } from "zustand";
import type { CroppedImage } from "../imagery/types";
import type { BackendChoice, DeviceChoiceError, DeviceReport } from "../model/device";
import type { ModelFailure } from "../model/errors";
import type { ModelEntry } from "../model/manifest";
import type { BeamsEvent, GenerateResult, LoadedModel } from "../model/messages";
import type { LoadProgress, StorageRefusal } from "../model/progress";
import type { AnswerState } from "../tasks/answer";
import type { BoxConvention } from "../tasks/boxes";
import { parseClassList } from "../tasks/class-lists";
import { DEFAULT_PIXEL_BUDGET, type ModelInput, type PixelBudget } from "../tasks/model-input-size";
import { type Decoding, TASK_DECODING, type TaskId } from "../tasks/prompts";

/** A loaded model, ready to answer. */
export interface ReadyModel {
  status: "ready";
  modelId: string;
  device: string;
  dtype: string;
  seconds: number;
  fromCache: boolean;
  notCached: StorageRefusal | null;
  /** the model as the worker names it (folder, root, device, dtype): what `loaded` answers while it holds this one */
  held: LoadedModel;
}

/**
 * Where the model load stands. A load in progress or failed keeps the model that was loaded before it, when the
 * worker still holds it: a failed load does not take a working model away.
 */
export type LoadState =
  | { status: "idle" }
  | { status: "loading"; progress: LoadProgress | null; controller: AbortController; kept: ReadyModel | null }
  | ReadyModel
  | { status: "failed"; message: string; failure?: ModelFailure; kept: ReadyModel | null };

/** The model that answers questions now: the ready one, or the one a failed load kept. */
export function loadedModelOf(load: LoadState): ReadyModel | null {
  if (load.status === "ready") return load;
  if (load.status === "failed") return load.kept;
  return null;
}

/** One question and its streamed answer. */
export interface Run {
  id: string;
  task: TaskId;
  /** The classes a classification asked to choose from. */
  classes?: readonly string[];
  /** The instruction as sent to the model. */
  question: string;
  /** The crop asked about (it stays with the run when a new crop is made; its preview URL does not). */
  crop: { image: CroppedImage };
  /** What the model saw: predicted at the start, then as the worker reports it; boxes map back through it. */
  input: ModelInput;
  /** Model id and dtype. */
  model: string;
  answer: AnswerState;
  status: "running" | "done" | "stopped" | "failed";
  /** Stop was asked and the worker has not answered yet */
  stopping?: boolean;
  error: string | null;
  /** The classified failure, with the recoveries to offer. */
  failure?: ModelFailure;
  stats: { ttftMs: number; tokensPerSecond: number; tokens: number; inputWidth: number; inputHeight: number };
  result: GenerateResult | null;
  controller: AbortController;
  /** beam search progress, while it runs */
  beams?: BeamsEvent | null;
  /** how it decodes: beam search reports steps, not tokens */
  decoding: Decoding["kind"];
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
  /** why there is no choice: no device here can run the chosen model, or a forced device is missing */
  choiceProblem: DeviceChoiceError | null;
  load: LoadState;
  /** The runs holding the loaded model, by name ("the answer", "the Inspect run"): a load waits until none is left. */
  modelHolders: string[];
  useSystemPrompt: boolean;
  decoding: Decoding;
  budget: PixelBudget;
  run: Run | null;
  /** How the model writes box coordinates. */
  boxConvention: BoxConvention;
  /** The box highlighted in the text and on the map. */
  highlightedBox: number | null;
  /** The task picked in the ask panel and what each task asks. */
  task: TaskId;
  questionText: string;
  classListId: string;
  customClasses: string[];
  groundingTarget: string;
  groundingSeveral: boolean;
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
  choiceProblem: null,
  load: { status: "idle" },
  modelHolders: [],
  useSystemPrompt: true,
  decoding: TASK_DECODING.vqa,
  budget: DEFAULT_PIXEL_BUDGET,
  run: null,
  boxConvention: "pixels",
  highlightedBox: null,
  task: "free",
  questionText: "What is in this image?",
  classListId: "aid",
  customClasses: loadCustomClasses(),
  groundingTarget: "",
  groundingSeveral: false,
  set: (partial) => set(partial),
  updateRun: (update) => set((s) => (s.run ? { run: update(s.run) } : {})),
}));

const CUSTOM_CLASSES_KEY = "geozero-web:custom-classes";

function loadCustomClasses(): string[] {
  try {
    return parseClassList(globalThis.localStorage?.getItem(CUSTOM_CLASSES_KEY) ?? "");
  } catch {
    return [];
  }
}

/** Sets the user's class list and keeps it in localStorage. */
export function setCustomClasses(classes: string[]): void {
  useModelStore.getState().set({ customClasses: classes });
  try {
    globalThis.localStorage?.setItem(CUSTOM_CLASSES_KEY, classes.join("\n"));
  } catch {
    // Storage full or disabled: the list still holds for this session.
  }
}
