import type { BBox } from "../geo/tiles";
import type { MapTool } from "../map/map-view";
import { currentPlan, currentSource, selectionBBox, useAppStore } from "../state/store";
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
      {bbox ? (
        <BBoxEditor bbox={bbox} onChange={state.setRectangle} />
      ) : (
        <p className="hint">Draw a rectangle or pick tiles on the map.</p>
      )}
      {plan && (
        <>
          <label className="row">
            Crop zoom
            <input
              type="number"
              data-testid="crop-zoom"
              min={0}
              max={source.maxZoom}
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
          <button type="button" data-testid="clear-selection" onClick={state.clearSelection}>
            Clear selection
          </button>
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
