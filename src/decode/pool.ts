/**
 * The decode pool: piscina worker threads, one codec instance per worker.
 *
 * Backpressure: at most `workers + queue` frames are in the pool at once;
 * `submit()` and `ready()` wait for room, so a fast parser cannot queue more
 * frames than the workers can take. The bound is counted here rather than
 * read from piscina's `needsDrain`, because several callers awaiting
 * `drain` at once would all pass it and overflow piscina's queue. A worker that dies (WASM abort, out of memory) is
 * replaced by piscina; its frame becomes a DF_ERR_DECODE_WORKER record.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { DecodeWorkerError, errorFromJSON, type DicomflowError } from '../errors.js';
import type { DecodeOutcome, DecodeTask, DecodeTiming } from './task.js';

export interface PoolOptions {
  /** Worker threads; 0 = available cores. */
  workers?: number;
  /** Tasks waiting beyond the running ones before submit() waits. Default: 2 per worker. */
  queue?: number;
  /** Worker module (tests use a stand-in). Default: the compiled dist/decode/worker.js. */
  workerFile?: string;
}

export type Decoded =
  | ({ ok: true; data: Float32Array | Uint8Array; shape: [number, number, number] } & DecodeTiming)
  | { ok: false; error: DicomflowError };

/** The compiled worker, whether this module runs from src/ (tests) or dist/. */
export const DEFAULT_WORKER = fileURLToPath(new URL('../../dist/decode/worker.js', import.meta.url));

export class DecodePool {
  readonly workers: number;
  private readonly piscina: Piscina;
  private readonly limit: number;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  /** Tasks piscina is running or queuing: close() lets them settle first. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(options: PoolOptions = {}) {
    this.workers = options.workers && options.workers > 0 ? options.workers : availableParallelism();
    const queue = options.queue ?? this.workers * 2;
    this.limit = this.workers + queue;
    this.piscina = new Piscina({
      filename: options.workerFile ?? DEFAULT_WORKER,
      minThreads: this.workers,
      maxThreads: this.workers,
      maxQueue: queue + this.workers, // never reached: the bound above is smaller
      idleTimeout: 30_000,
    });
  }

  /** Resolves when a frame can be submitted without exceeding the bound. */
  async ready(): Promise<void> {
    while (this.inFlight >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
  }

  /**
   * Decodes one frame. Waits for room in the queue first; the frame's buffer is
   * transferred to the worker (the caller must not use `task.bytes` after).
   */
  async submit(task: DecodeTask): Promise<Decoded> {
    await this.ready();
    this.inFlight++; // no await between the check in ready() and here: the slot is ours
    let out: DecodeOutcome;
    try {
      const run = this.piscina.run(task, { transferList: [task.bytes.buffer as ArrayBuffer] });
      this.running.add(run);
      run.then(
        () => this.running.delete(run),
        () => this.running.delete(run),
      );
      out = (await run) as DecodeOutcome;
    } catch (err) {
      return {
        ok: false,
        error: new DecodeWorkerError(`the decode worker died: ${(err as Error).message}`, { stage: 'decode', file: task.file, frame: task.frameIndex }, { cause: err }),
      };
    } finally {
      this.inFlight--;
      this.waiters.shift()?.();
    }
    if (out.ok) return out;
    return { ok: false, error: errorFromJSON(out.error) };
  }

  /** Frames submitted and not finished (running or queued). */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * Stops the workers once the frames already handed to them are done: a
   * pipeline stopped early (a limit, a consumer that breaks) still has decodes
   * in flight, and destroying piscina under them makes it throw on their late
   * results.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.running]);
    await this.piscina.destroy();
  }
}
