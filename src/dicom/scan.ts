/**
 * Streams one item through the parser: header, then every frame counted as
 * it is found (so truncation shows). Used by `inspect` and `start`.
 */
import { toDicomflowError, type DicomflowError } from '../errors.js';
import type { PixelDescription } from './description.js';
import { readDicom } from './reader.js';
import type { SourceItem } from '../sources/item.js';
import type { PipelineConfig } from '../config/schema.js';

export interface ScanResult {
  id: string;
  description: PixelDescription | null;
  framesRead: number;
  frameBytes: number;
  bytesRead: number;
  error: DicomflowError | null;
}

/** Reads one item; never throws for bad input, the error is in the result. */
export async function scanItem(
  item: SourceItem,
  parse: PipelineConfig['parse'],
  options: { headerOnly?: boolean; onFrame?: (bytes: number) => void } = {},
): Promise<ScanResult> {
  const result: ScanResult = { id: item.id, description: null, framesRead: 0, frameBytes: 0, bytesRead: 0, error: null };
  const counted = (async function* () {
    for await (const chunk of item.open({ chunkBytes: parse.chunkBytes })) {
      result.bytesRead += chunk.length;
      yield chunk;
    }
  })();
  const file = readDicom(counted, {
    file: item.id,
    ...(item.size !== undefined ? { totalBytes: item.size } : {}),
    maxFrameBytes: parse.maxFrameBytes,
    maxElementBytes: parse.maxElementBytes,
  });
  try {
    result.description = await file.header();
    if (!options.headerOnly) {
      for await (const frame of file.frames()) {
        result.framesRead++;
        result.frameBytes += frame.bytes.length;
        options.onFrame?.(frame.bytes.length);
      }
    }
  } catch (err) {
    result.error = toDicomflowError(err, { stage: 'parse', file: item.id });
  } finally {
    await file.close();
  }
  return result;
}
