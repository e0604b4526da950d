import { type ReactNode, useEffect, useMemo } from "react";
import { pixelRectToBBox } from "../../geo/georef";
import type { CroppedImage } from "../../imagery/types";
import { useModelStore } from "../../state/model-store";
import { type BoxConvention, type FoundBox, findBoxes } from "../../tasks/boxes";
import { boxColour, boxesToGeoJson } from "../../tasks/geojson";
import type { ModelInput } from "../../tasks/model-input-size";
import { downloadGeoJson } from "../download";
import { activeMapView } from "../MapPanel";

/** What an answer is read against: the crop it was asked about and the image the model saw. */
export interface AnswerFrame {
  crop: CroppedImage;
  input: ModelInput;
  model: string;
}

/**
 * The answer as text, its boxes highlighted in the colours they have on the map, with warnings and export. Boxes are
 * mapped from the model's image back to the crop through the run's recorded input size.
 */
export function AnswerView({ answer, question, frame }: { answer: string; question: string; frame: AnswerFrame }) {
  const { crop, input, model } = frame;
  const { boxConvention, highlightedBox, set } = useModelStore();
  const boxes = useMemo(
    () => findBoxes(answer, { convention: boxConvention, input, cropWidth: crop.width, cropHeight: crop.height }),
    [answer, crop, input, boxConvention],
  );
  const collection = useMemo(
    () => boxesToGeoJson(boxes, crop.georef, { question, answer, model }),
    [boxes, crop, question, answer, model],
  );

  useEffect(() => {
    void activeMapView()?.showBoxes(collection);
  }, [collection]);
  useEffect(() => {
    activeMapView()?.highlightBox(highlightedBox);
  }, [highlightedBox]);

  const zoomTo = (box: FoundBox) => {
    if (!box.pixels) return;
    activeMapView()?.fitBBox(pixelRectToBBox(crop.georef, box.pixels));
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
        {collection.features.length > 0 && (
          <button
            type="button"
            data-testid="export-geojson"
            onClick={() => downloadGeoJson(collection, "geozero-boxes.geojson")}
          >
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
