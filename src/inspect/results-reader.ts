/**
 * Reading a `results.jsonl` for the Inspect view, line by line as it streams in: grounding records kept by id, lines
 * that are no record counted (the first few kept, by number), records of other tasks counted by task, and ids that
 * occur on more than one line reported. A later line replaces an earlier one with its id, as `npm run eval` reads the
 * file when it resumes or summarises; the replaced lines are named so nothing changes unseen.
 */
import { parseRecordLine, type RecordLineProblem, type SampleRecord } from "../eval/record-format";

/** How many bad lines (and repeated ids) are kept as examples. */
const EXAMPLES = 20;

/** Ids that more than one line holds: the last line of each is the record shown. */
export interface RepeatedIds {
  /** Ids that occur on more than one line. */
  ids: number;
  /** Lines replaced by a later line with their id (left out). */
  replaced: number;
  examples: Array<{ id: string; lines: number[] }>;
}

export interface ResultsReading {
  /** The grounding records, in index order. */
  records: SampleRecord[];
  lines: { problems: RecordLineProblem[]; count: number } | null;
  /** Records of other tasks, counted by task; they are left out. */
  otherTasks: Map<string, number>;
  repeated: RepeatedIds | null;
}

export class ResultsReader {
  private readonly records = new Map<string, SampleRecord>();
  private readonly linesOf = new Map<string, number[]>();
  private readonly problems: RecordLineProblem[] = [];
  private problemCount = 0;
  private readonly otherTasks = new Map<string, number>();

  /** Takes complete lines with their 1-based numbers (from `LineSplitter`). */
  take(lines: ReadonlyArray<{ text: string; line: number }>): void {
    for (const { text, line } of lines) {
      const parsed = parseRecordLine(text, line);
      if (!parsed.ok) {
        this.problemCount++;
        if (this.problems.length < EXAMPLES) this.problems.push(parsed.problem);
        continue;
      }
      const { record } = parsed;
      if (record.task !== "grounding") {
        this.otherTasks.set(record.task, (this.otherTasks.get(record.task) ?? 0) + 1);
        continue;
      }
      this.records.set(record.id, record);
      const seen = this.linesOf.get(record.id);
      if (seen) seen.push(line);
      else this.linesOf.set(record.id, [line]);
    }
  }

  result(): ResultsReading {
    return {
      records: [...this.records.values()].sort((a, b) => a.index - b.index),
      lines: this.problemCount > 0 ? { problems: this.problems, count: this.problemCount } : null,
      otherTasks: this.otherTasks,
      repeated: this.repeatedIds(),
    };
  }

  private repeatedIds(): RepeatedIds | null {
    const repeated = [...this.linesOf].filter(([, lines]) => lines.length > 1);
    if (repeated.length === 0) return null;
    return {
      ids: repeated.length,
      replaced: repeated.reduce((sum, [, lines]) => sum + lines.length - 1, 0),
      examples: repeated.slice(0, EXAMPLES).map(([id, lines]) => ({ id, lines })),
    };
  }
}
