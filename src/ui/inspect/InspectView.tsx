import { useEffect } from "react";
import { restoreWorkspace, setMark } from "../../app/inspect/workspace";
import { REVIEW_VERDICTS } from "../../eval/record-format";
import { stepThrough } from "../../inspect/filter";
import { orderedIds, useInspectStore } from "../../inspect/store";
import { UpdateReady } from "../OfflineStatus";
import { PageTabs } from "../PageTabs";
import { OpenBar } from "./OpenBar";
import { ProblemsView } from "./ProblemsView";
import { RunPanel } from "./RunPanel";
import { SampleList } from "./SampleList";
import { SampleView } from "./SampleView";
import { SummaryPanel } from "./SummaryPanel";

/** Keys that step through the list (next, previous) and mark the sample (1–3, 0 clears). */
const NEXT = new Set(["j", "ArrowDown", "ArrowRight"]);
const PREVIOUS = new Set(["k", "ArrowUp", "ArrowLeft"]);

/** Input types whose keys are text being typed (a range, checkbox or select takes review keys instead). */
const TEXT_INPUTS = new Set(["text", "search", "number", "email", "url", "tel", "password"]);

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUTS.has(target.type);
}

/**
 * Keyboard review: j/k or the arrow keys step through the filtered list; 1, 2, 3 mark the sample; 0 clears. Listened
 * for before the focused element gets them (capture), so after a click on the threshold slider, a filter or a
 * checkbox the keys still step through samples rather than move that control; only text fields keep their keys.
 */
function useReviewKeys(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (isTyping(event.target) || event.altKey || event.ctrlKey || event.metaKey) return;
      const state = useInspectStore.getState();
      const step = NEXT.has(event.key) ? 1 : PREVIOUS.has(event.key) ? -1 : 0;
      if (step !== 0) {
        event.preventDefault();
        state.select(stepThrough(orderedIds(state), state.selectedId, step));
        return;
      }
      const id = state.selectedId;
      if (!id || !/^[0-3]$/.test(event.key)) return;
      event.preventDefault();
      const verdict = event.key === "0" ? null : REVIEW_VERDICTS[Number(event.key) - 1];
      const note = state.marks.get(id)?.note ?? "";
      void setMark(id, verdict === null && note === "" ? null : { verdict, note });
    };
    window.addEventListener("keydown", onKey, { capture: true });
    return () => window.removeEventListener("keydown", onKey, { capture: true });
  }, []);
}

/**
 * The Inspect view: an evaluation's grounding records sample by sample — list, image with reference and predicted
 * boxes, summary at an adjustable IoU threshold — opened from files or run here on the loaded model.
 */
export default function InspectView() {
  useEffect(() => {
    void restoreWorkspace();
  }, []);
  useReviewKeys();
  const hasRecords = useInspectStore((s) => s.records.length > 0);
  return (
    <div className="inspect" data-testid="inspect-view">
      <header className="inspect-header">
        <h1 className="inspect-title">GeoZero Web · Inspect grounding</h1>
        <PageTabs />
        <OpenBar />
        <UpdateReady />
      </header>
      <ProblemsView />
      <div className="inspect-body">
        <SampleList />
        <main className="inspect-sample">
          {hasRecords ? (
            <SampleView />
          ) : (
            <p className="hint inspect-empty">
              Open the <code>results.jsonl</code> that <code>npm run eval -- --task grounding</code> wrote (with its
              annotation file and images folder), or open an annotation file and images folder and run the evaluation
              here. <code>npm run make-grounding-set</code> makes a small set to try, in{" "}
              <code>fixtures/grounding-set/</code>.
            </p>
          )}
        </main>
        <aside className="inspect-side">
          <SummaryPanel />
          <RunPanel />
        </aside>
      </div>
    </div>
  );
}
