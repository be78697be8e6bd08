/**
 * How local files are read (sources.localReads): with synchronous system
 * calls on the main thread, or through libuv's thread pool.
 *
 * A read from the page cache or a fast disk takes tens of microseconds. Sent
 * through the thread pool it costs more than that in the hops around it: a
 * pool thread wakes, then the main thread wakes for the answer, and on a
 * machine whose cores all run decode workers each wake-up preempts one.
 * Measured on the project's 2-core machine (J2K 2048² -> 256², 2 workers,
 * 4 calls per file, 5 interleaved pairs): a median of 0.9% more frames/s,
 * and decode workers preempted 420-590 times per 576 frames instead of about
 * 1,580 (against FileHandle reads: 2-3%). On slow storage (a network file system, a cold disk) a
 * synchronous call blocks the main thread for its whole latency, while the
 * thread pool overlaps the reads of several files; so "auto" times every
 * synchronous call and, after SLOW_CALLS_IN_A_ROW calls in a row slower than
 * SLOW_CALL_MS, reads the rest of that file and the next
 * ASYNC_FILES_AFTER_SLOW files through the pool before it tries again. One
 * slow call is not enough: with every core decoding, the main thread is
 * sometimes preempted in the middle of a fast call.
 */
import { close, closeSync, open, openSync, read, readSync } from 'node:fs';

export type LocalReadsMode = 'auto' | 'sync' | 'async';

/** Synchronous calls slower than this, SLOW_CALLS_IN_A_ROW of them, send reads back to the thread pool ("auto"). */
export const SLOW_CALL_MS = 0.5;
export const SLOW_CALLS_IN_A_ROW = 3;
/** Files read through the thread pool after a slow synchronous call, before the next try ("auto"). */
export const ASYNC_FILES_AFTER_SLOW = 64;

export interface LocalReadCounts {
  /** Files opened with a synchronous call, and through the thread pool. */
  syncFiles: number;
  asyncFiles: number;
  /** Times "auto" went back to the thread pool after a slow synchronous call. */
  slowSwitches: number;
}

/** The open file of one read: calls go synchronous or through the pool as its LocalReads says. */
export interface LocalFile {
  read(buffer: Uint8Array, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * One policy shared by every file of a pipeline run. `now` is injectable so
 * the switching can be tested with a clock that says a call was slow.
 */
export class LocalReads {
  readonly counts: LocalReadCounts = { syncFiles: 0, asyncFiles: 0, slowSwitches: 0 };
  private asyncLeft = 0;
  private slowInARow = 0;

  constructor(
    readonly mode: LocalReadsMode = 'auto',
    readonly now: () => number = () => performance.now(),
  ) {}

  /** Opens `path` for reading; errors are the system's (the caller wraps them). */
  async open(path: string): Promise<LocalFile> {
    let sync = this.mode === 'sync' || (this.mode === 'auto' && this.asyncLeft === 0);
    if (this.mode === 'auto' && this.asyncLeft > 0) this.asyncLeft--;
    let fd: number;
    if (sync) {
      this.counts.syncFiles++;
      const t = this.now();
      fd = openSync(path, 'r');
      sync = this.keep(t);
    } else {
      this.counts.asyncFiles++;
      fd = await new Promise<number>((resolve, reject) => open(path, 'r', (err, f) => (err ? reject(err) : resolve(f))));
    }
    return new OpenLocalFile(this, fd, sync);
  }

  /** After a synchronous call begun at `t`: whether this file's next calls stay synchronous (OpenLocalFile's). */
  keep(t: number): boolean {
    if (this.mode !== 'auto') return true;
    if (this.now() - t <= SLOW_CALL_MS) {
      this.slowInARow = 0;
      return true;
    }
    if (++this.slowInARow < SLOW_CALLS_IN_A_ROW) return true;
    this.slowInARow = 0;
    this.asyncLeft = ASYNC_FILES_AFTER_SLOW;
    this.counts.slowSwitches++;
    return false;
  }
}

/** One open file (a class, not closures made per file: see fileChunks in item.ts). */
class OpenLocalFile implements LocalFile {
  private closed = false;

  constructor(
    private readonly reads: LocalReads,
    private readonly fd: number,
    /** Whether the next call is synchronous; false for good once a call was slow. */
    private sync: boolean,
  ) {}

  async read(buffer: Uint8Array, length: number, position: number): Promise<number> {
    if (this.sync) {
      const t = this.reads.now();
      const n = readSync(this.fd, buffer, 0, length, position);
      this.sync = this.reads.keep(t);
      return n;
    }
    return new Promise<number>((resolve, reject) => read(this.fd, buffer, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sync) return closeSync(this.fd);
    await new Promise<void>((resolve, reject) => close(this.fd, (err) => (err ? reject(err) : resolve())));
  }
}

/** For reads outside a pipeline run (inspect, audit, scans): the thread pool, as before. */
export const POOL_READS = new LocalReads('async');
