import { useBuildStore } from "../state/build-store";
import type { ModelState } from "../state/model-store";
import { useModelStore } from "../state/model-store";

/** What would be lost by leaving the page now, or null when nothing runs. */
export function leaveWarning(model: Pick<ModelState, "load" | "run">): string | null {
  if (model.load.status === "loading") return "The model is still downloading; leaving the page stops the download.";
  if (model.run?.status === "running") return "An answer is still being written; leaving the page loses it.";
  return null;
}

/**
 * Asks the browser to confirm leaving (reload, close, another address) while a model downloads, an answer is being
 * written or a model is being built (a build resumes, but what is in flight is lost). Returns the function that stops
 * asking.
 */
export function warnBeforeLeaving(
  target: Pick<Window, "addEventListener" | "removeEventListener"> = window,
): () => void {
  const onBeforeUnload = (event: BeforeUnloadEvent) => {
    const building = useBuildStore.getState().run?.status === "building";
    if (!leaveWarning(useModelStore.getState()) && !building) return;
    event.preventDefault();
    // Browsers before Chrome 119 ask only when returnValue is set; the text itself is no longer shown.
    event.returnValue = true;
  };
  target.addEventListener("beforeunload", onBeforeUnload);
  return () => target.removeEventListener("beforeunload", onBeforeUnload);
}
