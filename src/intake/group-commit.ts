export interface GroupCommitOptions {
  /** Most items one call of `run` takes. */
  readonly maxBatch: number;
  /** Most calls of `run` at once; further items wait and leave together as the next batch. */
  readonly maxInFlight: number;
}

interface Waiting<I, O> {
  readonly item: I;
  resolve(result: O): void;
  reject(err: unknown): void;
}

/**
 * Group commit: callers submit one item each; while `maxInFlight` calls of `run` are busy, new
 * items queue up and leave together in the next call. An item that finds a free slot leaves at
 * once, alone, so an idle service answers as fast as without batching, and a busy one pays a
 * round trip, a statement and a commit per batch instead of per item. Nothing is delayed on a
 * timer. `run` answers each item (fulfilled or rejected, as Promise.allSettled does); if `run`
 * itself fails, every item of that batch fails with its error.
 */
export class GroupCommit<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: readonly I[]) => Promise<readonly PromiseSettledResult<O>[]>,
    private readonly options: GroupCommitOptions,
  ) {
    if (options.maxBatch < 1 || options.maxInFlight < 1) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.send(batch);
    }
  }

  private async send(batch: readonly Waiting<I, O>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`a batch of ${batch.length} items returned ${results.length} results`);
      }
      batch.forEach((w, i) => {
        const result = results[i] as PromiseSettledResult<O>;
        if (result.status === 'fulfilled') w.resolve(result.value);
        else w.reject(result.reason);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.inFlight--;
      this.dispatch();
    }
  }
}
