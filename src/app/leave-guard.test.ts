import { afterEach, describe, expect, it } from "vitest";
import { type ModelState, useModelStore } from "../state/model-store";
import { warnBeforeLeaving } from "./leave-guard";

/** Whether leaving the page now makes the browser ask first: the beforeunload event is cancelled. */
function asksBeforeLeaving(page: EventTarget): boolean {
  const event = new Event("beforeunload", { cancelable: true });
  page.dispatchEvent(event);
  return event.defaultPrevented;
}

const set = (state: Partial<Pick<ModelState, "load" | "run">>) => useModelStore.setState(state);
const run = (status: "running" | "done" | "stopped" | "failed") => ({ status }) as ModelState["run"];

describe("warnBeforeLeaving", () => {
  afterEach(() => set({ load: { status: "idle" }, run: null }));

  it("makes the browser ask while the model downloads or an answer runs, and not once they have ended", () => {
    const page = new EventTarget();
    const stop = warnBeforeLeaving(page as unknown as Window);
    expect(asksBeforeLeaving(page)).toBe(false);
    set({ load: { status: "loading", progress: null, controller: new AbortController(), kept: null } });
    expect(asksBeforeLeaving(page)).toBe(true);
    set({ load: { status: "idle" }, run: run("running") });
    expect(asksBeforeLeaving(page)).toBe(true);
    for (const ended of ["done", "stopped", "failed"] as const) {
      set({ run: run(ended) });
      expect(asksBeforeLeaving(page), ended).toBe(false);
    }
    set({ run: run("running") });
    stop();
    expect(asksBeforeLeaving(page)).toBe(false);
  });
});
