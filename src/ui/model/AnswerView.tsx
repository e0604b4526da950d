import { type ReactNode, useEffect, useMemo } from "react";
import { pixelToLngLat } from "../../geo/georef";
import { useModelStore } from "../../state/model-store";
import { useAppStore } from "../../state/store";
import { type BoxConvention, type FoundBox, findBoxes } from "../../tasks/boxes";
import { boxColour, boxesToGeoJson } from "../../tasks/geojson";
import { modelInputFor } from "../../tasks/model-input-size";
import { activeMapView } from "../MapPanel";

/** The answer as text, its boxes highlighted in the colours they have on the map, with warnings and export. */
export function AnswerView({ answer, question }: { answer: string; question: string }) {
  const crop = useAppStore((s) => s.lastImage);
  const { budget, boxConvention, highlightedBox, set, load } = useModelStore();
  const boxes = useMemo(() => {
    if (!crop) return [];
    const { width, height } = crop.image;
    return findBoxes(answer, {
      convention: boxConvention,
      input: modelInputFor(width, height, budget),
      cropWidth: width,
      cropHeight: height,
    });
  }, [answer, crop, budget, boxConvention]);
  const modelName = load.status === "ready" ? `${load.modelId} (${load.dtype})` : "";
  const collection = useMemo(
    () => (crop ? boxesToGeoJson(boxes, crop.image.georef, { question, answer, model: modelName }) : null),
    [boxes, crop, question, answer, modelName],
  );

  useEffect(() => {
    if (collection) void activeMapView()?.showBoxes(collection);
  }, [collection]);
  useEffect(() => {
    activeMapView()?.highlightBox(highlightedBox);
  }, [highlightedBox]);

  const zoomTo = (box: FoundBox) => {
    if (!crop || !box.pixels) return;
    const [x1, y1, x2, y2] = box.pixels;
    const [west, north] = pixelToLngLat(crop.image.georef, [x1, y1]);
    const [east, south] = pixelToLngLat(crop.image.georef, [x2, y2]);
    activeMapView()?.fitBBox({ west, south, east, north });
  };

  return (
    <div className="answer">
      <h3>Answer</h3>
      <pre data-testid="answer-text">
        {highlighted(answer, boxes, highlightedBox, (index) => set({ highlightedBox: index }), zoomTo)}
      </pre>
      {boxes.some((b) => b.warning) && (
        <ul className="warnings" data-testid="box-warnings">
          {boxes
            .filter((b) => b.warning)
            .map((b) => (
              <li key={b.index}>
                Box {b.index + 1} {b.status}: {b.warning}
              </li>
            ))}
        </ul>
      )}
      <div className="row">
        <label className="row">
          Boxes in
          <select
            data-testid="box-convention"
            value={boxConvention}
            onChange={(e) => set({ boxConvention: e.target.value as BoxConvention })}
          >
            <option value="pixels">pixels of the model's image (GeoZero)</option>
            <option value="relative-1000">0–1000 relative (Qwen3-VL)</option>
          </select>
        </label>
        {collection && collection.features.length > 0 && (
          <button type="button" data-testid="export-geojson" onClick={() => download(collection)}>
            Export GeoJSON
          </button>
        )}
      </div>
    </div>
  );
}

function highlighted(
  text: string,
  boxes: FoundBox[],
  active: number | null,
  onHover: (index: number | null) => void,
  onClick: (box: FoundBox) => void,
): ReactNode[] {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const box of boxes) {
    parts.push(text.slice(at, box.start));
    parts.push(
      <button
        type="button"
        key={box.index}
        data-testid={`box-${box.index}`}
        className={box.index === active ? "box active" : "box"}
        style={{ borderColor: boxColour(box.index) }}
        onMouseEnter={() => onHover(box.index)}
        onMouseLeave={() => onHover(null)}
        onClick={() => onClick(box)}
      >
        {text.slice(box.start, box.end)}
      </button>,
    );
    at = box.end;
  }
  parts.push(text.slice(at));
  return parts;
}

function download(collection: GeoJSON.FeatureCollection): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(collection, null, 2)], { type: "application/geo+json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = "geozero-boxes.geojson";
  link.click();
  URL.revokeObjectURL(url);
}
