import { useEffect, useMemo, useState } from "react";
import { sampleGeoJsonFile, sampleImage, showSampleOnMap } from "../../app/inspect/exports";
import { setMark } from "../../app/inspect/workspace";
import { area } from "../../eval/metrics/grounding";
import { REVIEW_VERDICTS, type ReviewVerdict, type SampleRecord } from "../../eval/record-format";
import type { GeoReference } from "../../geo/georef";
import { outcomeOf, PARSE_LABELS, toRow } from "../../inspect/rows";
import { parseProblem, type SampleGeometry, sampleGeometry, thinkOf } from "../../inspect/sample";
import { selectedRecord, useInspectStore } from "../../inspect/store";
import { highlightBoxes } from "../box-text";
import { downloadFile } from "../download";
import { SampleImage } from "./SampleImage";

const VERDICT_LABELS: Record<ReviewVerdict, string> = {
  correct: "correct",
  "wrong-reference": "wrong reference",
  ambiguous: "ambiguous",
};

/** The record's image file and georeference from the opened folder, and its decoded size. */
function useSampleImage(record: SampleRecord) {
  const folder = useInspectStore((s) => s.folder);
  const [image, setImage] = useState<{ file: File; georef: GeoReference | null } | null>(null);
  useEffect(() => {
    let current = true;
    setImage(null);
    void sampleImage(record, folder).then((found) => current && setImage(found));
    return () => {
      current = false;
    };
  }, [record, folder]);
  return image;
}

/** The selected sample: image with boxes, the text with its boxes highlighted, the resize chain and the mark. */
export function SampleView() {
  const record = useInspectStore(selectedRecord);
  if (!record) return <p className="hint inspect-empty">Pick a sample in the list (or press j).</p>;
  return <SampleDetail key={record.id} record={record} />;
}

function SampleDetail({ record }: { record: SampleRecord }) {
  const threshold = useInspectStore((s) => s.threshold);
  const image = useSampleImage(record);
  const [decoded, setDecoded] = useState<{ width: number; height: number } | null>(null);
  useEffect(() => {
    if (record.image_size || !image) return;
    void createImageBitmap(image.file).then((b) => setDecoded({ width: b.width, height: b.height }));
  }, [record, image]);
  const geometry = useMemo(() => sampleGeometry(record, decoded), [record, decoded]);
  const [hovered, setHovered] = useState<number | null>(null);
  const row = toRow(record);
  const outcome = outcomeOf(row, threshold);
  return (
    <article className="sample" data-testid="sample-view" data-id={record.id}>
      <header className="sample-head">
        <h2 data-testid="sample-title">
          #{record.index} · {record.image}
        </h2>
        <p data-testid="sample-outcome" className={`outcome ${outcome}`}>
          {row.iou === null ? "no IoU" : `IoU ${row.iou.toFixed(3)}`} · {outcome} at {threshold.toFixed(2)}
          {row.bucket && ` · bucket ${row.bucket}`}
          {geometry?.reference && ` (reference ${area(geometry.reference)} px²)`}
          {row.parse !== "box" && ` · ${PARSE_LABELS[row.parse]}`}
        </p>
      </header>
      <div className="sample-body">
        <div className="sample-image">
          {geometry ? (
            <SampleImage file={image?.file ?? null} geometry={geometry} hovered={hovered} onHover={setHovered} />
          ) : (
            <p className="hint">Open the images folder to see this sample (its record holds no image size).</p>
          )}
          {!image && (
            <p className="hint" data-testid="image-missing">
              {record.image} is not in the opened images folder; the boxes are drawn on an empty frame.
            </p>
          )}
          {image?.georef && geometry && (
            <div className="row">
              <button
                type="button"
                data-testid="sample-on-map"
                onClick={() => image.georef && showSampleOnMap(record, geometry, image.georef)}
              >
                Show on map
              </button>
              <button
                type="button"
                data-testid="sample-geojson"
                onClick={() => image.georef && downloadFile(sampleGeoJsonFile(record, geometry, image.georef))}
              >
                Export GeoJSON
              </button>
            </div>
          )}
        </div>
        <div className="sample-text">
          {geometry && <ResizeChain geometry={geometry} />}
          <h3>Instruction</h3>
          <p data-testid="sample-instruction">{record.instruction ?? "(not recorded; open the annotation file)"}</p>
          <details open className="think">
            <summary>Reasoning</summary>
            <pre data-testid="sample-think">{thinkOf(record)}</pre>
          </details>
          <h3>Answer</h3>
          <pre data-testid="sample-answer">
            {geometry
              ? highlightBoxes(record.answer, geometry.boxes, {
                  active: hovered,
                  onHover: setHovered,
                  ious: geometry.ious,
                  testIdPrefix: "answer-box-",
                })
              : record.answer}
          </pre>
          {geometry && parseProblem(geometry.written) && (
            <p className="error" data-testid="sample-parse-problem">
              {parseProblem(geometry.written)}
            </p>
          )}
          <p className="hint">
            Reference:{" "}
            <code data-testid="sample-reference">{Array.isArray(record.label) ? record.label[0] : record.label}</code>
          </p>
          <ReviewForm id={record.id} />
        </div>
      </div>
    </article>
  );
}

/** Original size → what the model saw; the box as written → as read back with the record's factor. */
function ResizeChain({ geometry }: { geometry: SampleGeometry }) {
  const { original, modelSaw, assumed, reading, written, predicted } = geometry;
  const asRead =
    reading.convention === "pixels"
      ? `pixels of a ${assumed.width} × ${assumed.height} image (smart_resize at factor ${reading.factor}${reading.factor === 28 ? ", GeoZero's" : ""})`
      : "thousandths of the image (0–1000)";
  return (
    <dl className="facts resize-chain" data-testid="resize-chain">
      <dt>Image</dt>
      <dd>
        {original.width} × {original.height} px → the model saw {modelSaw.width} × {modelSaw.height} px
      </dd>
      <dt>Box as written</dt>
      <dd data-testid="box-written">
        {written.status === "box"
          ? `[${written.box.join(", ")}]`
          : written.status === "malformed"
            ? `[${written.numbers.join(", ")}] (malformed)`
            : "none"}
      </dd>
      <dt>Read as</dt>
      <dd>
        {asRead}
        {geometry.readingRecorded ? "" : " — not recorded, GeoZero's default assumed"}
      </dd>
      <dt>Rescaled</dt>
      <dd data-testid="box-rescaled">{predicted ? `[${predicted.join(", ")}] px of the original` : "—"}</dd>
    </dl>
  );
}

/** The reviewer's verdict and note, kept as they change. */
function ReviewForm({ id }: { id: string }) {
  const mark = useInspectStore((s) => s.marks.get(id));
  const [note, setNote] = useState(mark?.note ?? "");
  const verdict = mark?.verdict ?? null;
  const save = (next: { verdict: ReviewVerdict | null; note: string }) =>
    void setMark(id, next.verdict === null && next.note === "" ? null : next);
  return (
    <fieldset className="review" data-testid="review">
      <legend>Review</legend>
      <div className="segmented">
        {REVIEW_VERDICTS.map((v, i) => (
          <button
            key={v}
            type="button"
            aria-pressed={verdict === v}
            data-testid={`mark-${v}`}
            onClick={() => save({ verdict: verdict === v ? null : v, note })}
          >
            {i + 1} {VERDICT_LABELS[v]}
          </button>
        ))}
      </div>
      <textarea
        data-testid="mark-note"
        placeholder="Note (kept and exported with the record)"
        value={note}
        onChange={(e) => setNote(e.target.value)}
        onBlur={() => note !== (mark?.note ?? "") && save({ verdict, note })}
      />
    </fieldset>
  );
}
