/**
 * Pull-based reader over a stream of byte chunks of any size.
 *
 * It holds only chunks that have arrived and not yet been consumed: skipping
 * drops chunks as they come, and `readInto` copies straight into the caller's
 * buffer, so a 2 GB file passes through with one chunk held at a time. Nothing
 * here allocates from a length the caller has not checked.
 */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * A source that can jump: after `seek(p)` its next chunk starts at absolute
 * byte p. Local files and HTTP (Range requests) are such sources; skipping
 * a long run of bytes then costs no reading (prefix reads of J2K frames).
 */
export interface SeekableSource extends AsyncIterable<Uint8Array> {
  seek(position: number): void;
}

export function isSeekable(s: unknown): s is SeekableSource {
  return typeof (s as { seek?: unknown }).seek === 'function';
}

/** Skips shorter than this are read through: a new read or request costs more than the bytes. */
export const SEEK_MIN_BYTES = 64 * 1024;

export class ByteReader {
  private readonly it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private chunks: Uint8Array[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private buffered = 0;
  private ended = false;
  /** Absolute offset of the next unread byte. */
  position: number;
  private readonly seekTo: ((position: number) => void) | null;

  constructor(source: ByteSource, startPosition = 0) {
    const s = source as AsyncIterable<Uint8Array> & Iterable<Uint8Array>;
    this.it = typeof s[Symbol.asyncIterator] === 'function' ? s[Symbol.asyncIterator]() : s[Symbol.iterator]();
    this.position = startPosition;
    this.seekTo = isSeekable(source) ? (p) => source.seek(p) : null;
  }

  /** Bytes that have arrived and not been consumed. */
  get available(): number {
    return this.buffered;
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    const v = r.value;
    if (!(v instanceof Uint8Array)) throw new TypeError(`byte source yielded ${typeof v}, expected Uint8Array chunks`);
    if (v.length > 0) {
      this.chunks.push(v);
      this.buffered += v.length;
    }
    return true;
  }

  /** Waits until `n` bytes are buffered; false when the input ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.buffered < n) {
      if (!(await this.pull())) return false;
    }
    return true;
  }

  /** True when no byte is buffered and the input has ended. */
  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1));
  }

  /**
   * A contiguous view of the next `n` buffered bytes (call `ensure(n)` first).
   * The view is valid until the next call that consumes.
   */
  peek(n: number): Uint8Array {
    if (n > this.buffered) throw new RangeError(`peek(${n}) with ${this.buffered} bytes buffered`);
    const first = this.chunks[0];
    if (first === undefined) return new Uint8Array(0);
    if (first.length - this.head >= n) return first.subarray(this.head, this.head + n);
    // Spans chunks: merge just enough of them into one.
    const merged = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    let start = this.head;
    while (filled < n) {
      const c = this.chunks[i]!;
      const take = Math.min(c.length - start, n - filled);
      merged.set(c.subarray(start, start + take), filled);
      filled += take;
      if (start + take === c.length) {
        i++;
        start = 0;
      } else {
        start += take;
      }
    }
    // Replace the merged chunks with [merged, rest of the chunk it stopped in].
    const rest = i < this.chunks.length && start > 0 ? [this.chunks[i]!.subarray(start)] : [];
    this.chunks = [merged, ...rest, ...this.chunks.slice(start > 0 ? i + 1 : i)];
    this.head = 0;
    return merged;
  }

  /** Drops `n` buffered bytes (call `ensure(n)` first). */
  consume(n: number): void {
    if (n > this.buffered) throw new RangeError(`consume(${n}) with ${this.buffered} bytes buffered`);
    this.buffered -= n;
    this.position += n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const left = c.length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /** Skips `n` bytes without keeping them; returns how many were skipped (fewer at end of input). */
  async skip(n: number): Promise<number> {
    if (this.seekTo && !this.ended && n - this.buffered >= SEEK_MIN_BYTES) {
      // Drop what is buffered and have the source continue after the skipped run.
      this.chunks = [];
      this.head = 0;
      this.buffered = 0;
      this.position += n;
      this.seekTo(this.position);
      return n;
    }
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.pull())) break;
      const take = Math.min(left, this.buffered);
      this.consume(take);
      left -= take;
    }
    return n - left;
  }

  /** Fills `target` from the input; returns the bytes written (fewer at end of input). */
  async readInto(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      if (this.buffered === 0 && !(await this.pull())) break;
      const c = this.chunks[0]!;
      const take = Math.min(c.length - this.head, target.length - filled);
      target.set(c.subarray(this.head, this.head + take), filled);
      filled += take;
      this.consume(take);
    }
    return filled;
  }

  /** Yields everything not yet consumed, buffered bytes first (hands the rest of the input to an inflater). */
  async *remaining(): AsyncGenerator<Uint8Array> {
    while (true) {
      if (this.buffered === 0 && !(await this.pull())) return;
      const c = this.chunks[0]!.subarray(this.head);
      this.consume(c.length);
      yield c;
    }
  }

  /** Stops the underlying input early (closes a file stream we no longer need). */
  async close(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (!this.ended) {
      this.ended = true;
      await this.it.return?.();
    }
  }
}
