/**
 * Uncompressed frames (native, and Encapsulated Uncompressed): the reader has
 * already made them little endian, so decoding is reading stored values in
 * place, with sign extension and masking by BitsStored. 1-bit frames (which
 * the reader delivers re-aligned to bit 0) unpack to one 0/1 byte per pixel;
 * float pixel data is read as IEEE values with no masking, double floats
 * narrowed to float32.
 */
import type { PixelDescription } from '../dicom/description.js';
import { nativeFrameBytes } from '../dicom/description.js';
import { DecodeError } from '../errors.js';
import type { DecodedFrame, DecodeWarning, StoredArray } from '../preprocess/types.js';
import { toStored } from './stored.js';
import type { Codec } from './types.js';

export const native: Codec = {
  name: 'native',
  async init() {},
  async decode(bytes: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
    const need = nativeFrameBytes(d);
    if (bytes.length < need) throw new DecodeError(`uncompressed frame has ${bytes.length} bytes, ${need} expected`, { stage: 'decode' });
    const frame: DecodedFrame = {
      pixels: nativePixels(bytes.subarray(0, need), d),
      width: d.columns,
      height: d.rows,
      samplesPerPixel: d.samplesPerPixel as 1 | 3,
      planarConfiguration: d.planarConfiguration ?? 0,
      photometricInterpretation: d.photometricInterpretation,
    };
    if (d.pixelData !== 'integer') {
      const w = nonFiniteWarning(frame.pixels as Float32Array, d.pixelData === 'float64' ? bytes.subarray(0, need) : null);
      if (w) frame.warnings = [w];
    }
    return frame;
  },
};

/**
 * NaN and ±Infinity in float pixel data pass through to the tensor unless a
 * VOI clips them, and a double beyond float32's range becomes Infinity when
 * narrowed: either is said, never silent. (minmax and percentile VOI skip them.)
 */
function nonFiniteWarning(px: Float32Array, doubles: Uint8Array | null): DecodeWarning | null {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < px.length; i++) {
    const v = px[i]!;
    if (v !== v) nan++;
    else if (v === Infinity || v === -Infinity) inf++;
  }
  if (nan + inf === 0) return null;
  let narrowed = 0;
  if (doubles && inf > 0) {
    const src = aligned(doubles, 8);
    const f64 = new Float64Array(src.buffer, src.byteOffset, px.length);
    for (let i = 0; i < f64.length; i++) if (Number.isFinite(f64[i]!) && !Number.isFinite(px[i]!)) narrowed++;
  }
  return {
    code: 'DF_WARN_NONFINITE_PIXELS',
    message: `${nan} NaN and ${inf} infinite value(s) among ${px.length} pixels${narrowed ? ` (${narrowed} of them doubles beyond float32's range)` : ''}`,
    details: { nan, infinite: inf, narrowedToInfinity: narrowed },
  };
}

function nativePixels(bytes: Uint8Array, d: PixelDescription): StoredArray {
  if (d.bitsAllocated === 1) return unpackBits(bytes, d.rows * d.columns * d.samplesPerPixel);
  if (d.pixelData === 'float32') {
    const src = aligned(bytes, 4);
    return new Float32Array(src.buffer, src.byteOffset, bytes.length / 4);
  }
  if (d.pixelData === 'float64') {
    // Everything after decoding (preprocessing, tensors, .npy output) is float32, so the
    // values are narrowed here, once (round to nearest; beyond ±3.4e38 becomes ±Infinity).
    const src = aligned(bytes, 8);
    return Float32Array.from(new Float64Array(src.buffer, src.byteOffset, bytes.length / 8));
  }
  return toStored(bytes, (d.bitsAllocated / 8) as 1 | 2 | 4, d, true);
}

/** Typed views need their offset to be a multiple of the element size. */
function aligned(b: Uint8Array, width: number): Uint8Array {
  return b.byteOffset % width === 0 ? b : b.slice();
}

/**
 * Bit-packed pixels (PS3.5 8.1.1, little-endian bit order: pixel i is bit
 * i % 8 of byte i / 8) to one 0/1 byte per pixel.
 *
 * @example unpackBits(Uint8Array.of(0b0000_0101), 3) // Uint8Array [1, 0, 1]
 */
export function unpackBits(bytes: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = (bytes[i >>> 3]! >>> (i & 7)) & 1;
  return out;
}
