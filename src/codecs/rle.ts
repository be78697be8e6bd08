/**
 * RLE Lossless (PS3.5 Annex G). A frame is a 64-byte header (segment count
 * and up to 15 segment offsets) and PackBits segments: one per byte of each
 * sample, most significant byte first, component after component.
 */
import type { PixelDescription } from '../dicom/description.js';
import { DecodeError } from '../errors.js';
import type { DecodedFrame } from '../preprocess/types.js';
import { toStored } from './stored.js';
import type { Codec } from './types.js';

/** PackBits into `out` at `start`, every `step` bytes; returns how many bytes it wrote. */
function unpackSegment(src: Uint8Array, from: number, to: number, out: Uint8Array, start: number, step: number, count: number): number {
  let i = from;
  let n = 0;
  while (i < to && n < count) {
    const h = src[i++]!;
    if (h < 128) {
      // Literal run of h + 1 bytes.
      const len = Math.min(h + 1, count - n, to - i);
      for (let k = 0; k < len; k++) out[start + (n + k) * step] = src[i + k]!;
      i += h + 1;
      n += len;
    } else if (h > 128) {
      // Repeat the next byte 257 - h times.
      if (i >= to) break;
      const v = src[i++]!;
      const len = Math.min(257 - h, count - n);
      for (let k = 0; k < len; k++) out[start + (n + k) * step] = v;
      n += len;
    } // 128 is a no-op
  }
  return n;
}

export function decodeRleFrame(bytes: Uint8Array, d: PixelDescription): Uint8Array {
  if (bytes.length < 64) throw new DecodeError(`RLE frame is ${bytes.length} bytes, shorter than its 64-byte header`, { stage: 'decode' });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const segments = dv.getUint32(0, true);
  const bytesPerSample = d.bitsAllocated / 8;
  const expected = d.samplesPerPixel * bytesPerSample;
  if (segments !== expected) {
    throw new DecodeError(`RLE frame has ${segments} segments; ${d.samplesPerPixel} sample(s) of ${d.bitsAllocated} bits need ${expected}`, { stage: 'decode' });
  }
  const pixels = d.rows * d.columns;
  const out = new Uint8Array(pixels * expected);
  for (let s = 0; s < segments; s++) {
    const start = dv.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? dv.getUint32(8 + 4 * s, true) : bytes.length;
    if (start < 64 || start > end || end > bytes.length) throw new DecodeError(`RLE segment ${s} offsets ${start}..${end} are outside the frame`, { stage: 'decode' });
    const component = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segments are MSB first; output is little endian
    // Interleaved output (planar configuration 0), whatever the file's PlanarConfiguration says.
    const written = unpackSegment(bytes, start, end, out, component * bytesPerSample + byteInSample, expected, pixels);
    if (written < pixels) throw new DecodeError(`RLE segment ${s} decodes to ${written} bytes, ${pixels} expected`, { stage: 'decode' });
  }
  return out;
}

export const rle: Codec = {
  name: 'rle',
  async init() {},
  async decode(bytes: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
    const raw = decodeRleFrame(bytes, d);
    return {
      pixels: toStored(raw, (d.bitsAllocated / 8) as 1 | 2 | 4, d, true),
      width: d.columns,
      height: d.rows,
      samplesPerPixel: d.samplesPerPixel as 1 | 3,
      planarConfiguration: 0,
      photometricInterpretation: d.photometricInterpretation,
    };
  },
};
