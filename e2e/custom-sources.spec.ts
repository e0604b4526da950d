import { expect, type Page, test } from "@playwright/test";
import { startTileServer, type TileServer } from "./support/tile-server";

let tiles: TileServer;
test.beforeAll(async () => {
  tiles = await startTileServer();
});
test.afterAll(async () => {
  await tiles.close();
});

async function addTemplate(page: Page, template: string): Promise<void> {
  await page.getByTestId("custom-url").fill(template);
  await page.getByTestId("custom-add").click();
}

const optionTexts = (page: Page) =>
  page
    .getByTestId("source-select")
    .locator("option")
    .evaluateAll((options) => options.map((o) => o.textContent ?? ""));

test("custom sources: each labelled by its template, none listed twice, and one that shows nothing says why, naming it and the fix", async ({
  page,
}) => {
  await page.goto("/");
  const host = new URL(tiles.url).host;

  // A server that answers 404 to every tile: a message soon after the map asks, not a blank map.
  await addTemplate(page, `${tiles.url}/none/{z}/{x}/{y}.png`);
  const error = page.getByTestId("source-error");
  await expect(error).toHaveText(
    new RegExp(
      `^Custom tiles \\(${host}/none/\\{z\\}/\\{x\\}/\\{y\\}\\.png\\) shows nothing: its server answered 404 \\(no tile\\) to all \\d+ tiles .*order of \\{z\\}, \\{x\\} and \\{y\\}`,
    ),
    { timeout: 15_000 },
  );
  expect(tiles.requests.some((r) => r.startsWith("/none/"))).toBe(true);

  // A server without CORS: a sentence naming the source and the fix, not MapLibre's AJAXError.
  await addTemplate(page, `${tiles.url}/nocors/{z}/{x}/{y}.png`);
  await expect(error).toHaveText(
    new RegExp(`^Custom tiles \\(${host}/nocors/.*\\) cannot be shown: .*no CORS header.*npm run pack-area`),
    { timeout: 15_000 },
  );
  await expect(error).not.toContainText("AJAXError");

  // A working one: no message.
  await addTemplate(page, `${tiles.url}/cors/{z}/{x}/{y}.png`);
  await expect.poll(() => tiles.requests.filter((r) => r.startsWith("/cors/")).length).toBeGreaterThan(0);
  await expect(error).toHaveCount(0);

  // Three entries, three labels; the broken ones marked in the list.
  const custom = (await optionTexts(page)).filter((t) => t.startsWith("Custom tiles"));
  expect(custom).toHaveLength(3);
  expect(new Set(custom.map((t) => t.replace(/ · .*$/, ""))).size).toBe(3);
  expect(custom.filter((t) => t.includes("not loading"))).toHaveLength(2);

  // The same template again (with stray spaces) chooses the listed entry instead of adding it twice.
  await page.getByTestId("source-select").selectOption("sample");
  await addTemplate(page, `  ${tiles.url}/none/{z}/{x}/{y}.png `);
  await expect(page.getByTestId("custom-already-listed")).toContainText(`Custom tiles (${host}/none/`);
  expect((await optionTexts(page)).filter((t) => t.startsWith("Custom tiles"))).toHaveLength(3);
  await expect(page.getByTestId("source-select")).toHaveValue(`custom:${tiles.url}/none/{z}/{x}/{y}.png`);
  await expect(error).toContainText("shows nothing");
});
