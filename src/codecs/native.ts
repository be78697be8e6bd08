/**
 * Uncompressed frames (native, and Encapsulated Uncompressed): the reader has
 * already made them little endian, so decoding is reading stored values in
 * place, with sign extension and masking by BitsStored.
 */
import type { PixelDescription } from '../dicom/description.js';
import { nativeFrameBytes } from '../dicom/description.js';
import { DecodeError } from '../errors.js';
import type { DecodedFrame } from '../preprocess/types.js';
import { toStored } from './stored.js';
import type { Codec } from './types.js';

export const native: Codec = {
  name: 'native',
  async init() {},
  async decode(bytes: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
    const need = nativeFrameBytes(d);
    if (bytes.length < need) throw new DecodeError(`uncompressed frame has ${bytes.length} bytes, ${need} expected`, { stage: 'decode' });
    return {
      pixels: toStored(bytes.subarray(0, need), (d.bitsAllocated / 8) as 1 | 2 | 4, d, true),
      width: d.columns,
      height: d.rows,
      samplesPerPixel: d.samplesPerPixel as 1 | 3,
      planarConfiguration: d.planarConfiguration ?? 0,
      photometricInterpretation: d.photometricInterpretation,
    };
  },
};
