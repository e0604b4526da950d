/**
 * How long a sweep takes on this device: the time per chip measured on its first chips and refined as it runs (the
 * median, so one slow chip — a shader compiled, a tile fetched slowly — does not swing the estimate).
 */
export class ChipTimer {
  private readonly times: number[] = [];

  /** Starts from earlier measurements of the same model and chip size on this device, when there are any. */
  constructor(earlier: readonly number[] = []) {
    for (const ms of earlier) this.record(ms);
  }

  /** Adds one chip's time, crop to record, in milliseconds. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    let at = this.times.length;
    while (at > 0 && this.times[at - 1] > ms) at--;
    this.times.splice(at, 0, ms);
  }

  /** Chips measured so far. */
  get count(): number {
    return this.times.length;
  }

  /** The median time per chip in seconds, or null before the first chip. */
  secondsPerChip(): number | null {
    const n = this.times.length;
    if (n === 0) return null;
    const middle = Math.floor(n / 2);
    const median = n % 2 === 1 ? this.times[middle] : (this.times[middle - 1] + this.times[middle]) / 2;
    return median / 1000;
  }

  /** Seconds for `chips` more chips at the measured rate, or null before the first chip. */
  secondsFor(chips: number): number | null {
    const perChip = this.secondsPerChip();
    return perChip === null ? null : perChip * chips;
  }

  /** A copy of the measurements (the last `keep`), for the next sweep's first estimate. */
  recent(keep = 20): number[] {
    return this.times.length <= keep ? [...this.times] : sample(this.times, keep);
  }
}

/** `keep` values spread evenly over a sorted list, so its median survives. */
function sample(sorted: readonly number[], keep: number): number[] {
  return Array.from({ length: keep }, (_, i) => sorted[Math.floor(((i + 0.5) * sorted.length) / keep)]);
}
