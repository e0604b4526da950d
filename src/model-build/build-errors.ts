import { registerErrorType } from "../io/error-data";
import { formatBytes } from "../model/manifest";

/** Why a build cannot go on, as data: the UI switches on `kind`, never on the message. */
export type BuildProblem =
  /** 401/403: a gated or private repository (or a token it does not accept) */
  | { kind: "needs-access"; repo: string; status: number; gated: boolean; tokenGiven: boolean }
  /** the repository, the revision or the subfolder does not exist (404) */
  | {
      kind: "not-found";
      what: "repository" | "revision" | "subfolder";
      name: string;
      /** the hub's status: 401 for a repository it hides from a request without a token (missing or private) */
      status: 401 | 404;
    }
  /** a file changed on the server while it was being read (its ETag) */
  | { kind: "source-changed"; file: string; before: string; after: string }
  /** the browser's storage for this site is full */
  | { kind: "storage-full"; neededBytes: number; availableBytes: number | null }
  /** another tab of this browser builds the same model */
  | { kind: "building-elsewhere"; model: string }
  /** this browser lacks what a build needs (the Origin Private File System in workers) */
  | { kind: "unsupported"; missing: string };

/** A build that cannot go on; the message names the thing and what to do. */
export class BuildError extends Error {
  override readonly name = "BuildError";
  constructor(readonly problem: BuildProblem) {
    super(buildProblemText(problem));
  }
}

registerErrorType("BuildError", BuildError);

function buildProblemText(problem: BuildProblem): string {
  switch (problem.kind) {
    case "needs-access":
      return problem.tokenGiven
        ? `${problem.repo}: the hub refused the access token (HTTP ${problem.status}). Check that the token is valid and has read access${problem.gated ? ", and that you accepted the repository's conditions on its page" : ""}.`
        : `${problem.repo} needs access (HTTP ${problem.status}): it is ${problem.gated ? "gated — accept its conditions on the repository's page, then" : "private or gated —"} enter a Hugging Face access token with read access (it is kept in this tab's memory only).`;
    case "not-found":
      return problem.status === 401
        ? `${problem.name}: no such repository on the hub, or a private one (HTTP 401); check the spelling, or enter an access token that can read it.`
        : `${problem.name}: no such ${problem.what} on the hub (HTTP 404); check the spelling${problem.what === "revision" ? " of the branch, tag or commit" : ""}.`;
    case "source-changed":
      return `${problem.file} changed on the server while it was read (ETag ${problem.before} → ${problem.after}); the build starts that file's work again from the new version, so the model never mixes two versions.`;
    case "storage-full":
      return `The browser's storage for this site is full: ${formatBytes(problem.neededBytes)} more are needed${problem.availableBytes === null ? "" : ` and ${formatBytes(problem.availableBytes)} are free`}. Free space (delete other built or cached models, or files on this disk), then resume: the finished pieces are kept.`;
    case "building-elsewhere":
      return `${problem.model} is being built in another tab of this browser; follow it there, or close that tab to build it here.`;
    case "unsupported":
      return `This browser cannot build models: it lacks ${problem.missing}. Use a recent Chrome, Edge or Firefox, or convert on a computer with npm run convert.`;
  }
}
