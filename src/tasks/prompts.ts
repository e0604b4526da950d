/**
 * GeoZero's tasks as its evaluation runs them (MiliLab/GeoZero `single_infer_eval_qwen3vl_think.py`): the optional
 * system prompt ("Type1"), the user turn (the image, then the instruction), and the decoding settings per task.
 */

/** The system prompt GeoZero's evaluation adds with `--system True`, verbatim. */
export const GEOZERO_SYSTEM_PROMPT =
  "When answering, first describe your reasoning or visual observations in natural language, and then provide the final answer enclosed in <answer></answer>.";

/** The tasks the app offers; the last four are GeoZero's `--task` values. */
export type TaskId = "free" | "scene_cls" | "vqa" | "caption" | "grounding";

/** How tokens are chosen. */
export type Decoding =
  | { kind: "greedy"; maxNewTokens: number }
  | { kind: "sample"; temperature: number; topP: number; topK: number; maxNewTokens: number }
  | { kind: "beam"; numBeams: number; lengthPenalty: number; earlyStopping: boolean; maxNewTokens: number };

/** GeoZero's default for `--max_new_tokens`. */
export const MAX_NEW_TOKENS = 2048;

/** Decoding per task, as GeoZero's evaluation sets it. */
export const TASK_DECODING: Record<TaskId, Decoding> = {
  scene_cls: { kind: "greedy", maxNewTokens: MAX_NEW_TOKENS },
  caption: { kind: "beam", numBeams: 5, lengthPenalty: 0.8, earlyStopping: true, maxNewTokens: MAX_NEW_TOKENS },
  vqa: { kind: "sample", temperature: 0.9, topP: 0.95, topK: 50, maxNewTokens: MAX_NEW_TOKENS },
  grounding: { kind: "sample", temperature: 0.9, topP: 0.95, topK: 50, maxNewTokens: MAX_NEW_TOKENS },
  free: { kind: "sample", temperature: 0.9, topP: 0.95, topK: 50, maxNewTokens: MAX_NEW_TOKENS },
};

/** A chat message in the shape transformers.js's chat template takes. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: Array<{ type: "image" } | { type: "text"; text: string }> };

/** The messages for one question about one image: optional system prompt, then the image and the instruction. */
export function buildMessages(instruction: string, useSystemPrompt: boolean): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (useSystemPrompt) messages.push({ role: "system", content: GEOZERO_SYSTEM_PROMPT });
  messages.push({ role: "user", content: [{ type: "image" }, { type: "text", text: instruction.trim() }] });
  return messages;
}
