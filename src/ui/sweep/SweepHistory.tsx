import { useEffect } from "react";
import { deleteSweep, listSweeps, showSweep } from "../../app/sweep";
import { useSweepStore } from "../../state/sweep-store";
import { TASK_LABELS } from "../../tasks/instructions";

/** The kept sweeps, newest first: show one again (and resume it), or delete it. */
export function SweepHistory() {
  const list = useSweepStore((s) => s.list);
  const activeId = useSweepStore((s) => s.active?.header.id ?? null);
  useEffect(() => {
    void listSweeps();
  }, []);
  if (list.length === 0) return null;
  return (
    <>
      <h3>Sweeps</h3>
      <ol className="history" data-testid="sweep-history">
        {list.map((sweep) => (
          <li key={sweep.id} className="history-item" data-testid="sweep-history-item" data-id={sweep.id}>
            <div className="history-body">
              <p className="history-line" title={sweep.header.request.instruction}>
                {sweep.header.request.instruction}
              </p>
              <p className="hint history-line">
                {TASK_LABELS[sweep.header.request.task]} · {sweep.header.model} · {sweep.done} of{" "}
                {sweep.header.plan.chipCount} chips{sweep.failed ? ` (${sweep.failed} failed)` : ""} · {sweep.status} ·{" "}
                {new Date(sweep.createdAt).toLocaleString()}
              </p>
              <div className="history-actions">
                <button type="button" data-testid="sweep-history-show" onClick={() => void showSweep(sweep.id)}>
                  {activeId === sweep.id ? "Shown" : "Show"}
                </button>
                <button type="button" data-testid="sweep-history-delete" onClick={() => void deleteSweep(sweep.id)}>
                  Delete
                </button>
              </div>
            </div>
          </li>
        ))}
      </ol>
    </>
  );
}
