/**
 * Node only: per-sample records, one JSON line each, appended as samples finish: an interrupted run loses at most the
 * sample in flight, and a rerun skips every id already written. A last line cut short by a crash is dropped before
 * appending. The line format is `record-format.ts`.
 */
import { appendFileSync, existsSync, readFileSync, truncateSync } from "node:fs";
import { parseRecordLine, recordLine, type SampleRecord } from "./record-format";
import type { EvalTask } from "./tasks";

export type { SampleRecord };

export class RecordFile {
  constructor(readonly path: string) {}

  /** The records written so far, checked to belong to this task and model. */
  readDone(task: EvalTask, model: string): Map<string, SampleRecord> {
    const done = new Map<string, SampleRecord>();
    if (!existsSync(this.path)) return done;
    const text = readFileSync(this.path, "utf8");
    const complete = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);
    if (complete.length !== text.length) truncateSync(this.path, Buffer.byteLength(complete));
    complete.split("\n").forEach((line, at) => {
      if (line.trim() === "") return;
      const parsed = parseRecordLine(line, at + 1);
      if (!parsed.ok) {
        const { line: number, reason } = parsed.problem;
        throw new Error(`${this.path}, line ${number}: ${reason} Fix or remove that line, or pass another --out.`);
      }
      const { record } = parsed;
      if (record.task !== task || record.model !== model) {
        throw new Error(
          `${this.path} holds records of another run (task ${record.task}, model ${record.model}); pass another --out or remove it.`,
        );
      }
      done.set(record.id, record);
    });
    return done;
  }

  append(record: SampleRecord): void {
    appendFileSync(this.path, recordLine(record));
  }
}
