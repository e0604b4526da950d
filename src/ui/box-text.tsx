import type { ReactNode } from "react";
import type { FoundBox } from "../tasks/boxes";
import { boxColour } from "../tasks/geojson";

/** How the boxes in a text act: hover links each to its drawn box; a click (if given) acts on it. */
export interface BoxTextOptions {
  active: number | null;
  onHover: (index: number | null) => void;
  onClick?: (box: FoundBox) => void;
  /** Each box's IoU against a reference, shown after its text. */
  ious?: ReadonlyMap<number, number>;
  /** Test ids are `${testIdPrefix}${index}`. */
  testIdPrefix: string;
}

/** Model text (as text, never HTML) with each box's span outlined in the colour it is drawn in. */
export function highlightBoxes(text: string, boxes: readonly FoundBox[], options: BoxTextOptions): ReactNode[] {
  const { active, onHover, onClick, ious, testIdPrefix } = options;
  const parts: ReactNode[] = [];
  let at = 0;
  for (const box of boxes) {
    parts.push(text.slice(at, box.start));
    parts.push(
      <button
        type="button"
        key={box.index}
        data-testid={`${testIdPrefix}${box.index}`}
        className={box.index === active ? "box active" : "box"}
        style={{ borderColor: boxColour(box.index) }}
        onMouseEnter={() => onHover(box.index)}
        onMouseLeave={() => onHover(null)}
        onClick={() => onClick?.(box)}
      >
        {text.slice(box.start, box.end)}
      </button>,
    );
    const value = ious?.get(box.index);
    if (value !== undefined) {
      parts.push(
        <span key={`iou-${box.index}`} className="iou" data-testid={`${testIdPrefix}iou-${box.index}`}>
          {" "}
          IoU {value.toFixed(2)}
        </span>,
      );
    }
    at = box.end;
  }
  parts.push(text.slice(at));
  return parts;
}
