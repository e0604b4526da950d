import { useEffect, useMemo, useState } from "react";
import { sampleGeoJsonFile, sampleImage, showSampleOnMap } from "../../app/inspect/exports";
import { setMark } from "../../app/inspect/workspace";
import { area } from "../../eval/metrics/grounding";
import { REVIEW_VERDICTS, type ReviewVerdict, type SampleRecord } from "../../eval/record-format";
import type { GeoReference } from "../../geo/georef";
import { formatThreshold, iouText, outcomeOf, PARSE_LABELS, toRow } from "../../inspect/rows";
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

/** Where the record's image stands: no folder open (none is kept across a reload), looked for, missing, or found. */
type ImageState =
  | { status: "no-folder" }
  | { status: "looking" }
  | { status: "missing"; folder: string }
  | { status: "found"; file: File; georef: GeoReference | null };

/** The record's image file and georeference from the opened folder. */
function useSampleImage(record: SampleRecord): ImageState {
  const folder = useInspectStore((s) => s.folder);
  const [image, setImage] = useState<ImageState>({ status: "looking" });
  useEffect(() => {
    if (!folder) return setImage({ status: "no-folder" });
    let current = true;
    setImage({ status: "looking" });
    void sampleImage(record, folder).then(
      (found) =>
        current && setImage(found ? { status: "found", ...found } : { status: "missing", folder: folder.name }),
    );
    return () => {
      current = false;
    };
  }, [record, folder]);
  return image;
}

/** Why the image is not shown, or null while it is (or is being looked for). */
function ImageNotice({ record, image }: { record: SampleRecord; image: ImageState }) {
  if (image.status === "no-folder") {
    return (
      <p className="hint" data-testid="image-missing" data-status="no-folder">
        No images folder is open (a folder is not kept across a reload): open it to see {record.image}; the boxes are
        drawn on an empty frame.
      </p>
    );
  }
  if (image.status !== "missing") return null;
  return (
    <p className="hint" data-testid="image-missing" data-status="missing">
      {record.image} is not in the opened folder {image.folder}/; the boxes are drawn on an empty frame.
    </p>
  );
}

/** The selected sample: image with boxes, the text with its boxes highlighted, the resize chain and the mark. */
export function SampleView() {
  const record = useInspectStore(selectedRecord);
  if (!record) return <p className="hint inspect-empty">Pick a sample in the list (or press j).</p>;
  return <SampleDetail key={record.id} record={record} />;
}

function SampleDetail({ record }: { record: SampleRecord }) {
  const threshold = useInspectStore((s) => s.threshold);
  const leftOut = useInspectStore((s) => s.problems.mismatch?.ids.has(record.id) ?? false);
  const image = useSampleImage(record);
  const [decoded, setDecoded] = useState<{ width: number; height: number } | null>(null);
  useEffect(() => {
    if (record.image_size || image.status !== "found") return;
    void createImageBitmap(image.file).then((b) => setDecoded({ width: b.width, height: b.height }));
  }, [record, image]);
  const found = image.status === "found" ? image : null;
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
          {iouText(row)} · {outcome} at {formatThreshold(threshold)}
          {row.bucket && ` · bucket ${row.bucket}`}
          {geometry?.reference && ` (reference ${area(geometry.reference)} px²)`}
          {row.parse !== "box" && ` · ${PARSE_LABELS[row.parse]}`}
        </p>
        {leftOut && (
          <p className="warning" data-testid="sample-left-out">
            This record was not made from the annotation file opened (its sample there asks something else, or it has
            none): it is left out of the summary.
          </p>
        )}
      </header>
      <div className="sample-body">
        <div className="sample-image">
          {geometry ? (
            <SampleImage file={found?.file ?? null} geometry={geometry} hovered={hovered} onHover={setHovered} />
          ) : (
            <p className="hint">Open the images folder to see this sample (its record holds no image size).</p>
          )}
          <ImageNotice record={record} image={image} />
          {found?.georef && geometry && (
            <div className="row">
              <button
                type="button"
                data-testid="sample-on-map"
                onClick={() => found.georef && showSampleOnMap(record, geometry, found.georef)}
              >
                Show on map
              </button>
              <button
                type="button"
                data-testid="sample-geojson"
                onClick={() => found.georef && downloadFile(sampleGeoJsonFile(record, geometry, found.georef))}
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
          {geometry && parseProblem(record.answer, geometry.boxes) && (
            <p className="error" data-testid="sample-parse-problem">
              {parseProblem(record.answer, geometry.boxes)}
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
