import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import type { useModelStore } from "../src/state/model-store";
import type { useAppStore } from "../src/state/store";
import { cropExactly, loadModel } from "./support/model";

type Hooks = {
  __geozero: {
    store: typeof useAppStore;
    modelStore: typeof useModelStore;
    replayAnswer(question: string, pieces: string[], task?: string): Promise<void>;
    map(): {
      whenReady(): Promise<void>;
      map: { getSource(id: string): { serialize(): { data: GeoJSON.FeatureCollection } } | undefined };
    } | null;
  };
};

// The decoder's weights on the WASM load (q4), one byte flipped: a hash error with both SHA-256s shown.
const CORRUPT = "**/model-cache/geozero-tiny/onnx/decoder_model_merged_q4.onnx_data";

async function waitForMap(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as Hooks).__geozero?.map() != null);
  await page.evaluate(() => (window as unknown as Hooks).__geozero.map()?.whenReady());
}

function replay(page: Page, question: string, answer: string, task = "free"): Promise<void> {
  return page.evaluate(
    ([q, a, t]) => (window as unknown as Hooks).__geozero.replayAnswer(q, a.match(/[\s\S]{1,500}/g) ?? [], t),
    [question, answer, task] as const,
  );
}

/** The sidebar's scroll height, and every element in it that reaches past its right edge. */
function sidebarLayout(
  page: Page,
): Promise<{ height: number; scrollWidth: number; width: number; overflowing: string[] }> {
  return page.getByTestId("sidebar").evaluate((sidebar) => {
    const right = sidebar.getBoundingClientRect().left + sidebar.clientWidth;
    // An element past the edge, or text running out of its box where nothing clips it (ellipses clip on purpose).
    const overflows = (el: Element) =>
      el.getBoundingClientRect().right > right + 0.5 ||
      (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible");
    const overflowing = [...sidebar.querySelectorAll("*")]
      .filter((el) => el.getClientRects().length > 0 && overflows(el))
      .map((el) => `${el.tagName.toLowerCase()}[${el.getAttribute("data-testid") ?? el.className}]`);
    return { height: sidebar.scrollHeight, scrollWidth: sidebar.scrollWidth, width: sidebar.clientWidth, overflowing };
  });
}

test("after a long session the sidebar stays short and nothing runs past its edge", async ({ page, context }) => {
  await context.route(CORRUPT, async (route) => {
    const response = await route.fetch();
    const body = Buffer.from(await response.body());
    body[body.length >> 1] ^= 0xff;
    await route.fulfill({ response, body });
  });
  await page.goto("/");
  await waitForMap(page);
  await cropExactly(page);
  await replay(page, "What is here?", "<answer>Fields.</answer>");
  const start = await sidebarLayout(page);

  // A hash error: both SHA-256s (64 hex digits without a break) inside the sidebar.
  expect(await loadModel(page, "wasm")).toContain("is corrupt");
  await expect(page.getByTestId("failure-file-actual")).toHaveText(/^[0-9a-f]{64}$/);

  // A 10,000-character question: its echo folds, and unfolds on request.
  const longQuestion = `${"Describe every field, road and roof in detail. ".repeat(220).slice(0, 9_993)} please`;
  expect(longQuestion).toHaveLength(10_000);
  await page.getByTestId("question").fill(longQuestion);
  const sends = page.getByTestId("instruction");
  await expect(sends).toHaveAttribute("data-collapsed", "true");
  expect(((await sends.textContent()) ?? "").length).toBeLessThan(400);
  await page.getByTestId("instruction-toggle").click();
  await expect(sends).toHaveText(`Sends: ${longQuestion}`);
  await page.getByTestId("instruction-toggle").click();
  await expect(sends).toHaveAttribute("data-collapsed", "true");

  // Ten answers, long ones among them (one a run-on word), one to the long question.
  await replay(page, longQuestion, `<answer>${"The image shows farmland. ".repeat(400)}</answer>`);
  for (let i = 0; i < 8; i++)
    await replay(page, `Question ${i}: what is at the river?`, `<answer>${"word ".repeat(300 * i)}</answer>`);
  await replay(page, "Spell it", `<answer>${"x".repeat(3000)}</answer>`);
  await expect(page.getByTestId("history-item")).toHaveCount(11);
  // The beam-progress line of a run still going, its best text a long run-on.
  await page.evaluate(() =>
    (window as unknown as Hooks).__geozero.modelStore.getState().updateRun((run) => ({
      ...run,
      status: "running",
      beams: {
        status: "beams",
        step: 7,
        firstStepMs: 1200,
        stepsPerSecond: 2,
        bestText: "y".repeat(2000),
        bestLogProb: -1,
        finishedText: null,
        finishedScore: null,
      },
    })),
  );
  await expect(page.getByTestId("beam-progress")).toBeVisible();

  const end = await sidebarLayout(page);
  expect(end.overflowing).toEqual([]);
  expect(end.scrollWidth).toBeLessThanOrEqual(end.width);
  // Bounded: long answers and more entries add at most the history list's own capped height and the error.
  expect(end.height - start.height).toBeLessThan(1500);
  expect(end.height).toBeLessThan(4000);
  for (const row of await page.getByTestId("history-item").all()) {
    expect((await row.boundingBox())?.height ?? 0).toBeLessThan(140);
  }
  // The last history row's Delete button lies wholly inside the list.
  const list = await page.getByTestId("history-list").boundingBox();
  const remove = await page.getByTestId("history-delete").last().boundingBox();
  expect(remove && list && remove.x + remove.width <= list.x + list.width).toBe(true);

  // The full text of a history entry is a click away.
  const longEntry = page.getByTestId("history-item").filter({ hasText: "The image shows farmland" }).first();
  await longEntry.getByTestId("history-full").locator("summary").click();
  await expect(longEntry.getByTestId("history-full")).toContainText(longQuestion.slice(-200));

  // Max pixels shows all of 16777216.
  const maxPixels = page.getByTestId("max-pixels");
  await expect(maxPixels).toHaveValue("16777216");
  const fits = await maxPixels.evaluate((input: HTMLInputElement) => {
    const style = getComputedStyle(input);
    const context = document.createElement("canvas").getContext("2d");
    if (!context) return false;
    context.font = style.font;
    const room = input.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
    // Chromium's spin buttons take about 15 px of the content box.
    return context.measureText(input.value).width + 15 <= room;
  });
  expect(fits).toBe(true);
});

test("each answer is read for its task: classes matched, no box settings without boxes, named exports, boxes tied to their imagery", async ({
  page,
}) => {
  await page.goto("/");
  await waitForMap(page);
  await cropExactly(page);

  await page.getByTestId("task").selectOption("scene_cls");
  await page.getByTestId("class-list").selectOption("nasc-tg2");
  await replay(page, "[scene_cls] Classify…", "<answer>A lake with a beach</answer>", "scene_cls");
  await expect(page.getByTestId("class-verdict")).toHaveAttribute("data-status", "not-a-class");
  await expect(page.getByTestId("class-verdict")).toContainText("Not one of the 10 classes");
  await expect(page.getByTestId("class-verdict")).toContainText("It mentions beach.");
  await expect(page.getByTestId("box-convention")).toHaveCount(0);
  await replay(page, "[scene_cls] Classify…", "<answer>Beach.</answer>", "scene_cls");
  await expect(page.getByTestId("class-verdict")).toHaveText("One of the classes: beach.");

  await replay(page, "[caption] Describe the image in one sentence.", "<answer>Fields by a river.</answer>", "caption");
  await expect(page.getByTestId("box-convention")).toHaveCount(0);
  await expect(page.getByTestId("class-verdict")).toHaveCount(0);

  await replay(page, "Where are the roofs?", "<answer>[32, 64, 96, 128]</answer>", "grounding");
  await expect(page.getByTestId("box-convention")).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByTestId("export-geojson").click();
  const runId = await page.evaluate(() => (window as unknown as Hooks).__geozero.modelStore.getState().run?.id);
  const file = await download;
  expect(file.suggestedFilename()).toBe(`geozero-${runId}.geojson`);
  expect(JSON.parse(readFileSync(await file.path(), "utf8")).features).toHaveLength(1);

  const drawn = () =>
    page.evaluate(
      () =>
        (window as unknown as Hooks).__geozero.map()?.map.getSource("answer-boxes")?.serialize().data.features.length,
    );
  expect(await drawn()).toBe(1);
  await page.getByTestId("source-select").selectOption({ index: 1 });
  await expect.poll(drawn).toBe(0);
});
