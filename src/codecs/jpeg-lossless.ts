/** JPEG Lossless (process 14, any predictor) with cornerstone's JavaScript decoder. */
import { createRequire } from 'node:module';
import type { PixelDescription } from '../dicom/description.js';
import type { DecodedFrame, DecodeWarning } from '../preprocess/types.js';
import { codecError, mismatch, partialDecode } from './errors.js';
import { SOF, endsWithEoi, guardJpeg, readJpegHeader } from './jpeg-header.js';
import { toStored } from './stored.js';
import type { Codec, DecodeOptions } from './types.js';

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): Uint8Array | Uint16Array;
  xLoc: number;
  yLoc: number;
  xDim: number;
  yDim: number;
  stream: { index: number } | null;
  readPastEntropyData(index: number[]): boolean;
}
/**
 * The decoder, noting where its scan data ran out. A scan cut short but
 * closed with EOI again decodes "successfully", the rest of the frame made up
 * from marker bytes or from reads past the end. Two signs give it away: the
 * decoder runs into a marker before the last pixel, or reads past the bytes
 * it was given. (A subclass, not a patched instance: the method is called per
 * Huffman code, and a patched one made decoding three times slower.)
 */
type CheckedDecoder = LosslessDecoder & { ranOutAt: number };
let CheckedDecoderClass: (new () => CheckedDecoder) | undefined;

function checkedDecoderClass(Base: new () => LosslessDecoder): new () => CheckedDecoder {
  return class extends (Base as new () => LosslessDecoder & object) {
    ranOutAt = -1;
    override readPastEntropyData(index: number[]): boolean {
      const hit = super.readPastEntropyData(index);
      if (hit && this.ranOutAt < 0 && this.yLoc * this.xDim + this.xLoc < this.xDim * this.yDim) this.ranOutAt = this.yLoc;
      return hit;
    }
  } as unknown as new () => CheckedDecoder;
}

export const jpegLossless: Codec = {
  name: 'jpeg-lossless',
  async init() {
    CheckedDecoderClass ??= checkedDecoderClass((createRequire(import.meta.url)('@cornerstonejs/jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }).Decoder);
  },
  async decode(bytes: Uint8Array, d: PixelDescription, options: DecodeOptions = {}): Promise<DecodedFrame> {
    const h = readJpegHeader(bytes);
    guardJpeg(h, d, { codec: 'jpeg-lossless', maxPrecision: 16, sofs: [SOF.lossless] });
    await jpegLossless.init();
    const warnings: DecodeWarning[] = [];
    // The decoder returns a full-size frame from a cut-short scan, the missing rows made up.
    if (!endsWithEoi(bytes)) warnings.push(partialDecode('jpeg-lossless', 'the codestream does not end with an EOI marker (cut short)', options.partial));
    try {
      const bytesPerSample = d.bitsAllocated <= 8 ? 1 : 2;
      // A decoder per frame: it keeps its output between calls.
      const decoder = new CheckedDecoderClass!();
      const out = decoder.decode(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length, bytesPerSample);
      const ranOutAt = decoder.ranOutAt;
      const expected = d.rows * d.columns * d.samplesPerPixel;
      if (out.length !== expected) throw mismatch('jpeg-lossless', 'sample count', out.length, expected);
      if (warnings.length === 0) {
        if ((decoder.stream?.index ?? 0) > bytes.length) warnings.push(partialDecode('jpeg-lossless', `the scan needs more than the frame's ${bytes.length} bytes`, options.partial));
        else if (ranOutAt >= 0) warnings.push(partialDecode('jpeg-lossless', `the scan's data ends in row ${ranOutAt} of ${decoder.yDim}`, options.partial));
      }
      const raw = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      const frame: DecodedFrame = {
        // The decoder's output array is ours: reuse it for the stored values when the widths match.
        pixels: toStored(raw, out.BYTES_PER_ELEMENT as 1 | 2, d, true),
        width: d.columns,
        height: d.rows,
        samplesPerPixel: d.samplesPerPixel as 1 | 3,
        planarConfiguration: 0, // colour comes out interleaved
        // Lossless JPEG has no colour transform: the samples are what the label says.
        photometricInterpretation: d.photometricInterpretation,
      };
      if (warnings.length > 0) frame.warnings = warnings;
      return frame;
    } catch (err) {
      throw codecError('jpeg-lossless', err);
    }
  },
};
