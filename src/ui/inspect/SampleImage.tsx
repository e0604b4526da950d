import { useEffect, useMemo, useState } from "react";
import type { Box } from "../../eval/metrics/grounding";
import { type DrawnPrediction, predictionsToDraw, type SampleGeometry } from "../../inspect/sample";
import { useInspectStore } from "../../inspect/store";
import { boxColour, REFERENCE_COLOUR } from "../../tasks/geojson";
import { ZoomPan } from "./ZoomPan";

/** One labelled rectangle of the overlay (a dashed one labelled below, so both labels show when boxes meet), drawn in image pixels with strokes and text of constant screen size. */
function Rect({
  box,
  colour,
  label,
  scale,
  dashed,
  active,
  testId,
}: {
  box: Box;
  colour: string;
  label: string;
  scale: number;
  dashed?: boolean;
  active?: boolean;
  testId: string;
}) {
  const [x1, y1, x2, y2] = box;
  const size = 12 / scale;
  return (
    <g data-testid={testId}>
      <rect
        x={x1}
        y={y1}
        width={x2 - x1}
        height={y2 - y1}
        fill={active ? colour : "none"}
        fillOpacity={0.2}
        stroke={colour}
        strokeWidth={active ? 3 : 2}
        strokeDasharray={dashed ? "6 4" : undefined}
        vectorEffect="non-scaling-stroke"
      />
      <text x={x1} y={dashed ? y2 + size : y1 - size * 0.3} fontSize={size} fill={colour} className="overlay-label">
        {label}
      </text>
    </g>
  );
}

/**
 * The sample's image with the reference box (white, dashed) and the answer's boxes (in their text colours, with their
 * IoU), zoomable and pannable. Without the image file the boxes are drawn on an empty frame of the recorded size.
 */
export function SampleImage({
  file,
  geometry,
  hovered,
  onHover,
}: {
  file: File | null;
  geometry: SampleGeometry;
  hovered: number | null;
  onHover: (index: number | null) => void;
}) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file) return setUrl(null);
    const next = URL.createObjectURL(file);
    setUrl(next);
    return () => URL.revokeObjectURL(next);
  }, [file]);
  const { width, height } = geometry.original;
  const predictions = useMemo(() => predictionsToDraw(geometry), [geometry]);
  const focus = useMemo(
    () => unionOf([...(geometry.reference ? [geometry.reference] : []), ...predictions.map((p) => p.pixels)]),
    [geometry, predictions],
  );
  const zoom = useInspectStore((s) => s.zoom);
  return (
    <ZoomPan
      width={width}
      height={height}
      focus={focus}
      mode={zoom}
      onMode={(mode) => useInspectStore.getState().set({ zoom: mode })}
    >
      {(scale) => (
        <>
          {url ? (
            <img src={url} width={width} height={height} alt="Sample" draggable={false} data-testid="sample-image" />
          ) : (
            <div className="no-image" style={{ width, height }} data-testid="sample-no-image" />
          )}
          <svg className="overlay" viewBox={`0 0 ${width} ${height}`} width={width} height={height} aria-hidden="true">
            {geometry.reference && (
              <Rect
                box={geometry.reference}
                colour={REFERENCE_COLOUR}
                label="reference"
                scale={scale}
                dashed
                testId="overlay-reference"
              />
            )}
            {predictions.map((box) => (
              <g key={box.index} onPointerEnter={() => onHover(box.index)} onPointerLeave={() => onHover(null)}>
                <Rect
                  box={box.pixels}
                  colour={boxColour(box.index)}
                  label={predictionLabel(box, geometry.reference !== null)}
                  scale={scale}
                  active={hovered === box.index}
                  testId={`overlay-box-${box.index}`}
                />
              </g>
            ))}
          </svg>
        </>
      )}
    </ZoomPan>
  );
}

/** The smallest box holding all of `boxes`, or null for none. */
function unionOf(boxes: Box[]): Box | null {
  if (boxes.length === 0) return null;
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3])),
  ];
}

/** The scored box with its IoU; any other box "not scored" (GeoZero's evaluation reads one box or none). */
function predictionLabel(box: DrawnPrediction, hasReference: boolean): string {
  if (box.iou !== null) return `prediction · IoU ${box.iou.toFixed(3)}`;
  return hasReference ? "prediction · not scored" : "prediction";
}
