import { registerErrorType } from "../io/error-data.ts";

/** What is wrong with a snapshot, as data: the UI and the hosts switch on `kind`, never on the message. */
export type SnapshotProblem =
  | { kind: "not-qwen3vl"; modelType: string | null; supported: string[] }
  | { kind: "missing-file"; file: string; why: string }
  | { kind: "header-mismatch"; shard: string; tensor: string; detail: string }
  | { kind: "truncated"; shard: string; expectedBytes: number; actualBytes: number };

/** A snapshot the converter cannot read; the message names the snapshot, the file and what to do. */
export class SnapshotError extends Error {
  override readonly name = "SnapshotError";
  constructor(
    readonly snapshot: string,
    readonly problem: SnapshotProblem,
  ) {
    super(snapshotProblemText(snapshot, problem));
  }
}

registerErrorType("SnapshotError", SnapshotError);

function snapshotProblemText(snapshot: string, problem: SnapshotProblem): string {
  switch (problem.kind) {
    case "not-qwen3vl":
      return `${snapshot} is not a Qwen3-VL snapshot: config.json has model_type ${JSON.stringify(problem.modelType)}; expected one of: ${problem.supported.join(", ")}.`;
    case "missing-file":
      return `${snapshot}/${problem.file} is missing: ${problem.why}`;
    case "header-mismatch":
      return `${problem.shard}: tensor ${problem.tensor} ${problem.detail}; the shard's header does not describe its data, download the shard again.`;
    case "truncated":
      return `${problem.shard}: truncated: expected ${problem.expectedBytes} bytes, found ${problem.actualBytes}; download the shard again.`;
  }
}
