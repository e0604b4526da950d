import { setTimeout as sleep } from "node:timers/promises";
import type { HubOrigin } from "./http.ts";
import { fileMatches } from "./log.ts";
import type { OldCommits } from "./repos.ts";

/** What goes wrong. */
export type FaultKind =
  /** The request is answered with this status (500, 503, 429 …) and the hub's JSON error body. */
  | { kind: "status"; status: number; message?: string; retryAfterSeconds?: number }
  /** The connection is reset (TCP RST) after `afterBytes` body bytes: a connection dropped mid-response. */
  | { kind: "drop"; afterBytes: number }
  /** The headers promise the full length, `afterBytes` are sent, then the connection is closed cleanly (FIN). */
  | { kind: "truncate"; afterBytes: number }
  /** A ranged read is answered 206 with an honest `Content-Range` covering only its first `bytes` bytes. */
  | { kind: "short"; bytes: number }
  /** After `afterBytes` body bytes the response waits until `release()`, the rule's removal, or the client leaves. */
  | { kind: "stall"; afterBytes: number }
  /** Body bytes at no more than `bytesPerSecond`, shared by every response the rule shapes. */
  | { kind: "slow"; bytesPerSecond: number }
  /**
   * Before this request is answered, the file changes on `main` (new commit, new content, new ETag): to `content`,
   * or by default to the same bytes with the last one inverted. Fires on hub requests only.
   */
  | { kind: "change"; content?: Uint8Array; oldCommits?: OldCommits };

/** Which requests a rule may fire on, and how often. */
export interface FaultTarget {
  /** Only this repository's requests. */
  repo?: string;
  /** Only reads of this file: its path in the repository, its path after a folder, or a RegExp over the path. */
  file?: string | RegExp;
  /** `files` (resolve, raw and CDN reads, the default) or `api` (model info, tree, paths-info). */
  on?: "files" | "api";
  /** Only requests to the hub or to its CDN. */
  origin?: HubOrigin;
  method?: "GET" | "HEAD" | "POST";
  /** Only ranged reads starting at this byte or later. */
  fromByte?: number;
  /** Matching requests let through before the rule fires (default 0). */
  skip?: number;
  /** How many times it fires before it is spent (default 1; `Infinity` for a lasting rule such as a rate limit). */
  times?: number;
}

/** A fault and where it strikes. */
export type FaultRule = FaultTarget & FaultKind;

/** A rule once registered: how often it fired; `remove()` retires it, `release()` frees responses it stalls. */
export interface FaultHandle {
  readonly fired: number;
  remove(): void;
  release(): void;
}

/** What the hub knows of a request when it asks which faults apply. */
export interface RequestFacts {
  origin: HubOrigin;
  method: string;
  api: boolean;
  repo?: string;
  file?: string;
  /** First byte asked, for ranged reads. */
  rangeStart?: number;
  /** Body bytes the answer would carry, when it carries file bytes. */
  bodyLength?: number;
}

/** Shares a rate among responses: each piece waits for its slot. */
export class Pace {
  private next = 0;
  constructor(readonly bytesPerSecond: number) {}

  /** Pieces small enough for a smooth rate (20 per second). */
  get step(): number {
    return Math.max(1024, Math.floor(this.bytesPerSecond / 20));
  }

  async wait(bytes: number): Promise<void> {
    const now = performance.now();
    this.next = Math.max(now, this.next) + (bytes / this.bytesPerSecond) * 1000;
    if (this.next > now) await sleep(this.next - now);
  }
}

interface ActiveRule {
  rule: FaultRule;
  fired: number;
  skipped: number;
  pace?: Pace;
  released: Promise<void>;
  release: () => void;
}

/** Faults that shape a response's body, taken together. */
export interface BodyFaults {
  short?: number;
  cut?: { kind: "drop" | "truncate" | "stall"; afterBytes: number; released: Promise<void> };
  pace?: Pace;
  kinds: string[];
}

const EARLY_KINDS = new Set(["status", "change"]);

/** The registered rules, in order; the first applicable rule of each kind fires. */
export class FaultBook {
  private rules: ActiveRule[] = [];
  /** Spent rules too: a stall outlives its rule until released. */
  private readonly everAdded: ActiveRule[] = [];

  add(rule: FaultRule): FaultHandle {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const active: ActiveRule = { rule, fired: 0, skipped: 0, released, release };
    if (rule.kind === "slow") active.pace = new Pace(rule.bytesPerSecond);
    this.rules.push(active);
    this.everAdded.push(active);
    return {
      get fired() {
        return active.fired;
      },
      remove: () => this.retire(active),
      release,
    };
  }

  /** Retires every rule and frees every stalled response. */
  clear(): void {
    for (const active of this.everAdded) this.retire(active);
    this.everAdded.length = 0;
  }

  /** The first status or change fault that fires on this request, before it is answered. */
  takeEarly(facts: RequestFacts): FaultKind | undefined {
    const active = this.rules.find(
      (candidate) =>
        EARLY_KINDS.has(candidate.rule.kind) &&
        (candidate.rule.kind !== "change" || facts.origin === "hub") &&
        this.strikes(candidate, facts),
    );
    if (!active) return undefined;
    this.fire(active);
    return active.rule;
  }

  /** The faults that shape a body of `facts.bodyLength` bytes. */
  takeBody(facts: RequestFacts): BodyFaults {
    const length = facts.bodyLength ?? 0;
    const faults: BodyFaults = { kinds: [] };
    const applies = (active: ActiveRule): boolean => {
      const { rule } = active;
      if (rule.kind === "short")
        return faults.short === undefined && facts.rangeStart !== undefined && length > rule.bytes;
      if (rule.kind === "slow") return faults.pace === undefined && length > 0;
      if (rule.kind === "drop" || rule.kind === "truncate" || rule.kind === "stall") {
        return faults.cut === undefined && length > rule.afterBytes;
      }
      return false;
    };
    for (const active of [...this.rules]) {
      if (!applies(active) || !this.strikes(active, facts)) continue;
      const { rule } = active;
      if (rule.kind === "short") faults.short = rule.bytes;
      if (rule.kind === "slow") faults.pace = active.pace;
      if (rule.kind === "drop" || rule.kind === "truncate" || rule.kind === "stall") {
        faults.cut = { kind: rule.kind, afterBytes: rule.afterBytes, released: active.released };
      }
      faults.kinds.push(rule.kind);
      this.fire(active);
    }
    return faults;
  }

  /** Whether the rule targets this request and has let its `skip` requests through. */
  private strikes(active: ActiveRule, facts: RequestFacts): boolean {
    const { rule } = active;
    if ((rule.on ?? "files") === "api" ? !facts.api : facts.api) return false;
    if (rule.repo !== undefined && rule.repo !== facts.repo) return false;
    if (rule.file !== undefined && !fileMatches(rule.file, facts.file)) return false;
    if (rule.origin !== undefined && rule.origin !== facts.origin) return false;
    if (rule.method !== undefined && rule.method !== facts.method) return false;
    if (rule.fromByte !== undefined && (facts.rangeStart ?? -1) < rule.fromByte) return false;
    if (active.skipped < (rule.skip ?? 0)) {
      active.skipped++;
      return false;
    }
    return true;
  }

  private fire(active: ActiveRule): void {
    active.fired++;
    if (active.fired >= (active.rule.times ?? 1)) this.rules = this.rules.filter((other) => other !== active);
  }

  private retire(active: ActiveRule): void {
    this.rules = this.rules.filter((other) => other !== active);
    active.release();
  }
}
