/**
 * One decode on a decoder object of its own: the lifecycle the WebAssembly
 * codec wrappers share. The object is made for this frame and deleted after
 * it (no output left from an earlier frame can be handed back), the codec's
 * log is collected for this decode alone, and whatever the codec throws
 * becomes a DecodeError, with the module dropped after a WebAssembly trap.
 */
import { decodeFailure } from './errors.js';
import { collectCodecLog, type CodecModuleSpec } from './wasm.js';

export interface FreshDecoderRun<D> {
  decoder: D;
  /** Runs the codec's decode call and returns the lines it printed meanwhile. */
  logged(call: () => void): string[];
}

/**
 * @example
 *   const frame = withFreshDecoder('charls', CHARLS, () => new m.JpegLSDecoder(), reset, ({ decoder, logged }) => {
 *     decoder.getEncodedBuffer(bytes.length).set(bytes);
 *     const log = logged(() => decoder.decode());
 *     return read(decoder, log);
 *   });
 */
export function withFreshDecoder<D extends { delete(): void }, R>(name: string, spec: CodecModuleSpec, make: () => D, reset: () => void, run: (r: FreshDecoderRun<D>) => R): R {
  let decoder: D | undefined;
  let stop: (() => string[]) | undefined;
  try {
    decoder = make();
    return run({
      decoder,
      logged(call) {
        stop = collectCodecLog();
        call();
        const lines = stop();
        stop = undefined;
        return lines;
      },
    });
  } catch (err) {
    const lines = stop ? stop() : [];
    stop = undefined;
    throw decodeFailure(name, spec, err, reset, lines);
  } finally {
    stop?.();
    try {
      decoder?.delete();
    } catch {
      // A trapped instance may not even delete; decodeFailure dropped it.
    }
  }
}

/**
 * Runs `use` on a frame inside withFreshDecoder's `run` (while the decoder,
 * and the heap its pixels may be a view of, still exist), keeping an error
 * `use` throws apart from the codec's own: call it in `run`, and call
 * `rethrow()` after withFreshDecoder returns.
 *
 * @example
 *   const user = userStep(use);
 *   const r = withFreshDecoder(name, spec, make, reset, ({ decoder }) => user.run(frameOf(decoder)));
 *   user.rethrow();
 */
export function userStep<F, T>(use: (frame: F) => T): { run(frame: F): T; rethrow(): void } {
  let failed = false;
  let error: unknown;
  return {
    run(frame) {
      try {
        return use(frame);
      } catch (err) {
        failed = true;
        error = err;
        return undefined as T;
      }
    },
    rethrow() {
      if (failed) throw error;
    },
  };
}
