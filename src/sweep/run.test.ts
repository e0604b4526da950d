import { describe, expect, it } from "vitest";
import { worldPixelToLngLat } from "../geo/mercator";
import { TASK_DECODING } from "../tasks/prompts";
import { type Chip, planChips, planSweep, type SweepPlan } from "./plan";
import { type ChipRecord, chipSeed, type SweepHeader, type SweepRequest, sweepHeader } from "./records";
import {
  classificationGrid,
  classLegend,
  combineRecords,
  countsCsv,
  mergeRecords,
  readRecords,
  recordsJsonl,
} from "./results";
import { type ChipAnswer, type SweepEvent, type SweepWork, sweepChips } from "./run";

/** A plan of 3 × 1 chips of 64 px with 16 px overlap at zoom 17. */
function smallPlan(): SweepPlan {
  const [west, north] = worldPixelToLngLat([1000, 2000], 17);
  const [east, south] = worldPixelToLngLat([1000 + 160, 2000 + 64], 17);
  const result = planSweep(
    { kind: "tiles", tileSize: 256, maxZoom: 19 },
    { west, south, east, north },
    { resolution: 17, chipSize: 64, overlap: 0.25 },
  );
  if (!result.valid) throw new Error(result.reason);
  return result.plan;
}

function request(overrides: Partial<SweepRequest> = {}): SweepRequest {
  return {
    task: "grounding",
    instruction: "[grounding] Detect every roof in the image. Output the bounding box of each as [x1, y1, x2, y2].",
    useSystemPrompt: true,
    decoding: TASK_DECODING.grounding,
    budget: { minPixels: 4096, maxPixels: 16384 * 1024 },
    boxConvention: "pixels",
    defaultLabel: "roof",
    seed: 7,
    ...overrides,
  };
}

function header(plan: SweepPlan, overrides: Partial<SweepRequest> = {}, model = "tiny (q4)"): SweepHeader {
  return sweepHeader({
    source: { id: "sample", name: "Sample" },
    bbox: { west: 0, south: 0, east: 1, north: 1 },
    plan,
    imagery: null,
    request: request(overrides),
    model,
  });
}

/** A fake sweep's work: crops name the chip, answers come from `answers` by chip, records are collected. */
function fakeWork(answers: (chip: Chip) => string, log: string[], kept: ChipRecord[]): SweepWork<string> {
  return {
    crop: async (chip) => {
      log.push(`crop ${chip.index}`);
      await Promise.resolve();
      if (chip.index === 1 && answers(chip) === "FAIL CROP") throw new Error("the tile server answered HTTP 500");
      return { image: `image ${chip.index}`, rect: chip.rect };
    },
    answer: async (image, chip, seed) => {
      log.push(`answer ${image} seed ${seed}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.push(`answered ${chip.index}`);
      return { text: answers(chip), tokens: 3, inputWidth: 64, inputHeight: 64 } satisfies ChipAnswer;
    },
    keep: async (record) => {
      kept.push(record);
    },
  };
}

const never = new AbortController().signal;

describe("sweepChips", () => {
  it("crops the next chip while the model answers, and keeps each chip's boxes in chip and grid pixels", async () => {
    const plan = smallPlan();
    const chips = planChips(plan);
    expect(chips.map((c) => c.rect[0] - plan.origin[0])).toEqual([0, 48, 96]);
    const log: string[] = [];
    const kept: ChipRecord[] = [];
    const h = header(plan);
    const end = await sweepChips(
      h,
      chips,
      fakeWork(() => "Roofs. <answer>[10, 20, 30, 40]</answer>", log, kept),
      { onEvent: () => {} },
      never,
    );
    expect(end).toEqual({ status: "finished" });
    // Chip 1's crop starts before chip 0's answer ends.
    expect(log.indexOf("crop 1")).toBeLessThan(log.indexOf("answered 0"));
    expect(log).toContain(`answer image 2 seed ${chipSeed(7, 2)}`);
    expect(kept.map((r) => [r.chip, r.status])).toEqual([
      [0, "done"],
      [1, "done"],
      [2, "done"],
    ]);
    const [left, top] = chips[1].rect;
    expect(kept[1]).toMatchObject({
      sweep: h.id,
      answer: "[10, 20, 30, 40]",
      think: "Roofs.",
      boxes: [{ label: "roof", pixels: [10, 20, 30, 40], grid: [left + 10, top + 20, left + 30, top + 40] }],
      model: "tiny (q4)",
      prompt: h.request.instruction,
      seed: chipSeed(7, 1),
      input: { width: 64, height: 64 },
    });
    expect(kept[1].timing.modelMs).toBeGreaterThan(0);
  });

  it("keeps a chip whose crop failed as failed, with the reason, and goes on", async () => {
    const plan = smallPlan();
    const kept: ChipRecord[] = [];
    const answers = (chip: Chip) => (chip.index === 1 ? "FAIL CROP" : "<answer>none</answer>");
    const end = await sweepChips(
      header(plan),
      planChips(plan),
      fakeWork(answers, [], kept),
      { onEvent: () => {} },
      never,
    );
    expect(end.status).toBe("finished");
    expect(kept.map((r) => r.status)).toEqual(["done", "failed", "done"]);
    expect(kept[1].error).toBe("the tile server answered HTTP 500");
  });

  it("ends on a model failure or a record that cannot be kept, leaving that chip to do again; stops when aborted", async () => {
    const plan = smallPlan();
    const chips = planChips(plan);
    const kept: ChipRecord[] = [];
    const work = fakeWork(() => "<answer>x</answer>", [], kept);
    const failing = { ...work, answer: async () => Promise.reject(new Error("device lost")) };
    expect(await sweepChips(header(plan), chips, failing, { onEvent: () => {} }, never)).toMatchObject({
      status: "model-failed",
      chip: 0,
    });
    expect(kept).toEqual([]);
    const full = { ...work, keep: async () => Promise.reject(new DOMException("quota", "QuotaExceededError")) };
    expect(await sweepChips(header(plan), chips, full, { onEvent: () => {} }, never)).toMatchObject({
      status: "not-kept",
      chip: 0,
    });
    const controller = new AbortController();
    const events: string[] = [];
    const onEvent = (e: SweepEvent) => {
      events.push(e.status);
      if (e.status === "chip-done") controller.abort();
    };
    const end = await sweepChips(header(plan), chips, work, { onEvent }, controller.signal);
    expect(end).toEqual({ status: "aborted" });
    expect(events).toEqual(["chip-started", "chip-done"]);
    // Pausing lets the chip in hand finish and keeps it.
    const pause = new AbortController();
    const paused: ChipRecord[] = [];
    const pausing = { ...fakeWork(() => "<answer>x</answer>", [], paused) };
    const answer = pausing.answer;
    pausing.answer = async (...args) => {
      pause.abort();
      return answer(...args);
    };
    expect(await sweepChips(header(plan), chips, pausing, { onEvent: () => {}, pause: pause.signal }, never)).toEqual({
      status: "paused",
    });
    expect(paused.map((r) => r.chip)).toEqual([0]);
  });

  it("reads a classification's class, and names none when the answer is no class", async () => {
    const plan = smallPlan();
    const kept: ChipRecord[] = [];
    const classes = ["Farmland", "Forest", "River"];
    const answers = (chip: Chip) =>
      ["<answer>Forest</answer>", "<answer>forest</answer>", "<answer>a lake</answer>"][chip.index];
    await sweepChips(
      header(plan, { task: "scene_cls", classes }),
      planChips(plan),
      fakeWork(answers, [], kept),
      { onEvent: () => {} },
      never,
    );
    expect(kept.map((r) => r.class)).toEqual(["Forest", "Forest", null]);
    expect(classLegend(kept)).toEqual([
      { label: "Forest", colour: "#ffb000", chips: 2 },
      { label: "none of the classes", colour: "#9e9e9e", chips: 1 },
    ]);
    const grid = classificationGrid(header(plan, { task: "scene_cls", classes }), kept);
    expect(grid.features.map((f) => [f.properties?.name, f.properties?.class, f.properties?.colour])).toEqual([
      ["r0c0", "Forest", "#ffb000"],
      ["r0c1", "Forest", "#ffb000"],
      ["r0c2", null, "#9e9e9e"],
    ]);
  });
});

describe("records and results", () => {
  it("merge an object split across two chips into one GeoJSON polygon with its chips and answers, and count it", async () => {
    const plan = smallPlan();
    const chips = planChips(plan);
    const kept: ChipRecord[] = [];
    // A roof over grid pixels [origin + 40, origin + 70] crosses chip 0's right edge (64) and lies in chip 1 (48–112).
    const answers = (chip: Chip) => {
      const left = chip.rect[0] - plan.origin[0];
      const x1 = Math.max(40, left) - left;
      const x2 = Math.min(70, left + 64) - left;
      return x2 > x1 ? `<answer>[${x1}, 10, ${x2}, 30]</answer>` : "<answer>no roof</answer>";
    };
    const h = header(plan);
    await sweepChips(h, chips, fakeWork(answers, [], kept), { onEvent: () => {} }, never);
    expect(kept.map((r) => r.answer)).toEqual(["[40, 10, 64, 30]", "[0, 10, 22, 30]", "no roof"]);
    const { merged, geojson } = mergeRecords(h, new Map(kept.map((r) => [r.chip, r])), {
      method: "nms",
      iouThreshold: 0.5,
    });
    expect(merged.map((m) => m.box)).toEqual([
      [plan.origin[0] + 40, plan.origin[1] + 10, plan.origin[0] + 70, plan.origin[1] + 30],
    ]);
    expect(geojson.features).toHaveLength(1);
    expect(geojson.features[0].properties).toMatchObject({
      label: "roof",
      parts: 2,
      chips: [
        { chip: 0, name: "r0c0", answer: "[40, 10, 64, 30]" },
        { chip: 1, name: "r0c1", answer: "[0, 10, 22, 30]" },
      ],
    });
    const [west, north] = worldPixelToLngLat([plan.origin[0] + 40, plan.origin[1] + 10], 17);
    expect(geojson.features[0].geometry.coordinates[0][3][0]).toBeCloseTo(west, 10);
    expect(geojson.features[0].geometry.coordinates[0][3][1]).toBeCloseTo(north, 10);
    expect(countsCsv(merged)).toBe("label,count\nroof,1\n");
  });

  it("round-trip as JSONL and are combined across shards, refusing records of another plan by naming both", async () => {
    const plan = smallPlan();
    const kept: ChipRecord[] = [];
    const h = header(plan);
    await sweepChips(
      h,
      planChips(plan),
      fakeWork(() => "<answer>[1, 1, 5, 5]</answer>", [], kept),
      { onEvent: () => {} },
      never,
    );
    const shardA = recordsJsonl(h, kept.slice(0, 2));
    const shardB = recordsJsonl(h, kept.slice(2));
    const read = (text: string, name: string) => ({ name, reading: readRecords(text, name) });
    const combined = combineRecords([read(shardA, "a.jsonl"), read(shardB, "b.jsonl")]);
    if (!combined.valid) throw new Error(combined.reason);
    expect([...combined.records.keys()].sort()).toEqual([0, 1, 2]);
    expect(recordsJsonl(combined.header, combined.records.values())).toBe(recordsJsonl(h, kept));
    const other = header(plan, {}, "another model (q4)");
    expect(other.id).not.toBe(h.id);
    const refused = combineRecords([read(shardA, "a.jsonl"), read(recordsJsonl(other, []), "c.jsonl")]);
    expect(refused).toMatchObject({ valid: false });
    expect(refused.valid ? "" : refused.reason).toMatch(
      /a\.jsonl and c\.jsonl are records of different sweeps \(.*tiny \(q4\); .*another model \(q4\)\)/,
    );
    expect(readRecords('{"kind":"chip"}\n', "x.jsonl")).toMatchObject({
      valid: false,
      reason: expect.stringContaining("line 1"),
    });
    expect(readRecords(`${JSON.stringify(h)}\nnot json\n`, "y.jsonl")).toMatchObject({
      valid: false,
      reason: expect.stringContaining("y.jsonl, line 2: not JSON"),
    });
  });

  it("give a plan the same id however it was built, and another id when anything that decides answers differs", () => {
    const plan = smallPlan();
    const reordered = JSON.parse(
      JSON.stringify({
        ...plan,
        settings: {
          overlap: plan.settings.overlap,
          chipSize: plan.settings.chipSize,
          resolution: plan.settings.resolution,
        },
      }),
    );
    expect(header(reordered).id).toBe(header(plan).id);
    expect(header(plan, { seed: 8 }).id).not.toBe(header(plan).id);
    expect(header(plan).id).toMatch(/^[0-9a-f]{16}$/);
  });
});
