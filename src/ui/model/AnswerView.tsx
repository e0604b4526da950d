import { useEffect, useMemo } from "react";
import { drawBoxes, highlightBox, moveMapTo } from "../../app/map-actions";
import { pixelRectToBBox, pixelToLngLat } from "../../geo/georef";
import type { CroppedImage } from "../../imagery/types";
import { compareWithReference } from "../../inspect/reference";
import { useModelStore } from "../../state/model-store";
import { useAppStore } from "../../state/store";
import { type BoxConvention, type FoundBox, findBoxes } from "../../tasks/boxes";
import { matchClass } from "../../tasks/class-lists";
import { boxColour, boxesToGeoJson } from "../../tasks/geojson";
import type { ModelInput } from "../../tasks/model-input-size";
import type { TaskId } from "../../tasks/prompts";
import { highlightBoxes } from "../box-text";
import { downloadGeoJson, resultFileName } from "../download";
import { ReferenceControls } from "./ReferenceControls";

/** What an answer is read against: the crop it was asked about and the image the model saw. */
export interface AnswerFrame {
  crop: CroppedImage;
  input: ModelInput;
  model: string;
  /** The result's id, which its exports are named after. */
  resultId: string;
  task: TaskId;
  /** The classes a classification asked to choose from. */
  classes?: readonly string[];
}

/**
 * The answer as text, its boxes highlighted in the colours they have on the map, with warnings and export. Boxes are
 * mapped from the model's image back to the crop through the run's recorded input size.
 */
export function AnswerView({ answer, question, frame }: { answer: string; question: string; frame: AnswerFrame }) {
  const { crop, input, model, resultId, task } = frame;
  const { boxConvention, highlightedBox, set } = useModelStore();
  const boxes = useMemo(
    () => findBoxes(answer, { convention: boxConvention, input, cropWidth: crop.width, cropHeight: crop.height }),
    [answer, crop, input, boxConvention],
  );
  const drawnReference = useAppStore((s) => s.reference);
  const reference = useMemo(
    () => (drawnReference ? compareWithReference(drawnReference, crop.georef, boxes) : null),
    [drawnReference, crop, boxes],
  );
  const comparison = reference?.valid ? reference.comparison : null;
  const collection = useMemo(
    () => boxesToGeoJson(boxes, crop.georef, { question, answer, model }, comparison),
    [boxes, crop, question, answer, model, comparison],
  );

  useEffect(() => {
    const labels = boxes.flatMap((box) => {
      const value = comparison?.ious.get(box.index);
      if (!box.pixels || value === undefined) return [];
      const lngLat = pixelToLngLat(crop.georef, [box.pixels[0], box.pixels[1]]);
      return [{ lngLat, text: `IoU ${value.toFixed(2)}`, colour: boxColour(box.index) }];
    });
    drawBoxes(collection, labels);
  }, [collection, boxes, comparison, crop]);

  const zoomTo = (box: FoundBox) => {
    if (box.pixels) moveMapTo(pixelRectToBBox(crop.georef, box.pixels));
  };

  return (
    <div className="answer">
      <h3>Answer</h3>
      <pre data-testid="answer-text">
        {highlightBoxes(answer, boxes, {
          active: highlightedBox,
          onHover: highlightBox,
          onClick: zoomTo,
          ious: comparison?.ious,
          testIdPrefix: "box-",
        })}
      </pre>
      {frame.classes && <ClassVerdict answer={answer} classes={frame.classes} />}
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
      {boxes.some((b) => b.pixels) && <ReferenceControls reading={reference} />}
      {(task === "grounding" || boxes.length > 0) && (
        <div className="row answer-actions">
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
              onClick={() => downloadGeoJson(collection, resultFileName(resultId, "geojson"))}
            >
              Export GeoJSON
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** Whether a classification answer is one of the classes asked about, as the evaluation would score it. */
function ClassVerdict({ answer, classes }: { answer: string; classes: readonly string[] }) {
  const match = matchClass(answer, classes);
  if (match.status === "empty") return null;
  if (match.status === "class") {
    return (
      <p className="hint" data-testid="class-verdict" data-status="class">
        One of the classes: {match.name}.
      </p>
    );
  }
  const mentioned = match.mentioned.length > 0 ? ` It mentions ${match.mentioned.join(", ")}.` : "";
  return (
    <p className="warning" data-testid="class-verdict" data-status="not-a-class">
      Not one of the {classes.length} classes asked about, so the evaluation would score it wrong.{mentioned}
    </p>
  );
}
