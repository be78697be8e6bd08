/** Turning what a codec throws into DecodeError. */
import { DecodeError } from '../errors.js';
import { codecLog, dropCodecModule, type CodecModuleSpec } from './wasm.js';

/** True for a WebAssembly trap, after which the module instance must not be reused. */
export function isTrap(err: unknown): boolean {
  // WebAssembly.RuntimeError: matched by name, as Node's types do not declare the WebAssembly namespace.
  return (err instanceof Error && err.constructor.name === 'RuntimeError') || (err instanceof Error && /abort|unreachable|out of bounds/i.test(err.message));
}

/**
 * Embind codecs throw C++ exceptions as numbers (pointers) or strings, and
 * print their reasons through the log: both end up in the message.
 */
export function codecError(codec: string, err: unknown): DecodeError {
  if (err instanceof DecodeError) return err;
  const what = err instanceof Error ? err.message : typeof err === 'number' ? `C++ exception ${err}` : String(err);
  const log = codecLog().slice(-3).join(' | ');
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
export function decodeFailure(codec: string, spec: CodecModuleSpec, err: unknown, reset: () => void): DecodeError {
  if (isTrap(err)) {
    reset();
    dropCodecModule(spec);
  }
  return codecError(codec, err);
}
