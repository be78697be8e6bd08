/**
 * Every error dicomflow raises is a DicomflowError with a stable `code`
 * (`DF_ERR_*`, like undici's `UND_ERR_*`) and a `where` that says which file,
 * frame, byte offset and stage it came from. Codes are part of the public
 * contract: scripts match on them, so never rename one.
 */

export type Stage = 'config' | 'cli' | 'source' | 'parse' | 'decode' | 'batch' | 'dataset' | 'train' | 'bench';

export interface Where {
  stage?: Stage;
  /** Path or URL of the input. */
  file?: string;
  /** Zero-based frame index. */
  frame?: number;
  /**
   * Byte offset in the input. For deflated files, offsets past the File Meta
   * group count bytes of the inflated data set (`inflated: true`).
   */
  offset?: number;
  inflated?: boolean;
  /** Config field, for config errors. */
  field?: string;
}

export interface SerializedError {
  code: string;
  message: string;
  where: Where;
  details?: Record<string, unknown>;
}

export class DicomflowError extends Error {
  readonly code: string = 'DF_ERR_INTERNAL';
  readonly where: Where;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, where: Where = {}, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.where = where;
    this.details = options.details;
  }

  /** The message with its location, as printed to users. */
  describe(): string {
    const w = this.where;
    const at: string[] = [];
    if (w.file !== undefined) at.push(w.file);
    if (w.frame !== undefined) at.push(`frame ${w.frame}`);
    if (w.offset !== undefined) at.push(`${w.inflated ? 'inflated ' : ''}byte ${w.offset}`);
    return at.length ? `${this.code}: ${this.message} (${at.join(', ')})` : `${this.code}: ${this.message}`;
  }

  toJSON(): SerializedError {
    const out: SerializedError = { code: this.code, message: this.message, where: this.where };
    if (this.details) out.details = this.details;
    return out;
  }
}

/** A value in pipeline.config.json or on the command line is wrong. */
export class ConfigError extends DicomflowError {
  override readonly code = 'DF_ERR_CONFIG';
}
/** The command line itself is wrong (unknown command or flag, missing argument). */
export class UsageError extends DicomflowError {
  override readonly code = 'DF_ERR_USAGE';
}
/** A path, glob or manifest entry cannot be read. */
export class SourceError extends DicomflowError {
  override readonly code = 'DF_ERR_SOURCE';
}
/** The manifest CSV is malformed. */
export class ManifestError extends DicomflowError {
  override readonly code = 'DF_ERR_MANIFEST';
}
/** The bytes are not DICOM (no DICM marker and no plausible data set). */
export class NotDicomError extends DicomflowError {
  override readonly code = 'DF_ERR_NOT_DICOM';
}
/** The input ended inside the File Meta group or the data set, before the pixel data. */
export class TruncatedHeaderError extends DicomflowError {
  override readonly code = 'DF_ERR_TRUNCATED_HEADER';
}
/** The input ended inside the pixel data; complete frames before it were delivered. */
export class TruncatedPixelDataError extends DicomflowError {
  override readonly code = 'DF_ERR_TRUNCATED_PIXEL_DATA';
}
/** An element declares more bytes than the input has left, or more than the configured limit. */
export class ElementLengthError extends DicomflowError {
  override readonly code = 'DF_ERR_ELEMENT_LENGTH';
}
/** One frame would need more memory than `parse.maxFrameBytes` (decompression-bomb guard). */
export class FrameTooLargeError extends DicomflowError {
  override readonly code = 'DF_ERR_FRAME_TOO_LARGE';
}
/** The transfer syntax is known but not supported, or not known at all. */
export class UnsupportedTransferSyntaxError extends DicomflowError {
  override readonly code = 'DF_ERR_UNSUPPORTED_TRANSFER_SYNTAX';
}
/** The pixel description is valid DICOM that dicomflow cannot turn into samples (e.g. 1-bit, float pixel data). */
export class UnsupportedPixelFormatError extends DicomflowError {
  override readonly code = 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT';
}
/** A required pixel-description attribute is missing or invalid. */
export class InvalidPixelDescriptionError extends DicomflowError {
  override readonly code = 'DF_ERR_PIXEL_DESCRIPTION';
}
/** The data set has no pixel data element (a structured report, a DICOMDIR, ...). */
export class NoPixelDataError extends DicomflowError {
  override readonly code = 'DF_ERR_NO_PIXEL_DATA';
}
/** The byte structure is broken: an invalid VR, a missing item tag, an inconsistent offset table, a bad deflate stream. */
export class MalformedError extends DicomflowError {
  override readonly code = 'DF_ERR_MALFORMED';
}
/** The encapsulated pixel data held a different number of frames than NumberOfFrames says. */
export class FrameCountError extends DicomflowError {
  override readonly code = 'DF_ERR_FRAME_COUNT';
}

/** A codec could not decode a frame (corrupt codestream, or one that disagrees with the header). */
export class DecodeError extends DicomflowError {
  override readonly code = 'DF_ERR_DECODE';
}
/** The worker decoding a frame died (WASM abort, out of memory); it was replaced and the rest continued. */
export class DecodeWorkerError extends DicomflowError {
  override readonly code = 'DF_ERR_DECODE_WORKER';
}
/** A frame's decode ran past decode.timeoutMs; its worker was terminated and replaced, and the rest continued. */
export class DecodeTimeoutError extends DicomflowError {
  override readonly code = 'DF_ERR_DECODE_TIMEOUT';
}
/** An option passed to a phantom, encoder or writer of synthetic data is out of range or inconsistent. */
export class SynthOptionError extends DicomflowError {
  override readonly code = 'DF_ERR_SYNTH_OPTION';
}
/** A codec failed to encode a frame (the codec's message is the `cause`). */
export class EncodeError extends DicomflowError {
  override readonly code = 'DF_ERR_ENCODE';
}
/** A training backend or one of dicomflow's training kernels cannot run (not initialised, unsupported attribute). */
export class TrainingBackendError extends DicomflowError {
  override readonly code = 'DF_ERR_TRAIN_BACKEND';
}
/** A dataset folder is incomplete (shards missing at a merge) or a shard could not be written. */
export class DatasetError extends DicomflowError {
  override readonly code = 'DF_ERR_DATASET';
}
/** A checkpoint folder is missing, incomplete or from an incompatible run. */
/** explain cannot work with this model, options or ground truth. */
export class ExplainError extends DicomflowError {
  override readonly code = 'DF_ERR_EXPLAIN';
}
export class CheckpointError extends DicomflowError {
  override readonly code = 'DF_ERR_CHECKPOINT';
}
/** Samples of one batch have different shapes (no preprocess.target set). */
export class BatchShapeError extends DicomflowError {
  override readonly code = 'DF_ERR_BATCH_SHAPE';
}
/** A codec's WebAssembly binary is missing from the wasm folder. */
export class CodecMissingError extends DicomflowError {
  override readonly code = 'DF_ERR_CODEC_MISSING';
}

const byCode = new Map<string, new (message: string, where?: Where, options?: { cause?: unknown; details?: Record<string, unknown> }) => DicomflowError>([
  ['DF_ERR_INTERNAL', DicomflowError],
  ['DF_ERR_CONFIG', ConfigError],
  ['DF_ERR_USAGE', UsageError],
  ['DF_ERR_SOURCE', SourceError],
  ['DF_ERR_MANIFEST', ManifestError],
  ['DF_ERR_NOT_DICOM', NotDicomError],
  ['DF_ERR_TRUNCATED_HEADER', TruncatedHeaderError],
  ['DF_ERR_TRUNCATED_PIXEL_DATA', TruncatedPixelDataError],
  ['DF_ERR_ELEMENT_LENGTH', ElementLengthError],
  ['DF_ERR_FRAME_TOO_LARGE', FrameTooLargeError],
  ['DF_ERR_UNSUPPORTED_TRANSFER_SYNTAX', UnsupportedTransferSyntaxError],
  ['DF_ERR_UNSUPPORTED_PIXEL_FORMAT', UnsupportedPixelFormatError],
  ['DF_ERR_PIXEL_DESCRIPTION', InvalidPixelDescriptionError],
  ['DF_ERR_NO_PIXEL_DATA', NoPixelDataError],
  ['DF_ERR_MALFORMED', MalformedError],
  ['DF_ERR_FRAME_COUNT', FrameCountError],
  ['DF_ERR_DECODE', DecodeError],
  ['DF_ERR_DECODE_WORKER', DecodeWorkerError],
  ['DF_ERR_DECODE_TIMEOUT', DecodeTimeoutError],
  ['DF_ERR_CODEC_MISSING', CodecMissingError],
  ['DF_ERR_BATCH_SHAPE', BatchShapeError],
  ['DF_ERR_CHECKPOINT', CheckpointError],
  ['DF_ERR_DATASET', DatasetError],
  ['DF_ERR_TRAIN_BACKEND', TrainingBackendError],
  ['DF_ERR_SYNTH_OPTION', SynthOptionError],
  ['DF_ERR_ENCODE', EncodeError],
]);

/**
 * Rebuilds a typed error from its serialised form (errors cross worker
 * threads as plain objects, because structured clone drops the subclass).
 */
export function errorFromJSON(e: SerializedError): DicomflowError {
  const Ctor = byCode.get(e.code) ?? DicomflowError;
  return new Ctor(e.message, e.where, e.details ? { details: e.details } : {});
}

/**
 * Wraps anything thrown into a DicomflowError, keeping the original as `cause`
 * and adding location fields the thrower did not know.
 */
export function toDicomflowError(err: unknown, where: Where): DicomflowError {
  if (err instanceof DicomflowError) {
    for (const [k, v] of Object.entries(where)) {
      if ((err.where as Record<string, unknown>)[k] === undefined) (err.where as Record<string, unknown>)[k] = v;
    }
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new DicomflowError(message, where, { cause: err });
}
