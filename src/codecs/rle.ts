/**
 * RLE Lossless (PS3.5 Annex G). A frame is a 64-byte header (segment count
 * and up to 15 segment offsets) and PackBits segments: one per byte of each
 * sample, most significant byte first, component after component.
 */
import type { PixelDescription } from '../dicom/description.js';
import { DecodeError } from '../errors.js';
import type { DecodedFrame, DecodeWarning } from '../preprocess/types.js';
import { mismatch, partialDecode, type PartialPolicy } from './errors.js';
import { toStored } from './stored.js';
import type { Codec, DecodeOptions } from './types.js';

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

/**
 * One RLE frame to interleaved little-endian samples. A header that
 * disagrees with the description is refused before anything is allocated;
 * a frame whose segments run out early (cut short) is a partial decode.
 */
export function decodeRleFrame(bytes: Uint8Array, d: PixelDescription, policy?: PartialPolicy, warnings: DecodeWarning[] = []): Uint8Array {
  if (bytes.length < 64) throw new DecodeError(`RLE frame is ${bytes.length} bytes, shorter than its 64-byte header`, { stage: 'decode' });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const segments = dv.getUint32(0, true);
  const bytesPerSample = d.bitsAllocated / 8;
  const expected = d.samplesPerPixel * bytesPerSample;
  // PS3.5 G.3.1: one segment per byte of each sample, at most 15.
  if (segments !== expected) throw mismatch('rle', 'segment count', segments, `${expected} (${d.samplesPerPixel} sample(s) of ${d.bitsAllocated} bits)`);
  const pixels = d.rows * d.columns;
  const starts: number[] = [];
  for (let s = 0; s < segments; s++) starts.push(dv.getUint32(4 + 4 * s, true));
  for (let s = 0; s < segments; s++) {
    const start = starts[s]!;
    const next = s + 1 < segments ? starts[s + 1]! : null;
    if (start < 64 || (next !== null && next < start)) {
      throw new DecodeError(`RLE segment ${s} offset ${start} is not after the header and before segment ${s + 1} (${next ?? 'end'})`, { stage: 'decode' }, { details: { segment: s, start, next } });
    }
  }
  const out = new Uint8Array(pixels * expected);
  const short: string[] = [];
  for (let s = 0; s < segments; s++) {
    const start = starts[s]!;
    const end = s + 1 < segments ? starts[s + 1]! : bytes.length;
    if (start >= bytes.length) {
      short.push(`segment ${s} starts at byte ${start}, past the frame's ${bytes.length} bytes`);
      continue;
    }
    const component = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segments are MSB first; output is little endian
    // Interleaved output (planar configuration 0), whatever the file's PlanarConfiguration says.
    const written = unpackSegment(bytes, start, Math.min(end, bytes.length), out, component * bytesPerSample + byteInSample, expected, pixels);
    if (written < pixels) short.push(`segment ${s} decodes to ${written} bytes, ${pixels} expected`);
  }
  if (short.length > 0) warnings.push(partialDecode('rle', short.join('; '), policy));
  return out;
}

export const rle: Codec = {
  name: 'rle',
  async init() {},
  async decode(bytes: Uint8Array, d: PixelDescription, options: DecodeOptions = {}): Promise<DecodedFrame> {
    const warnings: DecodeWarning[] = [];
    const raw = decodeRleFrame(bytes, d, options.partial, warnings);
    const frame: DecodedFrame = {
      pixels: toStored(raw, (d.bitsAllocated / 8) as 1 | 2 | 4, d, true),
      width: d.columns,
      height: d.rows,
      samplesPerPixel: d.samplesPerPixel as 1 | 3,
      planarConfiguration: 0,
      photometricInterpretation: d.photometricInterpretation,
    };
    if (warnings.length > 0) frame.warnings = warnings;
    return frame;
  },
};
