/**
 * A seeded shuffle buffer, as tf.data's `shuffle(bufferSize, seed)`: keeps
 * `size` items and emits a random one as each new item arrives. The same seed
 * and input give the same order on every run.
 */
import { createRandom } from '../synth/random.js';

export async function* shuffled<T>(source: AsyncIterable<T>, size: number, seed: number): AsyncGenerator<T> {
  if (size <= 1) {
    yield* source;
    return;
  }
  const rng = createRandom(seed);
  const buffer: T[] = [];
  for await (const item of source) {
    if (buffer.length < size) {
      buffer.push(item);
      continue;
    }
    const k = rng.int(size);
    const out = buffer[k]!;
    buffer[k] = item;
    yield out;
  }
  while (buffer.length > 0) {
    const k = rng.int(buffer.length);
    const out = buffer[k]!;
    buffer[k] = buffer[buffer.length - 1]!;
    buffer.pop();
    yield out;
  }
}
