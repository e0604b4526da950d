import { useState } from "react";
import type { BBox } from "../geo/tiles";
import { snapBBoxToModelSize } from "../imagery/crop-plan";
import type { MapTool } from "../map/map-port";
import { useModelStore } from "../state/model-store";
import { currentPlan, currentSource, selectionBBox, useAppStore } from "../state/store";
import { currentLink } from "../state/url-sync";
import { modelInputFor } from "../tasks/model-input-size";
import { formatGsd, formatMetres } from "./format";

const tools: Array<{ tool: MapTool; label: string }> = [
  { tool: "pan", label: "Pan" },
  { tool: "rectangle", label: "Draw rectangle" },
  { tool: "tiles", label: "Pick tiles" },
];

/** Selection tools, the selection's extent (editable), its size, ground size and GSD, and the crop zoom. */
export function SelectionPanel() {
  const state = useAppStore();
  const source = currentSource(state);
  const bbox = selectionBBox(state.selection);
  const plan = currentPlan(state);

  return (
    <section className="panel" aria-labelledby="selection-heading">
      <h2 id="selection-heading">Selection</h2>
      <fieldset className="segmented" aria-label="Map tool">
        {tools.map(({ tool, label }) => (
          <button
            type="button"
            key={tool}
            data-testid={`tool-${tool}`}
            aria-pressed={state.tool === tool}
            onClick={() => state.setTool(tool)}
          >
            {label}
          </button>
        ))}
      </fieldset>
      {state.tool === "tiles" && (
        <label className="row">
          Grid zoom
          <input
            type="number"
            data-testid="grid-zoom"
            min={1}
            max={22}
            value={state.gridZoom}
            onChange={(e) => state.setGridZoom(Number(e.target.value))}
          />
        </label>
      )}
      <CopyLink />
      {bbox ? (
        <BBoxEditor bbox={bbox} onChange={state.setRectangle} />
      ) : (
        <p className="hint">Draw a rectangle or pick tiles on the map.</p>
      )}
      {plan && (
        <>
          <label className="row">
            {source.kind === "geotiff" ? "Crop level (0 = full resolution)" : "Crop zoom"}
            <input
              type="number"
              data-testid="crop-zoom"
              min={0}
              max={source.kind === "geotiff" ? source.info.levels.length - 1 : source.maxZoom}
              value={plan.zoom}
              onChange={(e) => state.setCropZoom(Number(e.target.value))}
            />
            <button type="button" onClick={() => state.setCropZoom(null)} disabled={state.cropZoom === null}>
              Auto
            </button>
          </label>
          {plan.result.valid ? (
            <dl className="facts" data-testid="selection-facts">
              <dt>Size</dt>
              <dd data-testid="selection-size">
                {plan.result.width} × {plan.result.height} px
              </dd>
              <dt>Ground</dt>
              <dd>
                {formatMetres(plan.result.groundWidthM)} × {formatMetres(plan.result.groundHeightM)}
              </dd>
              <dt>GSD</dt>
              <dd data-testid="selection-gsd">{formatGsd(plan.result.gsd)}</dd>
            </dl>
          ) : (
            <p className="error" role="alert" data-testid="selection-refused">
              {plan.result.reason}
            </p>
          )}
          <div className="row">
            {plan.result.valid && bbox && source.kind !== "geotiff" && <SnapButton bbox={bbox} zoom={plan.zoom} />}
            <button type="button" data-testid="clear-selection" onClick={state.clearSelection}>
              Clear selection
            </button>
          </div>
        </>
      )}
    </section>
  );
}

const edges: Array<keyof BBox> = ["west", "south", "east", "north"];

function BBoxEditor({ bbox, onChange }: { bbox: BBox; onChange(bbox: BBox): void }) {
  return (
    <fieldset className="bbox" data-testid="bbox-editor">
      <legend>Extent (degrees)</legend>
      {edges.map((edge) => (
        <label key={edge}>
          {edge}
          <input
            type="number"
            step="0.0001"
            data-testid={`bbox-${edge}`}
            value={Number(bbox[edge].toFixed(6))}
            onChange={(e) => {
              const value = Number(e.target.value);
              if (Number.isFinite(value)) onChange({ ...bbox, [edge]: value });
            }}
          />
        </label>
      ))}
    </fieldset>
  );
}

/** Resizes the selection about its centre so the model sees the crop's pixels unchanged. */
function SnapButton({ bbox, zoom }: { bbox: BBox; zoom: number }) {
  const budget = useModelStore((s) => s.budget);
  const plan = currentPlan(useAppStore.getState());
  const exact = plan?.result.valid === true && modelInputFor(plan.result.width, plan.result.height, budget).exact;
  const snap = () => {
    const store = useAppStore.getState();
    store.setRectangle(snapBBoxToModelSize(bbox, zoom, budget));
    store.setCropZoom(zoom);
  };
  return (
    <button
      type="button"
      data-testid="snap-to-model"
      disabled={exact}
      title="Resize the selection about its centre to sides that are multiples of 32 px inside the model's pixel budget, so the model sees the crop unchanged"
      onClick={snap}
    >
      {exact ? "Model size ✓" : "Snap to model size"}
    </button>
  );
}

/** Copies the link to this view and selection. */
function CopyLink() {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async () => {
    const link = currentLink();
    try {
      await navigator.clipboard.writeText(link);
      setCopied("Link copied.");
    } catch {
      setCopied(link);
    }
  };
  return (
    <div className="row">
      <button type="button" data-testid="copy-link" onClick={() => void copy()}>
        Copy link
      </button>
      {copied && (
        <output className="hint" data-testid="copy-link-status">
          {copied}
        </output>
      )}
    </div>
  );
}
