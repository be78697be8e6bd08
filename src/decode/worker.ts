/**
 * The piscina worker: decodes one frame per task. Codecs initialise once per
 * worker, lazily, on the first frame that needs them. The sample's buffer is
 * transferred back to the main thread, not copied.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { decodeFrame } from './decode-frame.js';
import type { DecodeOutcome, DecodeTask } from './task.js';

/** Piscina's protocol for returning a value with a transfer list (it must also go through move()). */
class Moved {
  constructor(
    private readonly value: DecodeOutcome,
    private readonly list: ArrayBuffer[],
  ) {}
  get [transferableSymbol](): ArrayBuffer[] {
    return this.list;
  }
  get [valueSymbol](): DecodeOutcome {
    return this.value;
  }
}

export default async function decode(task: DecodeTask): Promise<unknown> {
  // For the pool's time limit: it counts from here, not from when the task was queued.
  if (task.started) task.started[0] = Date.now();
  const out = await decodeFrame(task);
  return out.ok ? move(new Moved(out, [out.data.buffer as ArrayBuffer]) as unknown as ArrayBuffer) : out;
}
