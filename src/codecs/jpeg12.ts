/**
 * JPEG Extended (process 2 and 4, 12-bit) with the JavaScript JPEG decoder
 * that ships in @cornerstonejs/dicom-image-loader: libjpeg-turbo here is
 * built for 8-bit samples only.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PixelDescription } from '../dicom/description.js';
import type { DecodedFrame, DecodeWarning } from '../preprocess/types.js';
import { codecError, mismatch, partialDecode } from './errors.js';
import { SOF, endsWithEoi, guardJpeg, jpegColorModel, readJpegHeader } from './jpeg-header.js';
import { jpegColor } from './libjpeg-turbo.js';
import { toStored } from './stored.js';
import type { Codec, DecodeOptions } from './types.js';

/**
 * cornerstone's jpeg.js level-shifts with `(q + 2056 / bitConversion) >> 4`,
 * where bitConversion = 255 / (2^P - 1). For P = 8 that is the right
 * 128 + rounding; for P = 12 it adds 2063 where 2048 is right, so every sample
 * comes out exactly 15 too high (measured on the fixture against GDCM: +15 on
 * 81% of pixels, the rest IDCT rounding). Because the shift is applied before
 * truncation the offset is an exact integer and subtracting it restores the
 * correct values, except that the decoder's upper clamp (2024 / bitConversion)
 * also sits 15 codes low: samples that should be in the top 15 codes of the
 * range come out saturated. Returns the integer offset, or 0.
 */
export function levelShiftBias(precision: number): number {
  const used = Math.trunc((2056 * (2 ** precision - 1)) / 255);
  const right = 2 ** (precision + 3) + 8;
  const bias = (used - right) / 16;
  return Number.isInteger(bias) ? bias : 0;
}

interface JpegImage {
  parse(data: Uint8Array): void;
  colorTransform: boolean;
  getData(width: number, height: number): Uint8Array;
  getData16(width: number, height: number): Uint16Array;
}
let JpegImageClass: (new () => JpegImage) | undefined;

export const jpeg12: Codec = {
  name: 'jpeg-js',
  async init() {
    if (JpegImageClass) return;
    // The package's exports map does not list its codecs/ folder, and importing the
    // whole loader (to reach `decoders`) pulls in cornerstone core: load the one file.
    const pkg = createRequire(import.meta.url).resolve('@cornerstonejs/dicom-image-loader/package.json');
    const file = pathToFileURL(join(dirname(pkg), 'dist/esm/codecs/jpeg.js')).href;
    JpegImageClass = ((await import(file)) as { default: new () => JpegImage }).default;
  },
  async decode(bytes: Uint8Array, d: PixelDescription, options: DecodeOptions = {}): Promise<DecodedFrame> {
    const h = readJpegHeader(bytes);
    // Process 2 and 4 (SOF1); some writers label 8-bit baseline frames 4.51.
    guardJpeg(h, d, { codec: 'jpeg-js', maxPrecision: 12, sofs: [SOF.baseline, SOF.extended] });
    await jpeg12.init();
    const warnings: DecodeWarning[] = [];
    // jpeg.js decodes a cut-short scan without complaint, leaving the rest of the frame at zero.
    if (!endsWithEoi(bytes)) warnings.push(partialDecode('jpeg-js', 'the codestream does not end with an EOI marker (cut short)', options.partial));
    const color = d.samplesPerPixel === 3 ? jpegColor('jpeg-js', d, h) : { photometric: d.photometricInterpretation };
    if (color.warning) warnings.push(color.warning);
    try {
      const jpeg = new JpegImageClass!(); // one per frame: nothing carries over between frames
      jpeg.parse(bytes);
      // The stream decides the colour model, as libjpeg decides it (jpegColorModel); jpeg.js
      // applies an Adobe transform flag of 1 by itself and otherwise follows this property.
      if (d.samplesPerPixel === 3) jpeg.colorTransform = jpegColorModel(h).model === 'YCbCr';
      const pixelData = d.bitsAllocated > 8 ? jpeg.getData16(d.columns, d.rows) : jpeg.getData(d.columns, d.rows);
      const expected = d.rows * d.columns * d.samplesPerPixel;
      if (pixelData.length !== expected) throw mismatch('jpeg-js', 'sample count', pixelData.length, expected);
      const bias = levelShiftBias(h.precision);
      if (bias !== 0) for (let i = 0; i < pixelData.length; i++) pixelData[i] = Math.max(0, pixelData[i]! - bias);
      const raw = new Uint8Array(pixelData.buffer, pixelData.byteOffset, pixelData.byteLength);
      const frame: DecodedFrame = {
        pixels: toStored(raw, pixelData.BYTES_PER_ELEMENT as 1 | 2, d, true),
        width: d.columns,
        height: d.rows,
        samplesPerPixel: d.samplesPerPixel as 1 | 3,
        planarConfiguration: 0,
        photometricInterpretation: color.photometric,
      };
      if (warnings.length > 0) frame.warnings = warnings;
      return frame;
    } catch (err) {
      throw codecError('jpeg-js', err);
    }
  },
};
