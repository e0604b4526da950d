/** Rows [first, first + count) of a tensor, quantised as one job. */
export interface PlannedSlice {
  tensor: string;
  first: number;
  count: number;
}

/**
 * Launches slice jobs ahead of use, in the order a plan says they will be taken, across tensor boundaries, so the
 * workers never wait while one tensor's last slices are written and the next tensor begins. At most `budget` jobs
 * are launched and not yet taken (each result waits in memory until taken); launching starts with the first take, so
 * slices passed over before it (a resumed conversion stepping over what it wrote) are never launched. A slice taken
 * out of plan order is simply launched then.
 */
export class SlicePrefetcher<T> {
  private readonly launched: { slice: PlannedSlice; job: Promise<T> }[] = [];
  private next = 0;
  /** Slices taken that the plan did not foresee at that point (each launched on the spot). */
  unplanned = 0;

  constructor(
    private readonly plan: PlannedSlice[],
    private readonly launch: (slice: PlannedSlice) => Promise<T>,
    private readonly budget: number,
  ) {}

  /** The job for `slice`: the one launched ahead when it is next in the plan, else a new one. */
  take(slice: PlannedSlice): Promise<T> {
    this.fill();
    const head = this.launched[0];
    if (!head || !sameSlice(head.slice, slice)) {
      this.unplanned++;
      return this.launch(slice);
    }
    this.launched.shift();
    this.fill();
    return head.job;
  }

  /** Notes that `slice`, next in the plan, will not be taken: it is dropped (or, launched already, discarded). */
  pass(slice: PlannedSlice): void {
    const head = this.launched[0];
    if (head && sameSlice(head.slice, slice)) {
      this.launched.shift();
      return;
    }
    if (this.launched.length === 0 && this.next < this.plan.length && sameSlice(this.plan[this.next], slice))
      this.next++;
  }

  private fill(): void {
    while (this.launched.length < this.budget && this.next < this.plan.length) {
      const slice = this.plan[this.next++];
      const job = this.launch(slice);
      job.catch(() => undefined); // awaited when taken; this only keeps an early failure from going unhandled
      this.launched.push({ slice, job });
    }
  }
}

function sameSlice(a: PlannedSlice, b: PlannedSlice): boolean {
  return a.tensor === b.tensor && a.first === b.first && a.count === b.count;
}
