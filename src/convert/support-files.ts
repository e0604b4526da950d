import type { SnapshotReader } from "./safetensors/read.ts";
import { SnapshotError } from "./snapshot-error.ts";

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

/** A small file of the model folder, with its contents. */
export interface TextFile {
  name: string;
  text: string;
}

/**
 * The tokenizer and processor files of the model folder: copies of the snapshot's, with `tokenizer_config.json`
 * carrying the processor's chat template (chat_template.jinja / .json when present, which transformers.js would not
 * read) and `preprocessor_config.json` saying `do_normalize: true` and naming its processor classes. Checked before
 * any weight is read: a snapshot without them fails at once.
 */
export async function supportFiles(
  snapshot: SnapshotReader,
  /** Keys the family fills into preprocessor_config.json when missing (transformers.js' AutoProcessor needs them). */
  preprocessorDefaults: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<TextFile[]> {
  const files: TextFile[] = [];
  for (const name of COPIED_FILES) {
    const text = await snapshot.readText(name, signal);
    if (text !== undefined) files.push({ name, text });
  }
  files.push({ name: "tokenizer_config.json", text: await tokenizerConfigWithTemplate(snapshot, signal) });
  const preprocessorText = await snapshot.readText("preprocessor_config.json", signal);
  if (preprocessorText === undefined) {
    throw new SnapshotError(snapshot.label, {
      kind: "missing-file",
      file: "preprocessor_config.json",
      why: "a Qwen3-VL snapshot ships it with the image processor settings.",
    });
  }
  const preprocessor = { ...preprocessorDefaults, ...JSON.parse(preprocessorText), do_normalize: true };
  files.push({ name: "preprocessor_config.json", text: `${JSON.stringify(preprocessor, null, 2)}\n` });
  return files;
}

async function tokenizerConfigWithTemplate(snapshot: SnapshotReader, signal?: AbortSignal): Promise<string> {
  const text = await snapshot.readText("tokenizer_config.json", signal);
  if (text === undefined) {
    throw new SnapshotError(snapshot.label, {
      kind: "missing-file",
      file: "tokenizer_config.json",
      why: "copy the tokenizer files of the snapshot.",
    });
  }
  const config = JSON.parse(text) as Record<string, unknown>;
  // The processor's template (chat_template.jinja / .json) is the multimodal one; tokenizer_config.json may carry a
  // text-only template of the base tokenizer, so the separate file wins, as in Hugging Face processors.
  const separate = await separateChatTemplate(snapshot, signal);
  if (separate !== undefined) config.chat_template = separate;
  if (typeof config.chat_template !== "string" || config.chat_template === "") {
    throw new Error(
      `${snapshot.label}: no chat template in tokenizer_config.json, chat_template.json or chat_template.jinja.`,
    );
  }
  const template = String(config.chat_template);
  if (!template.includes("<|vision_start|>") || !template.includes("<|image_pad|>")) {
    throw new Error(
      `${snapshot.label}: the chat template never writes <|vision_start|><|image_pad|><|vision_end|>, so images would not be placed; use a Qwen3-VL chat template (tokenizer_config.json, chat_template.json or chat_template.jinja).`,
    );
  }
  return `${JSON.stringify(config, null, 2)}\n`;
}

async function separateChatTemplate(snapshot: SnapshotReader, signal?: AbortSignal): Promise<string | undefined> {
  const jinja = await snapshot.readText("chat_template.jinja", signal);
  if (jinja !== undefined) return jinja;
  const json = await snapshot.readText("chat_template.json", signal);
  if (json === undefined) return undefined;
  return (JSON.parse(json) as { chat_template?: string }).chat_template;
}

/** Reads the snapshot's config.json, failing with its name when it is missing. */
export async function readSnapshotConfig(
  snapshot: SnapshotReader,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const text = await snapshot.readText("config.json", signal);
  if (text === undefined) {
    throw new SnapshotError(snapshot.label, {
      kind: "missing-file",
      file: "config.json",
      why: "expected a Hugging Face snapshot folder (config.json, the safetensors shards and their index, the tokenizer).",
    });
  }
  return JSON.parse(text) as Record<string, unknown>;
}
