import { useEffect, useMemo } from "react";
import { historyEntryGeoJson, showHistoryEntry } from "../app/history";
import type { HistoryEntry } from "../state/history-db";
import { useHistoryStore } from "../state/history-store";
import { TASK_LABELS } from "../tasks/instructions";
import { downloadGeoJson, resultFileName } from "./download";
import { exportCropWithWorldFile } from "./export-crop";
import { SweepHistory } from "./sweep/SweepHistory";

/** Results kept per question across reloads: show again, export, delete. */
export function HistoryPanel() {
  const { entries, error, load } = useHistoryStore();
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="panel" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {error && (
        <p className="error" role="alert" data-testid="history-error">
          {error}
        </p>
      )}
      <SweepHistory />
      {entries.length === 0 ? (
        <p className="hint">Answers are kept here, in this browser, after each question.</p>
      ) : (
        <ol className="history" data-testid="history-list">
          {entries.map((entry) => (
            <HistoryItem key={entry.id} entry={entry} />
          ))}
        </ol>
      )}
    </section>
  );
}

function HistoryItem({ entry }: { entry: HistoryEntry }) {
  const remove = useHistoryStore((s) => s.remove);
  const thumbnailUrl = useMemo(() => URL.createObjectURL(entry.thumbnail), [entry.thumbnail]);
  useEffect(() => () => URL.revokeObjectURL(thumbnailUrl), [thumbnailUrl]);
  const kept = entry.boxes.filter((b) => b.pixels).length;
  return (
    <li className="history-item" data-testid="history-item" data-id={entry.id}>
      <img src={thumbnailUrl} alt="Crop asked about" className="thumbnail" />
      <div className="history-body">
        <p className="history-line" data-testid="history-question" title={entry.question}>
          {entry.question}
        </p>
        <p className="history-line history-answer" data-testid="history-answer">
          {entry.answer}
        </p>
        <p className="hint history-line">
          {TASK_LABELS[entry.task]} · {entry.model || "model"} · {new Date(entry.createdAt).toLocaleString()}
          {entry.status === "stopped" ? " · stopped" : ""} · {entry.crop.width} × {entry.crop.height} px · zoom{" "}
          {entry.crop.zoom} · {kept} box{kept === 1 ? "" : "es"}
        </p>
        <div className="history-actions">
          <button type="button" data-testid="history-show" onClick={() => showHistoryEntry(entry)}>
            Show on map
          </button>
          {kept > 0 && (
            <button
              type="button"
              data-testid="history-export-geojson"
              onClick={() => downloadGeoJson(historyEntryGeoJson(entry), resultFileName(entry.id, "geojson"))}
            >
              GeoJSON
            </button>
          )}
          <button
            type="button"
            data-testid="history-export-png"
            onClick={() => exportCropWithWorldFile(entry.crop, `geozero-crop-${entry.id}`)}
          >
            PNG + world file
          </button>
          <button type="button" data-testid="history-delete" onClick={() => void remove(entry.id)}>
            Delete
          </button>
        </div>
        <details className="history-full" data-testid="history-full">
          <summary>Full question and answer</summary>
          <h3>Question</h3>
          <pre>{entry.question}</pre>
          {entry.think && (
            <>
              <h3>Reasoning</h3>
              <pre data-testid="history-think">{entry.think}</pre>
            </>
          )}
          <h3>Answer</h3>
          <pre>{entry.answer}</pre>
        </details>
      </div>
    </li>
  );
}
