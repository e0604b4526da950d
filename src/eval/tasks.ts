/** The evaluation tasks (GeoZero's `--task` values) and their decoding, from the shared task definitions. */
import { type Decoding, TASK_DECODING, type TaskId } from "../tasks/prompts";

export type EvalTask = Exclude<TaskId, "free">;
export const EVAL_TASKS: EvalTask[] = ["scene_cls", "vqa", "caption", "grounding"];

export function isEvalTask(value: string): value is EvalTask {
  return (EVAL_TASKS as string[]).includes(value);
}

/** Decoding for a task: GeoZero's default, with the kind or the token limit overridden. */
export function decodingFor(task: EvalTask, kind?: Decoding["kind"], maxNewTokens?: number): Decoding {
  const base = TASK_DECODING[task];
  const chosen = kind === undefined || kind === base.kind ? base : defaultOfKind(kind);
  return { ...chosen, maxNewTokens: maxNewTokens ?? base.maxNewTokens };
}

function defaultOfKind(kind: Decoding["kind"]): Decoding {
  switch (kind) {
    case "greedy":
      return TASK_DECODING.scene_cls;
    case "beam":
      return TASK_DECODING.caption;
    case "sample":
      return TASK_DECODING.vqa;
  }
}
