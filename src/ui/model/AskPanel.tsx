import { ask, stopAnswer } from "../../app/model";
import { loadedModelOf, type Run, useModelStore } from "../../state/model-store";
import { useAppStore } from "../../state/store";
import { modelInputFor, pixelBudgetProblem } from "../../tasks/model-input-size";
import { type Decoding, GEOZERO_SYSTEM_PROMPT, TASK_DECODING } from "../../tasks/prompts";
import { AnswerView } from "./AnswerView";
import { FailureView } from "./FailureView";
import { TaskPicker, useInstruction } from "./TaskPicker";

/**
 * The task picker, the generation settings, and the streamed reasoning and answer. Model text is shown as text only.
 */
export function AskPanel() {
  const state = useModelStore();
  const crop = useAppStore((s) => s.lastImage);
  const instruction = useInstruction();
  const { run, decoding } = state;
  const budgetProblem = pixelBudgetProblem(state.budget);
  const ready = loadedModelOf(state.load) !== null && crop !== null && instruction.ok && budgetProblem === null;
  const input = crop && !budgetProblem ? modelInputFor(crop.image.width, crop.image.height, state.budget) : null;

  return (
    <section className="panel" id="ask-panel" aria-labelledby="ask-heading">
      <h2 id="ask-heading">Ask</h2>
      <label className="row">
        <input
          type="checkbox"
          data-testid="system-prompt"
          checked={state.useSystemPrompt}
          onChange={(e) => state.set({ useSystemPrompt: e.target.checked })}
        />
        System prompt
      </label>
      {state.useSystemPrompt && (
        <p className="hint system-prompt" data-testid="system-prompt-text">
          {GEOZERO_SYSTEM_PROMPT}
        </p>
      )}
      <TaskPicker />
      <div className="row settings">
        <select
          data-testid="decoding"
          aria-label="Decoding"
          value={decoding.kind}
          onChange={(e) =>
            state.set({
              decoding: decodingOf(e.target.value, decoding.maxNewTokens),
            })
          }
        >
          <option value="greedy">Greedy</option>
          <option value="sample">Sampling</option>
          <option value="beam">Beam search</option>
        </select>
        {decoding.kind === "beam" && (
          <span className="hint">
            {decoding.numBeams} beams · length penalty {decoding.lengthPenalty}
          </span>
        )}
        {decoding.kind === "sample" && (
          <>
            <label>
              T
              <input
                type="number"
                step="0.05"
                min="0.05"
                value={decoding.temperature}
                onChange={(e) => state.set({ decoding: { ...decoding, temperature: Number(e.target.value) } })}
              />
            </label>
            <label>
              top-p
              <input
                type="number"
                step="0.05"
                min="0.05"
                max="1"
                value={decoding.topP}
                onChange={(e) => state.set({ decoding: { ...decoding, topP: Number(e.target.value) } })}
              />
            </label>
          </>
        )}
        <label>
          max
          <input
            type="number"
            data-testid="max-new-tokens"
            min={1}
            value={decoding.maxNewTokens}
            onChange={(e) => state.set({ decoding: { ...decoding, maxNewTokens: Number(e.target.value) } })}
          />
        </label>
      </div>
      <PixelBudgetFields />
      {budgetProblem && (
        <p className="error" data-testid="budget-error">
          {budgetProblem}
        </p>
      )}
      {input && (
        <p className="hint" data-testid="visual-tokens">
          The model sees {input.width} × {input.height} px ({input.visualTokens} visual tokens)
          {input.exact ? "" : `, resized from the ${crop?.image.width} × ${crop?.image.height} px crop`}.
        </p>
      )}
      <div className="row">
        <button
          type="button"
          className="primary"
          data-testid="ask"
          disabled={!ready || run?.status === "running"}
          onClick={() => instruction.ok && void ask(state.task, instruction.text)}
        >
          Ask
        </button>
        {run?.status === "running" && (
          <button type="button" data-testid="stop" onClick={stopAnswer} disabled={run.stopping}>
            {run.stopping ? "Stopping…" : "Stop"}
          </button>
        )}
      </div>
      {!crop && <p className="hint">Crop a selection first.</p>}
      {state.load.status !== "ready" && <p className="hint">Load a model first, in the Model panel above.</p>}
      {run && <RunView />}
    </section>
  );
}

const RUN_STATUS_TEXT: Record<Run["status"], string> = {
  running: "Generating",
  stopped: "Stopped by you",
  failed: "Failed",
  done: "Done",
};

/**
 * The run's numbers, only those measured: before the first token (or beam step) only the count; beam search counts
 * steps, each extending every beam by one token.
 */
function statsText({ stats, decoding, status }: Run): string {
  const beams = decoding === "beam";
  const unit = beams ? "steps" : "tokens";
  const parts = [`${stats.tokens} ${beams ? "beam steps" : "tokens"}`];
  if (stats.tokens === 0) {
    if (status === "running") parts.push("encoding the image and the prompt");
    return parts.join(" · ");
  }
  parts.push(`first ${beams ? "step" : "token"} ${(stats.ttftMs / 1000).toFixed(2)} s (image encode and prompt)`);
  if (stats.tokens > 1 && stats.tokensPerSecond > 0) parts.push(`${stats.tokensPerSecond.toFixed(1)} ${unit}/s`);
  return parts.join(" · ");
}

/** The decoding for a choice in the select, with GeoZero's evaluation settings (src/tasks/prompts.ts). */
function decodingOf(kind: string, maxNewTokens: number): Decoding {
  const defaults = { greedy: TASK_DECODING.scene_cls, sample: TASK_DECODING.vqa, beam: TASK_DECODING.caption };
  return { ...defaults[kind as keyof typeof defaults], maxNewTokens };
}

/** Min and max pixels of the image the model sees (Qwen3-VL's processor budget). */
function PixelBudgetFields() {
  const { budget, set } = useModelStore();
  return (
    <div className="row settings pixel-budget">
      <label>
        Min pixels
        <input
          type="number"
          data-testid="min-pixels"
          min={0}
          step={1024}
          value={budget.minPixels}
          onChange={(e) => set({ budget: { ...budget, minPixels: Number(e.target.value) } })}
        />
      </label>
      <label>
        Max pixels
        <input
          type="number"
          data-testid="max-pixels"
          min={1024}
          step={1024}
          value={budget.maxPixels}
          onChange={(e) => set({ budget: { ...budget, maxPixels: Number(e.target.value) } })}
        />
      </label>
    </div>
  );
}

function RunView() {
  const run = useModelStore((s) => s.run);
  if (!run) return null;
  const { answer } = run;
  return (
    <div className="run" data-testid="run">
      <details open={run.status === "running" || answer.think !== ""} className="think">
        <summary>Reasoning</summary>
        <pre data-testid="think-text">{answer.think}</pre>
      </details>
      {run.status === "running" && run.beams && (
        <p className="hint beam-progress" data-testid="beam-progress">
          Beam search, step {run.beams.step}: best so far “{run.beams.finishedText ?? run.beams.bestText}”
        </p>
      )}
      <AnswerView
        answer={answer.answer}
        question={run.question}
        frame={{
          crop: run.crop.image,
          input: run.input,
          model: run.model,
          resultId: run.id,
          task: run.task,
          // Read against the classes once written: a half-streamed answer is no class yet.
          classes: run.status === "running" ? undefined : run.classes,
        }}
      />
      <p className="hint" data-testid="run-stats">
        {RUN_STATUS_TEXT[run.status]} · {statsText(run)}
      </p>
      {run.status === "stopped" && (
        <p className="hint" data-testid="run-stopped">
          Stopped: the text above is what the model wrote before you stopped it.
        </p>
      )}
      {run.result?.note && <p className="hint">{run.result.note}</p>}
      {run.stats.inputWidth > 0 && (
        <p className="hint" data-testid="run-input">
          Image sent as {run.stats.inputWidth} × {run.stats.inputHeight} px
        </p>
      )}
      {run.failure ? (
        <FailureView failure={run.failure} testId="run-error" />
      ) : (
        run.error && (
          <p className="error" role="alert" data-testid="run-error">
            {run.error}
          </p>
        )
      )}
    </div>
  );
}
