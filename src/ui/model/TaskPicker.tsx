import { useState } from "react";
import { followModelBoxConvention } from "../../app/model";
import { errorMessage } from "../../io/error-data";
import { setCustomClasses, useModelStore } from "../../state/model-store";
import { BENCHMARK_CLASS_LISTS, CUSTOM_CLASS_LIST_ID, classesFor, parseClassList } from "../../tasks/class-lists";
import { buildInstruction, TASK_LABELS, type TaskRequest } from "../../tasks/instructions";
import { TASK_DECODING, type TaskId } from "../../tasks/prompts";
import { LongText } from "../LongText";

const TASKS = Object.keys(TASK_LABELS) as TaskId[];

/** The request the ask panel's fields describe. */
function currentRequest(state: ReturnType<typeof useModelStore.getState>): TaskRequest {
  switch (state.task) {
    case "free":
    case "vqa":
      return { task: state.task, question: state.questionText };
    case "scene_cls":
      return { task: "scene_cls", classes: classesFor(state.classListId, state.customClasses) };
    case "caption":
      return { task: "caption" };
    case "grounding":
      return { task: "grounding", target: state.groundingTarget, several: state.groundingSeveral };
  }
}

/** The instruction the panel would send, or why it cannot be sent yet. */
export function useInstruction(): { ok: true; text: string } | { ok: false; problem: string } {
  const state = useModelStore();
  try {
    return { ok: true, text: buildInstruction(currentRequest(state)) };
  } catch (error) {
    return { ok: false, problem: errorMessage(error) };
  }
}

/** Switches task: its decoding defaults, and for grounding the model's box convention. */
function pickTask(task: TaskId): void {
  const state = useModelStore.getState();
  state.set({ task, decoding: { ...TASK_DECODING[task] } });
  if (task === "grounding") followModelBoxConvention();
}

/** Task choice and each task's fields, with the exact instruction that will be sent. */
export function TaskPicker() {
  const state = useModelStore();
  const instruction = useInstruction();
  return (
    <div className="task-picker">
      <label className="row">
        Task
        <select data-testid="task" value={state.task} onChange={(e) => pickTask(e.target.value as TaskId)}>
          {TASKS.map((task) => (
            <option key={task} value={task}>
              {TASK_LABELS[task]}
            </option>
          ))}
        </select>
      </label>
      {(state.task === "free" || state.task === "vqa") && (
        <textarea
          data-testid="question"
          aria-label="Question"
          rows={3}
          value={state.questionText}
          onChange={(e) => state.set({ questionText: e.target.value })}
        />
      )}
      {state.task === "scene_cls" && <ClassListFields />}
      {state.task === "grounding" && (
        <>
          <input
            type="text"
            data-testid="grounding-target"
            aria-label="Object to locate"
            placeholder="object to locate, e.g. the storage tank"
            value={state.groundingTarget}
            onChange={(e) => state.set({ groundingTarget: e.target.value })}
          />
          <label className="row">
            <input
              type="checkbox"
              data-testid="grounding-several"
              checked={state.groundingSeveral}
              onChange={(e) => state.set({ groundingSeveral: e.target.checked })}
            />
            Every instance (detection)
          </label>
        </>
      )}
      {instruction.ok ? (
        <LongText className="hint instruction" testId="instruction" prefix="Sends: " text={instruction.text} />
      ) : (
        <p className="hint" data-testid="instruction-problem">
          {instruction.problem}
        </p>
      )}
    </div>
  );
}

function ClassListFields() {
  const state = useModelStore();
  const [customText, setCustomText] = useState(() => state.customClasses.join("\n"));
  const classes = classesFor(state.classListId, state.customClasses);
  return (
    <>
      <label className="row">
        Classes
        <select
          data-testid="class-list"
          value={state.classListId}
          onChange={(e) => state.set({ classListId: e.target.value })}
        >
          {BENCHMARK_CLASS_LISTS.map((list) => (
            <option key={list.id} value={list.id}>
              {list.name}
            </option>
          ))}
          <option value={CUSTOM_CLASS_LIST_ID}>Your own list</option>
        </select>
      </label>
      {state.classListId === CUSTOM_CLASS_LIST_ID && (
        <textarea
          data-testid="custom-classes"
          aria-label="Your classes, one per line or comma-separated"
          rows={4}
          value={customText}
          onChange={(e) => {
            setCustomText(e.target.value);
            setCustomClasses(parseClassList(e.target.value));
          }}
        />
      )}
      <p className="hint" data-testid="class-count">
        {classes.length} classes
      </p>
    </>
  );
}
