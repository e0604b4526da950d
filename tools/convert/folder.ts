import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { WrittenFile } from "./graph/external-data.ts";
import { readTextIfExists } from "./safetensors/open-dir.ts";

/** Tokenizer and processor files copied as they are when present. */
const COPIED_FILES = [
  "tokenizer.json",
  "vocab.json",
  "merges.txt",
  "special_tokens_map.json",
  "added_tokens.json",
  "generation_config.json",
  "video_preprocessor_config.json",
  "chat_template.json",
  "chat_template.jinja",
];

/** Writes a file and returns its manifest entry. */
export async function writeTracked(dir: string, name: string, bytes: Uint8Array | string): Promise<WrittenFile> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  await writeFile(join(dir, name), data);
  return { name, bytes: data.byteLength, sha256: createHash("sha256").update(data).digest("hex") };
}

/**
 * Copies the tokenizer and processor files, making sure `tokenizer_config.json` carries the processor's chat template
 * (chat_template.jinja / .json when present, which transformers.js would not read) and `preprocessor_config.json` says `do_normalize: true`
 * and names its processor classes.
 */
export async function writeSupportFiles(
  snapshotDir: string,
  outDir: string,
  /** Keys the family fills into preprocessor_config.json when missing (transformers.js' AutoProcessor needs them). */
  preprocessorDefaults: Record<string, string> = {},
): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  for (const name of COPIED_FILES) {
    const text = await readTextIfExists(join(snapshotDir, name));
    if (text !== undefined) written.push(await writeTracked(outDir, name, text));
  }
  written.push(await writeTracked(outDir, "tokenizer_config.json", await tokenizerConfigWithTemplate(snapshotDir)));
  const preprocessorText = await readTextIfExists(join(snapshotDir, "preprocessor_config.json"));
  if (preprocessorText === undefined) {
    throw new Error(
      `${snapshotDir}/preprocessor_config.json is missing; a Qwen3-VL snapshot ships it with the image processor settings.`,
    );
  }
  const preprocessor = { ...preprocessorDefaults, ...JSON.parse(preprocessorText), do_normalize: true };
  written.push(await writeTracked(outDir, "preprocessor_config.json", `${JSON.stringify(preprocessor, null, 2)}\n`));
  return written;
}

async function tokenizerConfigWithTemplate(snapshotDir: string): Promise<string> {
  const text = await readTextIfExists(join(snapshotDir, "tokenizer_config.json"));
  if (text === undefined)
    throw new Error(`${snapshotDir}/tokenizer_config.json is missing; copy the tokenizer files of the snapshot.`);
  const config = JSON.parse(text) as Record<string, unknown>;
  // The processor's template (chat_template.jinja / .json) is the multimodal one; tokenizer_config.json may carry a
  // text-only template of the base tokenizer, so the separate file wins, as in Hugging Face processors.
  const separate = await separateChatTemplate(snapshotDir);
  if (separate !== undefined) config.chat_template = separate;
  if (typeof config.chat_template !== "string" || config.chat_template === "") {
    throw new Error(
      `${snapshotDir}: no chat template in tokenizer_config.json, chat_template.json or chat_template.jinja.`,
    );
  }
  const template = String(config.chat_template);
  if (!template.includes("<|vision_start|>") || !template.includes("<|image_pad|>")) {
    throw new Error(
      `${snapshotDir}: the chat template never writes <|vision_start|><|image_pad|><|vision_end|>, so images would not be placed; use a Qwen3-VL chat template (tokenizer_config.json, chat_template.json or chat_template.jinja).`,
    );
  }
  return `${JSON.stringify(config, null, 2)}\n`;
}

async function separateChatTemplate(snapshotDir: string): Promise<string | undefined> {
  const jinja = await readTextIfExists(join(snapshotDir, "chat_template.jinja"));
  if (jinja !== undefined) return jinja;
  const json = await readTextIfExists(join(snapshotDir, "chat_template.json"));
  if (json === undefined) return undefined;
  return (JSON.parse(json) as { chat_template?: string }).chat_template;
}

/** Reads the snapshot's config.json, failing with the path when it is missing. */
export async function readSnapshotConfig(snapshotDir: string): Promise<Record<string, unknown>> {
  const text = await readTextIfExists(join(snapshotDir, "config.json"));
  if (text === undefined)
    throw new Error(`${snapshotDir}/config.json is missing; expected a Hugging Face snapshot folder.`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** SHA-256 of a small file on disk. */
export async function hashFile(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}
