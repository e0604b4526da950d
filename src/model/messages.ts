import type { MessageSpec } from "../io/worker-rpc";
import type { PixelBudget } from "../tasks/model-input-size";
import type { Decoding } from "../tasks/prompts";
import type { DeviceReport } from "./device";
import type { ModelManifest, SessionDtypes } from "./manifest";
import type { LoadProgress, StorageRefusal } from "./progress";

/** One question about one image. */
export interface GenerateRequest {
  image: Blob;
  instruction: string;
  useSystemPrompt: boolean;
  decoding: Decoding;
  budget: PixelBudget;
  /** Seeds sampling (an evaluation records it per sample); without it the worker picks one. */
  seed?: number;
  /** Start from nothing kept of earlier questions (an evaluation's answers must not depend on the order asked). */
  fresh?: boolean;
}

/** Generation events, tagged by `status`. */
export type GenerateEvent =
  | { status: "prefill"; inputWidth: number; inputHeight: number; promptTokens: number }
  | { status: "token"; piece: string; tokens: number; ttftMs: number; tokensPerSecond: number }
  | BeamsEvent;

/** Beam search progress after a step: the best running beam and the best finished hypothesis so far. */
export interface BeamsEvent {
  status: "beams";
  step: number;
  /** from the call to the first beam step (image encoding and prompt) */
  firstStepMs: number;
  /** beam steps per second after the first (each step extends every beam by one token) */
  stepsPerSecond: number;
  bestText: string;
  bestLogProb: number;
  finishedText: string | null;
  finishedScore: number | null;
}

/** A finished (or stopped) generation. */
export interface GenerateResult {
  text: string;
  /** the generated token ids (eos included when it ended there) */
  tokenIds: number[];
  /** bytes that crossed from the device to JavaScript memory: in the prefill, and over the decoding steps */
  transfers: { prefillBytesToCpu: number; decodeBytesToCpu: number; decodeSteps: number };
  tokens: number;
  stopped: boolean;
  ttftMs: number;
  tokensPerSecond: number;
  totalMs: number;
  note: string | null;
}

/** The model a worker holds, as its load was asked. */
export interface LoadedModel {
  modelId: string;
  modelRoot: string;
  device: "webgpu" | "wasm";
  dtype: string;
}

/** The model worker's messages. */
export type ModelMessages = {
  probe: MessageSpec<null, DeviceReport>;
  load: MessageSpec<
    {
      modelId: string;
      modelRoot: string;
      device: "webgpu" | "wasm";
      dtype: string;
      sessions: SessionDtypes;
      /** "built": a model built in this browser, read from its storage rather than fetched from `modelRoot` */
      store?: "built";
      /**
       * A served model's manifest as the model list holds it: with the network off (`offline`), or when the server
       * cannot be reached, the folder is described from it and the browser's cache, with no request.
       */
      listed?: { manifest: ModelManifest; offline: boolean };
    },
    {
      seconds: number;
      fromCache: boolean;
      notCached: StorageRefusal | null;
      /** whether ONNX Runtime read the weights piece by piece (its JSPI build) rather than as whole files */
      streamedWeights: boolean;
    },
    LoadProgress
  >;
  generate: MessageSpec<GenerateRequest, GenerateResult, GenerateEvent>;
  /** the model loaded now, if any: after a failed load, whether the earlier one is still there */
  loaded: MessageSpec<null, LoadedModel | null>;
  unload: MessageSpec<null, null>;
  /** test builds only: the error types the worker's bundle registers, by name */
  registeredErrors: MessageSpec<null, string[]>;
  /** test builds only: throws an instance of the worker's registered error type `name` */
  raise: MessageSpec<{ name: string }, never>;
};
