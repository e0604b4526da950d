import { useShallow } from "zustand/react/shallow";
import { recordsFile } from "../../app/inspect/exports";
import {
  clearWorkspace,
  openAnnotationFile,
  openDropped,
  openImageFolder,
  openResultsFile,
} from "../../app/inspect/workspace";
import { useInspectStore } from "../../inspect/store";
import { filesFromInput } from "../../io/picked-files";
import { downloadFile } from "../download";
import { useDropTarget } from "../use-drop-target";

/** `webkitdirectory` makes the input pick a folder; React's types lack it, every current browser supports it. */
const FOLDER_PICKER: Record<string, string> = { webkitdirectory: "" };

/** Opens the annotation file, the results and the images folder (picked or dropped), and saves the records. */
export function OpenBar() {
  const { resultsName, annotations, folder, reading, keeping } = useInspectStore(
    useShallow(({ resultsName, annotations, folder, reading, keeping }) => ({
      resultsName,
      annotations,
      folder,
      reading,
      keeping,
    })),
  );
  const recordCount = useInspectStore((s) => s.records.length);
  const shownCount = useInspectStore((s) => s.order.length);
  const { over, handlers: drop } = useDropTarget((transfer) => void openDropped(transfer));
  return (
    <div className={over ? "open-bar drop-target" : "open-bar"} {...drop} data-testid="open-bar">
      <label className="file-button">
        Annotations (.json)
        <input
          type="file"
          accept=".json,application/json"
          data-testid="open-annotations"
          onChange={(e) => e.target.files?.[0] && void openAnnotationFile(e.target.files[0])}
        />
      </label>
      <label className="file-button">
        Results (.jsonl)
        <input
          type="file"
          accept=".jsonl,.json,application/x-ndjson"
          data-testid="open-results"
          onChange={(e) => e.target.files?.[0] && void openResultsFile(e.target.files[0])}
        />
      </label>
      <label className="file-button">
        Images folder
        <input
          type="file"
          data-testid="open-images"
          {...FOLDER_PICKER}
          multiple
          onChange={(e) => e.target.files && openImageFolder(filesFromInput(e.target.files))}
        />
      </label>
      <span className="hint" data-testid="opened">
        {annotations ? `${annotations.name} (${annotations.entries.length} samples)` : "no annotations"} ·{" "}
        {resultsName ? `${resultsName} (${recordCount} records)` : `${recordCount} records`} ·{" "}
        {folder ? `${folder.name}/ (${folder.images.size} images)` : "no images"} · or drop them here
      </span>
      {reading && (
        <span className="hint" data-testid="reading-progress">
          Reading {reading.name}: {(reading.bytes / 1e6).toFixed(1)} of {(reading.total / 1e6).toFixed(1)} MB
          <progress value={reading.bytes} max={reading.total} />
        </span>
      )}
      {keeping !== null && (
        <span className="hint" data-testid="keeping">
          Keeping {keeping} records in this browser…
        </span>
      )}
      <span className="spacer" />
      <button
        type="button"
        data-testid="export-jsonl"
        disabled={shownCount === 0}
        onClick={() => downloadFile(recordsFile("jsonl", "filtered"))}
      >
        Export shown as JSONL
      </button>
      <button
        type="button"
        data-testid="export-csv"
        disabled={shownCount === 0}
        onClick={() => downloadFile(recordsFile("csv", "filtered"))}
      >
        CSV
      </button>
      <button
        type="button"
        data-testid="clear-workspace"
        onClick={() =>
          window.confirm("Clear the records, annotations and run kept here? Marks stay.") && void clearWorkspace(false)
        }
      >
        Clear
      </button>
    </div>
  );
}
