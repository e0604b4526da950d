import type { ReferenceReading } from "../../inspect/reference";
import { useAppStore } from "../../state/store";

/** Draw or clear the reference box that the answer's boxes are compared with, and what it is in crop pixels. */
export function ReferenceControls({ reading }: { reading: ReferenceReading | null }) {
  const drawing = useAppStore((s) => s.tool === "reference");
  const { setTool, setReference } = useAppStore.getState();
  return (
    <div className="reference" data-testid="reference-controls">
      <div className="row">
        <button
          type="button"
          data-testid="draw-reference"
          className={drawing ? "active" : ""}
          onClick={() => setTool(drawing ? "pan" : "reference")}
        >
          {drawing ? "Drawing: drag on the map…" : reading ? "Redraw reference box" : "Draw reference box"}
        </button>
        {reading && (
          <button type="button" data-testid="clear-reference" onClick={() => setReference(null)}>
            Clear reference
          </button>
        )}
      </div>
      {reading?.valid && (
        <p className="hint" data-testid="reference-pixels">
          Reference (dashed on the map): [{reading.comparison.pixels.join(", ")}] px of the crop; each box shows its IoU
          against it.
        </p>
      )}
      {reading && !reading.valid && (
        <p className="error" data-testid="reference-error">
          {reading.reason}
        </p>
      )}
    </div>
  );
}
