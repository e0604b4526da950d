import { useBuildStore } from "../state/build-store";
import type { ModelState } from "../state/model-store";
import { useModelStore } from "../state/model-store";

/** Whether leaving the page now would lose work: a model download, or an answer being written. */
function workWouldBeLost(model: Pick<ModelState, "load" | "run">): boolean {
  return model.load.status === "loading" || model.run?.status === "running";
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
    if (!workWouldBeLost(useModelStore.getState()) && !building) return;
    event.preventDefault();
    // Browsers before Chrome 119 ask only when returnValue is set; browsers show their own text, never the page's.
    event.returnValue = true;
  };
  target.addEventListener("beforeunload", onBeforeUnload);
  return () => target.removeEventListener("beforeunload", onBeforeUnload);
}
