import type { FetchProblem } from "../io/source";

/** How one tile the map asked for came back. */
export type TileOutcome =
  | { kind: "tile" }
  | { kind: "missing"; url: string }
  | { kind: "failed"; url: string; problem: FetchProblem | null; reason: string };

/** Why a source shows no imagery, as data: the source panel words it. */
export type ImageryProblem =
  | { kind: "no-tiles"; tiles: number; exampleUrl: string }
  | { kind: "failed"; url: string; problem: FetchProblem | null; reason: string };

/** Tiles answered "no tile" in a row, none loaded, before the source is reported as serving nothing. */
export const MISSING_TILES_LIMIT = 6;
/** Failed tiles in a row, after some loaded, before a working source is reported as failing. */
export const FAILED_TILES_LIMIT = 6;

/**
 * Watches the tiles of one source as the map reads them and says when it shows no imagery: every tile so far a 404,
 * a first tile that fails, or a run of failures after tiles had loaded. Reports once, until a tile loads again.
 */
export class TileHealth {
  private loaded = 0;
  private missingInRow = 0;
  private failedInRow = 0;
  private reported = false;

  /** Records an outcome; returns the problem to show when this outcome is the one that makes it clear. */
  record(outcome: TileOutcome): ImageryProblem | null {
    if (outcome.kind === "tile") {
      this.loaded++;
      this.missingInRow = 0;
      this.failedInRow = 0;
      this.reported = false;
      return null;
    }
    if (outcome.kind === "missing") {
      this.missingInRow++;
      if (this.loaded > 0 || this.missingInRow < MISSING_TILES_LIMIT) return null;
      return this.report({ kind: "no-tiles", tiles: this.missingInRow, exampleUrl: outcome.url });
    }
    this.failedInRow++;
    if (this.loaded > 0 && this.failedInRow < FAILED_TILES_LIMIT) return null;
    const { url, problem, reason } = outcome;
    return this.report({ kind: "failed", url, problem, reason });
  }

  private report(problem: ImageryProblem): ImageryProblem | null {
    if (this.reported) return null;
    this.reported = true;
    return problem;
  }
}

/** The sentence for a source's problem: what happened, with the source's name, and what to do. */
export function imageryProblemText(sourceName: string, problem: ImageryProblem): string {
  if (problem.kind === "no-tiles") {
    return (
      `${sourceName} shows nothing: its server answered 404 (no tile) to all ${problem.tiles} tiles the map asked ` +
      `for, e.g. ${problem.exampleUrl}. Check the template's path and the order of {z}, {x} and {y} (or {-y} for ` +
      "TMS rows), or move the map to where the source has imagery."
    );
  }
  switch (problem.problem?.kind) {
    case "no-cors":
      return (
        `${sourceName} cannot be shown: its server does not let this page read its tiles (no CORS header, ` +
        `Access-Control-Allow-Origin) for ${problem.url}. Use a source that allows cross-origin reads, the offline ` +
        "sample, or pack the area into a PMTiles file with `npm run pack-area`."
      );
    case "unreachable":
      return `${sourceName} cannot be shown: ${problem.url} cannot be reached. Check the template's host and the network.`;
    case "http-status":
      return (
        `${sourceName} cannot be shown: its server answered HTTP ${problem.problem.status} for ${problem.url}. ` +
        "Check the template and that the server serves these tiles."
      );
    default:
      return `${sourceName} cannot be shown: ${problem.reason}`;
  }
}
