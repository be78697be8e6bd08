/**
 * Streams one item through the parser: header, then every frame counted as
 * it is found (so truncation shows). Used by `inspect` and `start`.
 */
import { toDicomflowError, type DicomflowError } from '../errors.js';
import type { PixelDescription } from './description.js';
import { readDicom } from './reader.js';
import type { SourceItem } from '../sources/item.js';
import type { PipelineConfig } from '../config/schema.js';
import { prefixSummary, type PrefixSummary } from '../codecs/j2k-prefix.js';
import { unwrapJp2 } from '../codecs/j2k-header.js';
import { PREFIX_SYNTAXES } from './frames.js';

export interface ScanResult {
  id: string;
  description: PixelDescription | null;
  framesRead: number;
  frameBytes: number;
  bytesRead: number;
  error: DicomflowError | null;
  /**
   * J2K / HTJ2K: whether decode.prefixReads can read its frames in part, and
   * how much each resolution level needs (from the first frame); null for
   * other transfer syntaxes or with headerOnly.
   */
  prefixReads: PrefixSummary | null;
}

/** prefixReads of a frame: never throws (a damaged JP2 wrapper is a reason, not an error of the scan). */
function summarise(bytes: Uint8Array): PrefixSummary {
  try {
    const { codestream, jp2 } = unwrapJp2(bytes);
    return jp2 ? { allowed: false, why: 'the fragment holds a JP2 file, not a bare codestream' } : prefixSummary(codestream);
  } catch (err) {
    return { allowed: false, why: (err as Error).message };
  }
}

/** Reads one item; never throws for bad input, the error is in the result. */
export async function scanItem(
  item: SourceItem,
  parse: PipelineConfig['parse'],
  options: { headerOnly?: boolean; onFrame?: (bytes: number) => void } = {},
): Promise<ScanResult> {
  const result: ScanResult = { id: item.id, description: null, framesRead: 0, frameBytes: 0, bytesRead: 0, error: null, prefixReads: null };
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
      const wavelet = PREFIX_SYNTAXES.has(result.description.transferSyntax);
      for await (const frame of file.frames()) {
        if (wavelet && result.framesRead === 0) result.prefixReads = summarise(frame.bytes);
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
