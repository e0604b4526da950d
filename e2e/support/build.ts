import { readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Locator, Page } from "@playwright/test";
import type { ModelManifest } from "../../src/model/manifest";
import { convertSnapshot } from "../../tools/convert/convert.ts";

/** The tiny demo model's Hugging Face snapshot, as `npm run fixtures` writes it (bf16 shards, index, tokenizer). */
export const TINY_SNAPSHOT = ".cache/tiny-hf";
/** The folder of the local hub's repository that holds it, as GeoZero's sits in `GeoZero-8B-without-RFT`. */
export const TINY_SUBFOLDER = "GeoZero-tiny";
export const TINY_REPO = "test-org/GeoZero";

/** What `npm run convert` writes from the same snapshot at `dtype`: each file's SHA-256 by path. */
export async function commandLineHashes(dtype: "q4" | "q4f16"): Promise<Map<string, string>> {
  const out = join(await mkdtemp(join(tmpdir(), "cli-")), "model");
  await convertSnapshot({ snapshotDir: TINY_SNAPSHOT, outDir: out, dtypes: [dtype], workers: 0 });
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as ModelManifest;
  return new Map(manifest.files.map((file) => [file.path, file.sha256]));
}

/** Opens a <details> element unless it is open (a click on its summary would close it). */
async function openDetails(details: Locator): Promise<void> {
  if (!(await details.evaluate((element) => (element as HTMLDetailsElement).open)))
    await details.locator(":scope > summary").click();
}

/** Fills the Build form with the local hub's repository and checks it; resolves when the preview or an error shows. */
export async function checkBuild(
  page: Page,
  hubUrl: string,
  options: { repo?: string; subfolder?: string; dtype?: "q4" | "q4f16"; token?: string } = {},
): Promise<void> {
  const panel = page.getByTestId("build-panel");
  await openDetails(panel);
  await openDetails(panel.locator("details", { has: page.locator("summary", { hasText: "Hub and access token" }) }));
  await page.getByTestId("build-hub-url").fill(hubUrl);
  if (options.token !== undefined) await page.getByTestId("build-token").fill(options.token);
  await page.getByTestId("build-repo").fill(options.repo ?? TINY_REPO);
  await page.getByTestId("build-subfolder").fill(options.subfolder ?? TINY_SUBFOLDER);
  await page.getByTestId("build-dtype").selectOption(options.dtype ?? "q4");
  await page.getByTestId("build-check").click();
  await page.locator('[data-testid="build-preview"], [data-testid="build-error"]').waitFor({ timeout: 60_000 });
}

/** Waits until the build ends, finished or failed; returns what the panel says. */
export async function buildEnd(page: Page, timeout = 170_000): Promise<string> {
  const end = page.locator('[data-testid="build-done"], [data-testid="build-error"]');
  await end.waitFor({ timeout });
  return (await end.textContent()) ?? "";
}

/** The build's progress as the page shows it: checkpoint bytes done and of all (0 of 0 before it starts). */
export async function buildProgress(page: Page): Promise<{ readBytes: number; totalBytes: number }> {
  return page.evaluate(() => {
    const bar = document.querySelector('[data-testid="build-progress"] progress') as HTMLProgressElement | null;
    return { readBytes: bar?.value ?? 0, totalBytes: bar?.max ?? 0 };
  });
}

/** SHA-256 of every file of a finished build, computed over the bytes the browser's storage holds. */
export async function builtFileHashes(page: Page, key: string): Promise<Map<string, string>> {
  const entries = await page.evaluate(async (folder) => {
    const root = await navigator.storage.getDirectory();
    const dir = await (await root.getDirectoryHandle("geozero-builds")).getDirectoryHandle(folder);
    const manifest = JSON.parse(await (await (await dir.getFileHandle("manifest.json")).getFile()).text()) as {
      files: { path: string }[];
    };
    const hashes: [string, string][] = [];
    for (const { path } of manifest.files) {
      const parts = path.split("/");
      let at = dir;
      for (const part of parts.slice(0, -1)) at = await at.getDirectoryHandle(part);
      const file = await (await at.getFileHandle(parts[parts.length - 1])).getFile();
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
      hashes.push([path, [...digest].map((b) => b.toString(16).padStart(2, "0")).join("")]);
    }
    return hashes;
  }, key);
  return new Map(entries);
}

/** The key (folder and model id) of the build the page finished or is running. */
export async function buildKey(page: Page): Promise<string> {
  return page.getByTestId("model-select").inputValue();
}

/**
 * A copy of the tiny snapshot with some files replaced (by bytes) or left out (null): the others are links to the
 * originals, so the shards are not copied.
 */
export async function variantSnapshot(changes: Record<string, Uint8Array | string | null>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "snapshot-variant-"));
  for (const name of readdirSync(TINY_SNAPSHOT)) {
    const change = changes[name];
    if (change === null) continue;
    if (change === undefined) symlinkSync(resolve(TINY_SNAPSHOT, name), join(dir, name));
    else writeFileSync(join(dir, name), change);
  }
  return dir;
}

/** The shard of the tiny snapshot that holds `tensor`, and the tensor's entry in its header. */
export function shardOf(tensor: string): {
  shard: string;
  bytes: Buffer;
  headerLength: number;
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
} {
  const index = JSON.parse(readFileSync(join(TINY_SNAPSHOT, "model.safetensors.index.json"), "utf8")) as {
    weight_map: Record<string, string>;
  };
  const shard = index.weight_map[tensor];
  const bytes = readFileSync(join(TINY_SNAPSHOT, shard));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
  return { shard, bytes, headerLength, header };
}
