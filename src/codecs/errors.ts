/** Turning what a codec throws into DecodeError. */
import { DecodeError } from '../errors.js';
import type { DecodeWarning } from '../preprocess/types.js';
import { dropCodecModule, type CodecModuleSpec } from './wasm.js';

/** True for a WebAssembly trap, after which the module instance must not be reused. */
export function isTrap(err: unknown): boolean {
  // WebAssembly.RuntimeError: matched by name, as Node's types do not declare the WebAssembly namespace.
  return (err instanceof Error && err.constructor.name === 'RuntimeError') || (err instanceof Error && /abort|unreachable|out of bounds/i.test(err.message));
}

/**
 * Embind codecs throw C++ exceptions as numbers (pointers) or strings, and
 * print their reasons through the log: both end up in the message.
 */
export function codecError(codec: string, err: unknown, lines: readonly string[] = []): DecodeError {
  if (err instanceof DecodeError) return err;
  const what = err instanceof Error ? err.message : typeof err === 'number' ? `C++ exception ${err}` : String(err);
  // Only what this decode printed: the shared log holds other codecs' lines too.
  const log = lines.filter((l) => !/^\[INFO\]/.test(l)).slice(-3).join(' | ');
  return new DecodeError(`${codec} could not decode the frame: ${what}${log ? ` (codec log: ${log})` : ''}`, { stage: 'decode' }, { cause: err, details: { codec, trap: isTrap(err) } });
}

/** The codestream says one thing, the DICOM header another: decoding would misplace every pixel (or allocate without bound). */
export function mismatch(codec: string, what: string, stream: number | string, header: number | string): DecodeError {
  return new DecodeError(`${codec} codestream ${what} is ${stream} but the DICOM header says ${header}`, { stage: 'decode' }, { details: { codec, what, stream, header } });
}

/**
 * The DecodeError for a failed decode. After a WASM trap the module instance
 * cannot be trusted again: `reset` forgets the decoder object and the module
 * is dropped, so the next frame gets a fresh instance.
 */
export function decodeFailure(codec: string, spec: CodecModuleSpec, err: unknown, reset: () => void, lines: readonly string[] = []): DecodeError {
  if (isTrap(err)) {
    reset();
    dropCodecModule(spec);
  }
  return codecError(codec, err, lines);
}

/** What to do with a frame the codec decoded only in part (config decode.partial). */
export type PartialPolicy = 'error' | 'allow';

/**
 * A frame decoded only in part: DF_ERR_DECODE, or with decode.partial
 * "allow" a DF_WARN_PARTIAL_DECODE warning that travels with the frame.
 * Never silent: a cut-short scan comes back from the codecs as a full-size
 * image whose missing rows are invented.
 */
export function partialDecode(codec: string, reason: string, policy: PartialPolicy | undefined): DecodeWarning {
  const message = `${codec} decoded the frame only in part: ${reason}`;
  if (policy !== 'allow') {
    throw new DecodeError(`${message} (set decode.partial to "allow" to keep such frames, reported as warnings)`, { stage: 'decode' }, { details: { codec, partial: true, reason } });
  }
  return { code: 'DF_WARN_PARTIAL_DECODE', message, details: { codec, reason } };
}
