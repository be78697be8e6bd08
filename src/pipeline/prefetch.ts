/**
 * Pulls up to `ahead` items from an async iterator before they are asked
 * for, so work behind them (reading, decoding) overlaps with the consumer.
 * The bound is the backpressure: when `ahead` items wait, pulling stops.
 */
export class Prefetcher<T> implements AsyncIterableIterator<T> {
  private readonly buffer: IteratorResult<T>[] = [];
  private waiting: (() => void) | null = null;
  private room: (() => void) | null = null;
  private failure: { error: unknown } | null = null;
  private done = false;
  private closed = false;
  private readonly pump: Promise<void>;

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly ahead: number,
  ) {
    if (!(ahead >= 1)) throw new RangeError(`prefetch needs ahead >= 1 (got ${ahead})`);
    this.pump = this.run();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  private async run(): Promise<void> {
    try {
      while (!this.closed) {
        if (this.buffer.length >= this.ahead) {
          await new Promise<void>((r) => (this.room = r));
          continue;
        }
        const r = await this.source.next();
        if (this.closed) break;
        this.buffer.push(r);
        this.wake();
        if (r.done) break;
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.done = true;
      this.wake();
    }
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      const r = this.buffer.shift();
      if (r) {
        const room = this.room;
        this.room = null;
        room?.();
        return r;
      }
      if (this.failure) throw this.failure.error;
      if (this.done) return { done: true, value: undefined };
      await new Promise<void>((res) => (this.waiting = res));
    }
  }

  /** Stops pulling and closes the source (e.g. closes the file being read). */
  async return(): Promise<IteratorResult<T>> {
    this.closed = true;
    const room = this.room;
    this.room = null;
    room?.();
    await this.pump;
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
