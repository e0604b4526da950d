import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import {
  buildEnd,
  buildProgress,
  checkBuild,
  shardOf,
  TINY_REPO,
  TINY_SNAPSHOT,
  TINY_SUBFOLDER,
  variantSnapshot,
} from "./support/build";
import { type LocalHub, startLocalHub } from "./support/local-hub";

const TOKEN = "hf_test_reader";
const LLAMA = "test-org/not-qwen";
const GATED = "test-org/gated";
const NO_SHARD = "test-org/missing-shard";
const LYING = "test-org/lying-header";
const TRUNCATED = "test-org/truncated";
const EMBEDDINGS = "model.language_model.embed_tokens.weight";

let hub: LocalHub;
test.beforeAll(async () => {
  const config = JSON.parse(readFileSync(join(TINY_SNAPSHOT, "config.json"), "utf8"));
  const { shard, bytes, headerLength, header } = shardOf(EMBEDDINGS);
  // The header says the embeddings end 64 bytes later than they do: its tensors' sizes no longer add up.
  const lying = { ...header, [EMBEDDINGS]: { ...header[EMBEDDINGS] } };
  lying[EMBEDDINGS].data_offsets = [lying[EMBEDDINGS].data_offsets[0], lying[EMBEDDINGS].data_offsets[1] + 64];
  const lyingText = Buffer.from(JSON.stringify(lying).padEnd(headerLength, " "));
  const lyingShard = Buffer.concat([bytes.subarray(0, 8), lyingText, bytes.subarray(8 + headerLength)]);
  const repo = async (id: string, changes: Record<string, Uint8Array | string | null>) => ({
    id,
    dir: await variantSnapshot(changes),
    subfolder: TINY_SUBFOLDER,
  });
  hub = await startLocalHub({
    tokens: [TOKEN],
    repos: [
      { id: TINY_REPO, dir: TINY_SNAPSHOT, subfolder: TINY_SUBFOLDER },
      { id: GATED, dir: TINY_SNAPSHOT, subfolder: TINY_SUBFOLDER, access: "gated" },
      await repo(LLAMA, { "config.json": JSON.stringify({ ...config, model_type: "llama" }) }),
      await repo(NO_SHARD, { [shard]: null }),
      await repo(LYING, { [shard]: lyingShard }),
      await repo(TRUNCATED, { [shard]: bytes.subarray(0, bytes.length - 10) }),
    ],
  });
});
test.afterAll(async () => {
  await hub.close();
});
test.afterEach(() => {
  hub.clearFaults();
});
test.describe.configure({ mode: "serial" });

async function errorText(page: Page): Promise<string> {
  return (await page.getByTestId("build-error").textContent()) ?? "";
}

test("a repository that is not Qwen3-VL, a missing repository and a missing folder are named before anything large is read", async ({
  page,
}) => {
  await page.goto("/");
  await checkBuild(page, hub.url, { repo: LLAMA });
  expect(await errorText(page)).toContain('config.json has model_type "llama"; expected one of: qwen3_vl');
  await checkBuild(page, hub.url, { repo: "test-org/nothing-here" });
  // Without a token the hub answers a missing repository as it answers a private one (401 RepoNotFound).
  expect(await errorText(page)).toContain(
    "test-org/nothing-here: no such repository on the hub, or a private one (HTTP 401); check the spelling, or enter an access token",
  );
  await checkBuild(page, hub.url, { subfolder: "GeoZero-typo" });
  expect(await errorText(page)).toMatch(/GeoZero-typo.*(no such subfolder|config\.json is missing)/);
  expect(hub.bytesServed({ file: /safetensors$/ })).toBe(0);
});

test("a gated repository asks for a token, kept in memory only, and builds with it", async ({ page }) => {
  await page.goto("/");
  await checkBuild(page, hub.url, { repo: GATED });
  // Its listing is public; its files answer 401 GatedRepo without a token, as the hub's do.
  expect(await errorText(page)).toContain(`${GATED} needs access (HTTP 401): it is gated`);
  await expect(page.getByTestId("build-retry")).toBeDisabled();
  await page.getByTestId("build-error").getByTestId("build-token").fill(TOKEN);
  await page.getByTestId("build-retry").click();
  await expect(page.getByTestId("build-preview")).toContainText(GATED);
  await page.getByTestId("build-start").click();
  expect(await buildEnd(page)).toContain("Built");
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + document.cookie);
  expect(stored).not.toContain(TOKEN);
});

test("a missing shard, a header that lies about its tensors and a truncated shard each name the shard", async ({
  page,
}) => {
  const { shard } = shardOf(EMBEDDINGS);
  await page.goto("/");
  await checkBuild(page, hub.url, { repo: NO_SHARD });
  expect(await errorText(page)).toContain(`${shard} is missing: model.safetensors.index.json names it`);
  await checkBuild(page, hub.url, { repo: LYING });
  expect(await errorText(page)).toContain(`${shard}: tensor ${EMBEDDINGS}`);
  expect(await errorText(page)).toContain("does not describe its data");
  await checkBuild(page, hub.url, { repo: TRUNCATED });
  expect(await errorText(page)).toMatch(new RegExp(`${shard}: (truncated|header length)`));
});

test("dropped connections and a server error mid-build are retried; the build finishes", async ({ page }) => {
  await page.goto("/");
  await checkBuild(page, hub.url);
  hub.fail({ kind: "drop", afterBytes: 1000, file: /safetensors$/, origin: "cdn", skip: 5, times: 2 });
  hub.fail({ kind: "status", status: 503, file: /safetensors$/, origin: "cdn", skip: 12, times: 1 });
  await page.getByTestId("build-start").click();
  expect(await buildEnd(page)).toContain("Built");
});

test("a shard that changes on the server mid-build is built again from its new version, never mixed", async ({
  page,
}) => {
  const { shard, bytes } = shardOf(EMBEDDINGS);
  const changed = Buffer.from(bytes);
  changed[changed.length - 2] ^= 1; // a low mantissa bit of the last weight: still finite
  await page.goto("/");
  await checkBuild(page, hub.url, { repo: GATED, token: TOKEN });
  hub.fail({ kind: "change", file: shard, content: changed, skip: 8, oldCommits: "new-content" });
  await page.getByTestId("build-start").click();
  expect(await buildEnd(page)).toContain("Built");
  await expect(page.getByTestId("build-done")).toBeVisible();
});

test("Cancel keeps the pieces for a resume; Delete frees them and says how much", async ({ page }) => {
  await page.goto("/");
  hub.fail({ kind: "slow", bytesPerSecond: 2_000_000, times: Number.POSITIVE_INFINITY, origin: "cdn" });
  await checkBuild(page, hub.url);
  await page.getByTestId("build-start").click();
  await expect.poll(async () => (await buildProgress(page)).readBytes, { timeout: 60_000 }).toBeGreaterThan(2_000_000);
  await page.getByTestId("build-cancel").click();
  expect(await errorText(page)).toContain("Cancelled: what was built so far is kept");
  await expect(page.getByTestId("build-unfinished-item")).toContainText(/stopped at \d+ %/);

  const usage = () => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  const held = await usage();
  await page.getByTestId("build-delete-unfinished").click();
  await expect(page.getByTestId("build-notice")).toContainText(
    /Deleted .*: [\d.]+ (MB|kB) of the browser's storage freed/,
  );
  await expect(page.getByTestId("build-unfinished-item")).toHaveCount(0);
  // The pieces are gone from the site's storage, not only from the list.
  expect(held - (await usage())).toBeGreaterThan(1_000_000);
});

test("a second tab cannot build the model the first is building: it says so", async ({ page, context }) => {
  await page.goto("/");
  await checkBuild(page, hub.url);
  // The first tab's build holds on one piece (the server stalls it) while the second tab checks and starts the same.
  const stall = hub.fail({ kind: "stall", afterBytes: 0, file: /safetensors$/, origin: "cdn", skip: 4, times: 1 });
  await page.getByTestId("build-start").click();
  await expect.poll(() => stall.fired, { timeout: 60_000 }).toBe(1);
  const second = await context.newPage();
  await second.goto("/");
  await checkBuild(second, hub.url);
  await second.getByTestId("build-start").click();
  expect(await buildEnd(second)).toContain("is being built in another tab of this browser");
  stall.release();
  expect(await buildEnd(page)).toContain("Built");
});
