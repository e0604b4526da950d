import { expect, type Page, test } from "@playwright/test";
import type { useAppStore } from "../src/state/store";
import { cropExactly, loadModel, selectExactly, startAsking } from "./support/model";

type Hooks = { __geozero: { store: typeof useAppStore } };

/** The current crop as the page holds it: size, georeference and the PNG's bytes (as a hex digest). */
function currentCrop(page: Page) {
  return page.evaluate(async () => {
    const last = (window as unknown as Hooks).__geozero.store.getState().lastImage;
    if (!last) return null;
    const digest = await crypto.subtle.digest("SHA-256", await last.image.png.arrayBuffer());
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return { width: last.image.width, height: last.image.height, georef: last.image.georef, png: hex };
  });
}

test("a reload keeps this tab's crop; a new tab starts without it", async ({ page, context }) => {
  await page.goto("/");
  await cropExactly(page, 320, 288);
  const caption = await page.getByTestId("crop-preview-caption").textContent();
  const before = await currentCrop(page);
  expect(before?.width).toBe(320);

  await page.reload();
  await expect(page.getByTestId("crop-preview-caption")).toHaveText(caption ?? "?");
  expect(await currentCrop(page)).toEqual(before);
  await expect(page.getByTestId("ask")).toBeVisible();

  const other = await context.newPage();
  await other.goto("/");
  await other.waitForFunction(() => (window as unknown as Hooks).__geozero != null);
  await other.waitForTimeout(1500);
  await expect(other.getByTestId("crop-preview")).toHaveCount(0);
});

test("leaving the page while an answer is being written asks first; once it has stopped, it does not", async ({
  page,
}) => {
  await page.goto("/");
  await cropExactly(page, 224, 224);
  expect(await loadModel(page, "wasm")).toContain("ready on wasm");
  await startAsking(page, { decoding: "greedy", maxNewTokens: 2000 });
  await expect(page.getByTestId("run-stats")).toHaveText(/^Generating/);

  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.type());
    void dialog.dismiss();
  });
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => dialogs).toEqual(["beforeunload"]);
  expect(page.isClosed()).toBe(false);
  await expect(page.getByTestId("run-stats")).toHaveText(/^Generating/);

  await page.getByTestId("stop").click();
  await expect(page.getByTestId("run-stopped")).toBeVisible();
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => page.isClosed()).toBe(true);
  expect(dialogs).toEqual(["beforeunload"]);
});

test("a new crop aborts the one still running, and the replaced preview's object URL is revoked", async ({
  page,
  context,
}) => {
  await page.goto("/");
  await cropExactly(page, 224, 224);
  const firstPreview = (await page.getByTestId("crop-preview-image").getAttribute("src")) ?? "";

  // The archive's reads are held from now on: the next crop waits on its tiles.
  const held: Array<() => void> = [];
  let holding = true;
  await context.route("**/sample/synthetic-sample.pmtiles", async (route) => {
    if (holding) await new Promise<void>((resolve) => held.push(resolve));
    await route.continue().catch(() => {});
  });
  await selectExactly(page, [10.01, 47.996], 256, 256);
  await page.getByTestId("crop-button").click();
  await expect(page.getByTestId("crop-progress")).toBeVisible();
  await expect.poll(() => held.length).toBeGreaterThan(0);

  // Another area, cropped while the first still waits: it replaces it.
  holding = false;
  await selectExactly(page, [9.993, 48.002], 320, 288);
  await page.getByTestId("crop-button").click();
  await expect(page.getByTestId("crop-preview-caption")).toContainText("320 × 288 px");
  // The first crop's reads now come back: aborted, it changes nothing.
  for (const release of held) release();
  await page.waitForTimeout(2000);
  expect((await currentCrop(page))?.width).toBe(320);
  await expect(page.getByTestId("crop-progress")).toHaveCount(0);
  await expect(page.getByTestId("crop-error")).toHaveCount(0);

  // The first preview's URL no longer resolves: its PNG is no longer held for it.
  const secondPreview = (await page.getByTestId("crop-preview-image").getAttribute("src")) ?? "";
  expect(secondPreview).not.toBe(firstPreview);
  const readable = (url: string) =>
    page.evaluate(
      (u) =>
        fetch(u).then(
          () => true,
          () => false,
        ),
      url,
    );
  expect(await readable(firstPreview)).toBe(false);
  expect(await readable(secondPreview)).toBe(true);
});
