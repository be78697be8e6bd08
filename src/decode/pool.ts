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
import { DecodeTimeoutError, DecodeWorkerError, errorFromJSON, type DicomflowError } from '../errors.js';
import type { DecodeWarning } from '../preprocess/types.js';
import type { DecodeOutcome, DecodeTask, DecodeTiming } from './task.js';

export interface PoolOptions {
  /** Worker threads; 0 = available cores. */
  workers?: number;
  /** Tasks waiting beyond the running ones before submit() waits. Default: 2 per worker. */
  queue?: number;
  /** Worker module (tests use a stand-in). Default: the compiled dist/decode/worker.js. */
  workerFile?: string;
  /**
   * Longest a frame's decode may run, from the moment a worker starts it
   * (decode.timeoutMs); a worker stuck inside a codec past it is terminated
   * and replaced, and the frame becomes DF_ERR_DECODE_TIMEOUT. 0 = no limit.
   * Default 30000.
   */
  timeoutMs?: number;
  /** decode.wasmDir: the folder the workers load the codec binaries from (null: the codec packages). */
  wasmDir?: string | null;
}

export const DEFAULT_DECODE_TIMEOUT_MS = 30_000;

export type Decoded =
  | ({ ok: true; data: Float32Array | Uint8Array; shape: [number, number, number]; warnings?: DecodeWarning[] } & DecodeTiming)
  | { ok: false; error: DicomflowError };

/** The compiled worker, whether this module runs from src/ (tests) or dist/. */
export const DEFAULT_WORKER = fileURLToPath(new URL('../../dist/decode/worker-entry.cjs', import.meta.url));

export class DecodePool {
  readonly workers: number;
  readonly timeoutMs: number;
  private readonly piscina: Piscina;
  private readonly limit: number;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  /** Tasks piscina is running or queuing: close() lets them settle first. */
  private readonly running = new Set<Promise<unknown>>();

  constructor(options: PoolOptions = {}) {
    this.workers = options.workers && options.workers > 0 ? options.workers : availableParallelism();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS;
    const queue = options.queue ?? this.workers * 2;
    this.limit = this.workers + queue;
    this.piscina = new Piscina({
      filename: options.workerFile ?? DEFAULT_WORKER,
      minThreads: this.workers,
      maxThreads: this.workers,
      maxQueue: queue + this.workers, // never reached: the bound above is smaller
      idleTimeout: 30_000,
      // Workers start with a copy of the environment: the binary folder travels there.
      ...(options.wasmDir ? { env: { ...process.env, DICOMFLOW_WASM_DIR: options.wasmDir } } : {}),
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
    const watchdog = this.timeoutMs > 0 ? new Watchdog(this.timeoutMs) : null;
    let out: DecodeOutcome;
    try {
      const run = this.piscina.run(watchdog ? { ...task, started: watchdog.started } : task, {
        transferList: [task.bytes.buffer as ArrayBuffer],
        ...(watchdog ? { signal: watchdog.signal } : {}),
      });
      this.running.add(run);
      run.then(
        () => this.running.delete(run),
        () => this.running.delete(run),
      );
      out = (await run) as DecodeOutcome;
    } catch (err) {
      const where = { stage: 'decode' as const, file: task.file, frame: task.frameIndex };
      if (watchdog?.fired) {
        return {
          ok: false,
          error: new DecodeTimeoutError(`decoding the frame took longer than decode.timeoutMs (${this.timeoutMs} ms); its worker was stopped and replaced`, where, {
            cause: err,
            details: { timeoutMs: this.timeoutMs },
          }),
        };
      }
      return { ok: false, error: new DecodeWorkerError(`the decode worker died: ${(err as Error).message}`, where, { cause: err }) };
    } finally {
      watchdog?.stop();
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

/**
 * The decode time limit of one task. The worker writes its start time into
 * shared memory (`started`); the timer re-arms while the task is still
 * queued, so waiting behind other frames never counts against the limit.
 */
class Watchdog {
  readonly started = new Float64Array(new SharedArrayBuffer(8));
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  fired = false;

  constructor(private readonly limitMs: number) {
    this.arm(limitMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), ms);
    this.timer.unref();
  }

  private check(): void {
    const t0 = this.started[0]!;
    if (t0 === 0) return this.arm(this.limitMs); // still queued
    const left = t0 + this.limitMs - Date.now();
    if (left > 0) return this.arm(left);
    this.fired = true;
    this.controller.abort(new Error('decode time limit'));
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
