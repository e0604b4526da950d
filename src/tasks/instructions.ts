/**
 * The user turn's text for each task, in the shape of GeoZero's training and evaluation data: a task tag in square
 * brackets, then the instruction (GeoZero-Instruct and GeoZero-Hard write `<image>\n[vqa] <question>`; the image
 * comes first in the message, as `buildMessages` places it). Free questions go to the model unchanged.
 */
import type { BoxConvention } from "./boxes";
import type { TaskId } from "./prompts";

/** What the user asks, per task. */
export type TaskRequest =
  | { task: "free"; question: string }
  | { task: "scene_cls"; classes: readonly string[] }
  | { task: "vqa"; question: string }
  | { task: "caption" }
  | { task: "grounding"; target: string; several: boolean };

/**
 * The tag each task's instructions start with. `[vqa]` is GeoZero's published format; the others follow the same
 * pattern with the task names of GeoZero's evaluation script (`--task`).
 */
export const TASK_TAGS: Record<Exclude<TaskId, "free">, string> = {
  scene_cls: "[scene_cls]",
  vqa: "[vqa]",
  caption: "[caption]",
  grounding: "[grounding]",
};

/** What the picker shows for each task. */
export const TASK_LABELS: Record<TaskId, string> = {
  free: "Free question",
  scene_cls: "Scene classification",
  vqa: "Visual question answering",
  caption: "Captioning",
  grounding: "Visual grounding / detection",
};

/** The instruction text for a request; a clear error when the request lacks what its task needs. */
export function buildInstruction(request: TaskRequest): string {
  switch (request.task) {
    case "free":
      return requireText(request.question, "Type a question first.");
    case "vqa":
      return `${TASK_TAGS.vqa} ${requireText(request.question, "Type a question about the image first.")}`;
    case "scene_cls": {
      if (request.classes.length < 2) {
        throw new Error(
          `Scene classification needs at least two classes to choose from; the list has ${request.classes.length}. Pick a benchmark list or add classes to your own.`,
        );
      }
      return `${TASK_TAGS.scene_cls} Classify the image within one of the given classes: ${request.classes.join(", ")}. Answer with one word or short phrase.`;
    }
    case "caption":
      return `${TASK_TAGS.caption} Describe the image in one sentence.`;
    case "grounding": {
      const target = requireText(request.target, "Name the object to locate first (for example: the storage tank).");
      return request.several
        ? `${TASK_TAGS.grounding} Detect ${everyInstanceOf(target)} in the image. Output the bounding box of each as [x1, y1, x2, y2].`
        : `${TASK_TAGS.grounding} Output the bounding box of ${target} in the image as [x1, y1, x2, y2].`;
    }
  }
}

/** Plurals that do not end in "s"; the singular-or-plural "sheep", "deer" and "aircraft" read well after "every". */
const IRREGULAR_PLURALS = new Set(["people", "children", "men", "women", "cattle", "geese", "mice", "oxen"]);

/** Whether a noun phrase names several things, judged by its last word: "red buildings", "people", not "bus". */
export function isPluralPhrase(phrase: string): boolean {
  const last = phrase.trim().split(/\s+/).at(-1)?.toLowerCase() ?? "";
  if (IRREGULAR_PLURALS.has(last)) return true;
  return /[^isu]s$/.test(last);
}

/** "every storage tank", "all red buildings": the quantifier that agrees with the phrase's number. */
export function everyInstanceOf(target: string): string {
  return isPluralPhrase(target) ? `all ${target}` : `every ${target}`;
}

function requireText(text: string, problem: string): string {
  const trimmed = text.trim().replace(/\s+/g, " ");
  if (trimmed === "") throw new Error(problem);
  return trimmed;
}

/**
 * How a model writes box coordinates by default: GeoZero's evaluation reads pixels of the image the model saw;
 * stock Qwen3-VL writes 0–1000 relative coordinates.
 */
export function defaultBoxConvention(modelId: string | null): BoxConvention {
  return modelId !== null && /geozero/i.test(modelId) ? "pixels" : "relative-1000";
}
