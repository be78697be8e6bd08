/**
 * The decode pool: piscina worker threads, one codec instance per worker.
 *
 * Backpressure: `submit()` waits while piscina's queue is full (its
 * `needsDrain` / `drain`), so a fast parser cannot queue more frames than
 * the workers can take. A worker that dies (WASM abort, out of memory) is
 * replaced by piscina; its frame becomes a DF_ERR_DECODE_WORKER record.
 */
import { once } from 'node:events';
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

  constructor(options: PoolOptions = {}) {
    this.workers = options.workers && options.workers > 0 ? options.workers : availableParallelism();
    this.piscina = new Piscina({
      filename: options.workerFile ?? DEFAULT_WORKER,
      minThreads: this.workers,
      maxThreads: this.workers,
      maxQueue: options.queue ?? this.workers * 2,
      idleTimeout: 30_000,
    });
  }

  /** Resolves when a task can be queued without exceeding the queue bound. */
  async ready(): Promise<void> {
    while (this.piscina.needsDrain) await once(this.piscina, 'drain');
  }

  /**
   * Decodes one frame. Waits for room in the queue first; the frame's buffer is
   * transferred to the worker (the caller must not use `task.bytes` after).
   */
  async submit(task: DecodeTask): Promise<Decoded> {
    await this.ready();
    let out: DecodeOutcome;
    try {
      out = (await this.piscina.run(task, { transferList: [task.bytes.buffer as ArrayBuffer] })) as DecodeOutcome;
    } catch (err) {
      return {
        ok: false,
        error: new DecodeWorkerError(`the decode worker died: ${(err as Error).message}`, { stage: 'decode', file: task.file, frame: task.frameIndex }, { cause: err }),
      };
    }
    if (out.ok) return out;
    return { ok: false, error: errorFromJSON(out.error) };
  }

  /** Frames queued and not yet started. */
  get queued(): number {
    return this.piscina.queueSize;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
