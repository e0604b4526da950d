/**
 * Per-sample records, one JSON line each, appended as samples finish: an interrupted run loses at most the sample in
 * flight, and a rerun skips every id already written. A last line cut short by a crash is dropped before appending.
 */
import { appendFileSync, existsSync, readFileSync, truncateSync } from "node:fs";
import type { Decoding } from "../tasks/prompts";
import type { SampleScore } from "./score";
import type { EvalTask } from "./tasks";

export interface SampleRecord extends SampleScore {
  id: string;
  index: number;
  image: string;
  task: EvalTask;
  model: string;
  raw_output: string;
  answer: string;
  /** The reference (scene_cls, vqa, grounding) or references (caption). */
  label: string | string[];
  image_size?: [number, number];
  tokens: number;
  seconds: number;
  seed: number;
  decoding: Decoding["kind"];
  /** Beam search: the answer's length-penalised score. */
  beam_score?: number;
  note?: string;
}

export class RecordFile {
  constructor(readonly path: string) {}

  /** The records written so far, checked to belong to this task and model. */
  readDone(task: EvalTask, model: string): Map<string, SampleRecord> {
    const done = new Map<string, SampleRecord>();
    if (!existsSync(this.path)) return done;
    const text = readFileSync(this.path, "utf8");
    const complete = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);
    if (complete.length !== text.length) truncateSync(this.path, Buffer.byteLength(complete));
    for (const line of complete.split("\n")) {
      if (line.trim() === "") continue;
      const record = JSON.parse(line) as SampleRecord;
      if (record.task !== task || record.model !== model) {
        throw new Error(
          `${this.path} holds records of another run (task ${record.task}, model ${record.model}); pass another --out or remove it.`,
        );
      }
      done.set(record.id, record);
    }
    return done;
  }

  append(record: SampleRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }
}
