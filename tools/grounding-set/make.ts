/**
 * The project's own small grounding set, made from the synthetic sample scene: a few crops at zoom 17 (PNG + world
 * file, as the app exports crops), an annotation file in GeoZero's format with reference boxes of each size bucket
 * (roofs: S, groups of roofs: M, fields: L), and the records and summary of `npm run eval` over recorded answers —
 * hits, misses, a malformed box and an answer without one — written by the evaluation's own runner.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import type { Answerer } from "../../src/eval/answerer";
import { assumedModelImage, type Box, GEOZERO_BOX_READING } from "../../src/eval/metrics/grounding";
import { NO_SYNONYMS } from "../../src/eval/metrics/meteor";
import type { EvalSummary } from "../../src/eval/report";
import { runEvaluation } from "../../src/eval/run";
import { decodingFor } from "../../src/eval/tasks";
import { georefForWorldWindow, worldFile } from "../../src/geo/georef";
import { renderWindow, SAMPLE, sceneFrame } from "../sample-imagery/render";
import { roofsIn } from "../sample-imagery/scene";

const ZOOM = 17;

/** A crop of the scene: its window in scene metres from the north-west corner, and its size in pixels. */
interface Crop {
  name: string;
  east: number;
  south: number;
  width: number;
  height: number;
}

const CROPS: Crop[] = [
  { name: "village-centre.png", east: 1230, south: 1000, width: 448, height: 448 },
  { name: "village-edge.png", east: 1480, south: 1180, width: 512, height: 384 },
  { name: "fields-east.png", east: 1500, south: 300, width: 448, height: 416 },
];

/** What the recorded answer does with the reference: shift and scale it, say no box, or write three numbers. */
type Outcome =
  | { kind: "box"; dx: number; dy: number; grow: number }
  | { kind: "no-box"; text: string }
  | { kind: "malformed" };

interface Planned {
  crop: Crop;
  reference: Box;
  instruction: string;
  outcome: Outcome;
}

const round = (box: number[]): Box => box.map(Math.round) as Box;

function windowOf(crop: Crop) {
  const { originX, originY, metresPerPixel } = sceneFrame(ZOOM);
  return {
    left: Math.round(originX + crop.east / metresPerPixel),
    top: Math.round(originY + crop.south / metresPerPixel),
    width: crop.width,
    height: crop.height,
  };
}

/** Roofs inside a crop, in its pixels. */
function roofBoxes(crop: Crop): Box[] {
  const { originX, originY, metresPerPixel } = sceneFrame(ZOOM);
  const w = windowOf(crop);
  const toPixels = (x: number, y: number): [number, number] => [
    x / metresPerPixel - (w.left - originX),
    y / metresPerPixel - (w.top - originY),
  ];
  const area: Box = [
    (w.left - originX) * metresPerPixel,
    (w.top - originY) * metresPerPixel,
    (w.left - originX + w.width) * metresPerPixel,
    (w.top - originY + w.height) * metresPerPixel,
  ];
  return roofsIn(area, SAMPLE.seed).map(([x1, y1, x2, y2]) => round([...toPixels(x1, y1), ...toPixels(x2, y2)]));
}

function union(boxes: Box[]): Box {
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3])),
  ];
}

function plan(): Planned[] {
  const [centre, edge, fields] = CROPS;
  const roofs = roofBoxes(centre);
  const edgeRoofs = roofBoxes(edge);
  if (roofs.length < 3 || edgeRoofs.length < 8) throw new Error("The sample scene has fewer roofs than the set needs.");
  const box = (dx: number, dy: number, grow = 1): Outcome => ({ kind: "box", dx, dy, grow });
  return [
    { crop: centre, reference: roofs[0], instruction: "Locate the roof nearest the top.", outcome: box(1, 1) },
    { crop: centre, reference: roofs[1], instruction: "Where is the second roof?", outcome: box(30, 24) },
    {
      crop: centre,
      reference: roofs[2],
      instruction: "Find the small roof.",
      outcome: { kind: "no-box", text: "I cannot find a roof there." },
    },
    {
      crop: edge,
      reference: union(edgeRoofs.slice(0, 4)),
      instruction: "Box the group of houses.",
      outcome: box(60, 2),
    },
    {
      crop: edge,
      reference: union(edgeRoofs.slice(4, 8)),
      instruction: "Box the next houses.",
      outcome: { kind: "malformed" },
    },
    { crop: fields, reference: [100, 90, 330, 300], instruction: "Outline the large field.", outcome: box(8, 6) },
    {
      crop: fields,
      reference: [40, 60, 260, 250],
      instruction: "Outline the western field.",
      outcome: box(0, 0, 1.55),
    },
    { crop: edge, reference: [20, 20, 300, 260], instruction: "Box the village quarter.", outcome: box(-30, 25) },
  ];
}

/** The model's answer for a planned sample: its box in the pixels of the image GeoZero's reading assumes (factor 28). */
function recordedAnswer({ crop, reference, outcome, instruction }: Planned): string {
  const think = `The question asks: ${instruction} I look for the object in the scene.`;
  if (outcome.kind === "no-box") return `${think}\n<answer>${outcome.text}</answer>`;
  const assumed = assumedModelImage(crop.width, crop.height, GEOZERO_BOX_READING.factor);
  const sx = assumed.width / crop.width;
  const sy = assumed.height / crop.height;
  const toModel = (b: number[]) => round([b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy]);
  if (outcome.kind === "malformed") {
    const [x1, y1, x2] = toModel(reference);
    return `${think}\n<answer>[${x1}, ${y1}, ${x2}]</answer>`;
  }
  const [x1, y1, x2, y2] = reference;
  const cx = (x1 + x2) / 2 + outcome.dx;
  const cy = (y1 + y2) / 2 + outcome.dy;
  const hw = ((x2 - x1) / 2) * outcome.grow;
  const hh = ((y2 - y1) / 2) * outcome.grow;
  const model = toModel([cx - hw, cy - hh, cx + hw, cy + hh]);
  return `${think}\n<answer>{"bbox_2d": [${model.join(", ")}], "label": "target"}</answer>`;
}

/** An answerer that replays the recorded answers, by instruction. */
function recordedAnswerer(planned: Planned[]): Answerer {
  const answers = new Map(planned.map((p) => [p.instruction, recordedAnswer(p)]));
  return {
    info: { model: "recorded-answers", dtype: "none", device: "none" },
    answer: async (request) => {
      const text = answers.get(request.instruction) ?? "";
      return { text, tokens: text.split(/\s+/).length };
    },
    dispose: async () => {},
  };
}

/** Writes the set into `dir` (replacing it) and returns the evaluation summary of the recorded answers. */
export async function makeGroundingSet(dir: string): Promise<EvalSummary> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "images"), { recursive: true });
  for (const crop of CROPS) {
    const w = windowOf(crop);
    const pixels = renderWindow(w.left, w.top, w.width, w.height, ZOOM);
    await sharp(pixels, { raw: { width: w.width, height: w.height, channels: 3 } })
      .png()
      .toFile(join(dir, "images", crop.name));
    const pgw = crop.name.replace(/\.png$/, ".pgw");
    writeFileSync(join(dir, "images", pgw), worldFile(georefForWorldWindow(w, ZOOM)));
  }
  const planned = plan();
  const annotations = planned.map((p) => ({
    images: [p.crop.name],
    conversations: [
      { from: "human", value: `<image>${p.instruction}` },
      { from: "gpt", value: `[${p.reference.join(", ")}]` },
    ],
  }));
  const data = join(dir, "annotations.json");
  writeFileSync(data, `${JSON.stringify(annotations, null, 2)}\n`);
  return runEvaluation({
    task: "grounding",
    dataFile: data,
    imagesDir: join(dir, "images"),
    useSystemPrompt: true,
    out: join(dir, "results.json"),
    seed: 42,
    decoding: decodingFor("grounding"),
    boxReading: GEOZERO_BOX_READING,
    meteorSynonyms: NO_SYNONYMS,
    answerer: recordedAnswerer(planned),
    imageSize: async (path) => {
      const { width = 0, height = 0 } = await sharp(path).metadata();
      return { width, height };
    },
  });
}
