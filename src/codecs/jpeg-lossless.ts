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
}
let DecoderClass: (new () => LosslessDecoder) | undefined;

export const jpegLossless: Codec = {
  name: 'jpeg-lossless',
  async init() {
    DecoderClass ??= (createRequire(import.meta.url)('@cornerstonejs/jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }).Decoder;
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
      const out = new DecoderClass!().decode(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length, bytesPerSample);
      const expected = d.rows * d.columns * d.samplesPerPixel;
      if (out.length !== expected) throw mismatch('jpeg-lossless', 'sample count', out.length, expected);
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
