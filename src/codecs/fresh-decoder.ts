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
 * `run` decodes and returns the frame; `use` (by default the frame itself)
 * then runs while the decoder, and the heap its output may be a view of,
 * still exist. What `run` throws becomes a DecodeError; what `use` throws
 * comes out as it is.
 *
 * @example
 *   const frame = withFreshDecoder('charls', CHARLS, () => new m.JpegLSDecoder(), reset, ({ decoder, logged }) => {
 *     decoder.getEncodedBuffer(bytes.length).set(bytes);
 *     const log = logged(() => decoder.decode());
 *     return read(decoder, log);
 *   });
 */
export function withFreshDecoder<D extends { delete(): void }, F, R = F>(
  name: string,
  spec: CodecModuleSpec,
  make: () => D,
  reset: () => void,
  run: (r: FreshDecoderRun<D>) => F,
  use: (frame: F) => R = (frame) => frame as unknown as R,
): R {
  let decoder: D | undefined;
  let stop: (() => string[]) | undefined;
  try {
    let frame: F;
    try {
      decoder = make();
      frame = run({
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
    }
    return use(frame);
  } finally {
    stop?.();
    try {
      decoder?.delete();
    } catch {
      // A trapped instance may not even delete; decodeFailure dropped it.
    }
  }
}
