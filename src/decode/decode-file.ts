/**
 * One file's frames, decoded to stored values on this thread: what
 * `dicomflow decode` writes as .npy files, as a function a job can call.
 * A frame that cannot be decoded comes as an error and the next frames
 * still come; a file that breaks off ends with an error after its good frames.
 *
 * @example
 *   const file = await openDecodedFile('ct.dcm', { partial: 'error' });
 *   for await (const f of file.frames()) if ('frame' in f) use(f.frame.pixels); else log(f.error.describe());
 */
import { createReadStream, statSync } from 'node:fs';
import { codecFor } from '../codecs/index.js';
import { useWasmDir } from '../codecs/wasm.js';
import type { PartialPolicy } from '../codecs/errors.js';
import type { PipelineConfig } from '../config/schema.js';
import { defaults } from '../config/schema.js';
import type { PixelDescription } from '../dicom/description.js';
import { readDicom } from '../dicom/reader.js';
import { SourceError, UnsupportedTransferSyntaxError, toDicomflowError, type DicomflowError } from '../errors.js';
import type { DecodedFrame } from '../preprocess/types.js';

export type DecodedFileFrame = { index: number; frame: DecodedFrame } | { index: number | null; error: DicomflowError };

export interface DecodedFile {
  description: PixelDescription;
  /** Frames in order (only `only` when given). Iterate once. */
  frames(): AsyncGenerator<DecodedFileFrame>;
  close(): Promise<void>;
}

export interface DecodeFileOptions {
  parse?: PipelineConfig['parse'];
  partial?: PartialPolicy;
  /** Only this frame (zero-based). */
  only?: number | null;
  /** decode.wasmDir: where the codec binaries are (null: the codec packages). */
  wasmDir?: string | null;
}

/** Opens a local file and reads its header; throws a typed error when the header cannot be read. */
export async function openDecodedFile(path: string, options: DecodeFileOptions = {}): Promise<DecodedFile> {
  const parse = options.parse ?? defaults().parse;
  if (options.wasmDir !== undefined) useWasmDir(options.wasmDir);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new SourceError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`, { stage: 'source', file: path }, { cause: err });
  }
  const reader = readDicom(createReadStream(path, { highWaterMark: parse.chunkBytes }), {
    file: path,
    totalBytes: size,
    maxFrameBytes: parse.maxFrameBytes,
    maxElementBytes: parse.maxElementBytes,
  });
  const d = await reader.header();
  const codec = codecFor(d.transferSyntax);
  if (!codec) {
    await reader.close();
    throw new UnsupportedTransferSyntaxError(`no codec for ${d.transferSyntaxName} (${d.transferSyntax})`, { stage: 'decode', file: path });
  }
  const only = options.only ?? null;
  return {
    description: d,
    async *frames() {
      try {
        for await (const f of reader.frames()) {
          if (only !== null && f.index !== only) continue;
          try {
            yield { index: f.index, frame: await codec.decode(f.bytes, d, { partial: options.partial ?? 'error' }) };
          } catch (err) {
            yield { index: f.index, error: toDicomflowError(err, { stage: 'decode', file: path, frame: f.index }) };
          }
          if (only !== null) return;
        }
      } catch (err) {
        const e = toDicomflowError(err, { stage: 'parse', file: path });
        yield { index: e.where.frame ?? null, error: e };
      }
    },
    close: () => reader.close(),
  };
}
