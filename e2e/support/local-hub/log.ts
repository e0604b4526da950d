import type { HubOrigin } from "./http.ts";

/** One request the local hub or its CDN received, as it was answered. */
export interface HubRequest {
  origin: HubOrigin;
  method: string;
  /** Path and query as received. */
  url: string;
  repo?: string;
  /** The file's path in the repository, for file reads (resolve, raw, CDN). */
  file?: string;
  revision?: string;
  /** The `Range` header as sent. */
  range?: string;
  /** The bytes asked of the file (end inclusive) when the answer carried file bytes (200 or 206, not a redirect). */
  asked?: { start: number; end: number };
  /** 0 until the status line is sent. */
  status: number;
  /** Body bytes written: the file's bytes for file reads, the JSON for API answers, 0 for a redirect. */
  bytesSent: number;
  /** The kinds of the injected faults that shaped this answer. */
  faults: string[];
  /** Whether the body was sent in full (false while sending, and when dropped, truncated or abandoned). */
  done: boolean;
}

/**
 * Which requests a count or a fault is about: a file (its path in the repository, or the part after its last
 * folder, or a RegExp over the path), or fields to match.
 */
export type RequestFilter = string | RegExp | { file?: string | RegExp; repo?: string; origin?: HubOrigin };

/** Whether a file path is the one `pattern` names: the same path, the same name after a folder, or a match. */
export function fileMatches(pattern: string | RegExp, path: string | undefined): boolean {
  if (path === undefined) return false;
  if (pattern instanceof RegExp) return pattern.test(path);
  return path === pattern || path.endsWith(`/${pattern}`);
}

function matches(filter: RequestFilter | undefined, request: HubRequest): boolean {
  if (filter === undefined) return true;
  if (typeof filter === "string" || filter instanceof RegExp) return fileMatches(filter, request.file);
  if (filter.file !== undefined && !fileMatches(filter.file, request.file)) return false;
  if (filter.repo !== undefined && filter.repo !== request.repo) return false;
  return filter.origin === undefined || filter.origin === request.origin;
}

/** Every request, in arrival order, with the sums tests ask for. */
export class RequestLog {
  readonly entries: HubRequest[] = [];

  add(request: Omit<HubRequest, "status" | "bytesSent" | "faults" | "done">): HubRequest {
    const entry: HubRequest = { ...request, status: 0, bytesSent: 0, faults: [], done: false };
    this.entries.push(entry);
    return entry;
  }

  /** Body bytes sent for the matching requests (all requests without a filter). */
  bytesServed(filter?: RequestFilter): number {
    return this.entries.filter((entry) => matches(filter, entry)).reduce((sum, entry) => sum + entry.bytesSent, 0);
  }

  /** The byte ranges (end inclusive) asked of the matching files by reads answered with their bytes, in order. */
  rangesRequested(filter?: RequestFilter): { start: number; end: number }[] {
    return this.entries.flatMap((entry) => (entry.asked && matches(filter, entry) ? [entry.asked] : []));
  }

  /** The matching requests. */
  filter(filter?: RequestFilter): HubRequest[] {
    return this.entries.filter((entry) => matches(filter, entry));
  }

  clear(): void {
    this.entries.length = 0;
  }
}
