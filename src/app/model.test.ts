import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ModelEntry } from "../model/manifest";
import { useModelStore } from "../state/model-store";
import { cancelLoad, defaultModelId, holdModel, initialiseModels, loadModel } from "./model";

const entry = (id: string): ModelEntry => ({ id, manifest: null });

describe("defaultModelId", () => {
  it("picks the README's default model, not the first folder in alphabetical order", () => {
    expect(defaultModelId([entry("a-broken"), entry("geozero-8b"), entry("geozero-tiny")], null)).toBe("geozero-tiny");
  });

  it("keeps the user's pick while it is listed, and falls back to the first model without the default", () => {
    expect(defaultModelId([entry("geozero-8b"), entry("geozero-tiny")], "geozero-8b")).toBe("geozero-8b");
    expect(defaultModelId([entry("b"), entry("c")], "gone")).toBe("b");
    expect(defaultModelId([], null)).toBeNull();
  });
});

type Call = { kind: string; id: number; type: string; request: { device?: string } };

/** A model worker that answers at once: it records every call and holds whatever it was last asked to load. */
class InstantWorker {
  static calls: Call[] = [];
  private listener: (event: { data: unknown }) => void = () => {};
  private held: unknown = null;
  addEventListener(_: string, listener: (event: { data: unknown }) => void): void {
    this.listener = listener;
  }
  postMessage(message: Call): void {
    if (message.kind !== "call") return;
    InstantWorker.calls.push(message);
    if (message.type === "load") this.held = { ...message.request, sessions: undefined };
    const response =
      message.type === "load"
        ? { seconds: 1, fromCache: true, notCached: null, streamedWeights: false }
        : message.type === "loaded"
          ? this.held
          : null;
    setTimeout(() => this.listener({ data: { kind: "result", id: message.id, response } }), 0);
  }
  terminate(): void {}
}
vi.stubGlobal("Worker", InstantWorker);

const loads = () => InstantWorker.calls.filter((c) => c.type === "load").map((c) => c.request.device);
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const choose = (device: "wasm" | "webgpu") =>
  useModelStore.getState().set({
    choice: {
      device,
      dtype: "q4",
      sessions: { vision_encoder: "q4", embed_tokens: "q4", decoder_model_merged: "q4" },
      reason: "",
    },
  });

describe("a load while a run holds the model", () => {
  beforeEach(() => {
    useModelStore.getState().set({ models: [entry("geozero-tiny")], modelId: "geozero-tiny", modelHolders: [] });
  });

  it("waits until every run holding the model has let it go, then loads, so a run's records name one model", async () => {
    choose("wasm");
    await loadModel();
    expect(useModelStore.getState().load).toMatchObject({ status: "ready", device: "wasm" });
    const releaseInspect = holdModel("the Inspect run");
    const releaseAnswer = holdModel("the answer");
    choose("webgpu");
    const loading = loadModel();
    await settle();
    expect(loads()).toEqual(["wasm"]);
    expect(useModelStore.getState().load.status).toBe("loading");
    releaseAnswer();
    releaseAnswer();
    await settle();
    expect(loads()).toEqual(["wasm"]);
    releaseInspect();
    await loading;
    expect(loads()).toEqual(["wasm", "webgpu"]);
    expect(useModelStore.getState().load).toMatchObject({ status: "ready", device: "webgpu" });
    expect(useModelStore.getState().modelHolders).toEqual([]);
  });

  it("cancelled while it waits, never reaches the worker and leaves the model loaded before", async () => {
    const before = useModelStore.getState().load;
    const release = holdModel("the Inspect run");
    choose("wasm");
    const loading = loadModel();
    await settle();
    cancelLoad();
    await loading;
    release();
    await settle();
    expect(loads()).toEqual(["wasm", "webgpu"]);
    expect(useModelStore.getState().load).toBe(before);
  });
});

describe("the model list arriving", () => {
  it("gives grounding picked before it the box convention of the model it chooses (GeoZero: pixels)", async () => {
    vi.stubGlobal("fetch", async () => new Response(JSON.stringify([entry("geozero-tiny")])));
    useModelStore.getState().set({
      models: [],
      modelId: null,
      load: { status: "idle" },
      task: "grounding",
      boxConvention: "relative-1000",
    });
    await initialiseModels();
    expect(useModelStore.getState()).toMatchObject({ modelId: "geozero-tiny", boxConvention: "pixels" });
    vi.unstubAllGlobals();
    vi.stubGlobal("Worker", InstantWorker);
  });
});
