/**
 * Turns a codec's output samples into stored values as DICOM defines them:
 * sign-extended from BitsStored when PixelRepresentation is 1, masked to
 * BitsStored when it is 0, in the typed array that matches BitsAllocated.
 *
 * Reading the codec's samples as raw bit patterns and extending from
 * BitsStored also corrects codestreams whose own signedness disagrees with
 * the header (J2K written unsigned for signed CT, a known encoder bug that
 * pydicom and cornerstone correct the same way), and drops overlay or junk
 * bits above BitsStored in native data.
 */
import type { PixelDescription } from '../dicom/description.js';
import { UnsupportedPixelFormatError } from '../errors.js';
import type { StoredArray } from '../preprocess/types.js';

type Desc = Pick<PixelDescription, 'bitsAllocated' | 'bitsStored' | 'pixelRepresentation'>;

function rawView(src: Uint8Array, bytes: 1 | 2 | 4): Uint8Array | Uint16Array | Uint32Array {
  if (src.byteOffset % bytes !== 0) src = src.slice(); // typed views need alignment
  const n = Math.floor(src.byteLength / bytes);
  return bytes === 1 ? src : bytes === 2 ? new Uint16Array(src.buffer, src.byteOffset, n) : new Uint32Array(src.buffer, src.byteOffset, n);
}

function allocate(d: Desc, n: number, over?: ArrayBuffer, offset = 0): StoredArray {
  const signed = d.pixelRepresentation === 1;
  switch (d.bitsAllocated) {
    case 8:
      return signed ? new Int8Array(over ?? new ArrayBuffer(n), offset, n) : new Uint8Array(over ?? new ArrayBuffer(n), offset, n);
    case 16:
      return signed ? new Int16Array(over ?? new ArrayBuffer(n * 2), offset, n) : new Uint16Array(over ?? new ArrayBuffer(n * 2), offset, n);
    default:
      return signed ? new Int32Array(over ?? new ArrayBuffer(n * 4), offset, n) : new Uint32Array(over ?? new ArrayBuffer(n * 4), offset, n);
  }
}

/**
 * @param src samples, little endian, `srcBytes` bytes each (a codec's output or a native frame)
 * @param inPlace reuse src's memory when the widths match (native frames the caller owns);
 *   otherwise the result is a fresh array (codec output lives in the WASM heap and must be copied)
 * @example toStored(frame.bytes, 2, { bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1 }, true)
 */
export function toStored(src: Uint8Array, srcBytes: 1 | 2 | 4, d: Desc, inPlace = false): StoredArray {
  // 1-bit and float pixels have their own paths (codecs/native.ts); through here they would
  // come out as 32-bit integers of the wrong values.
  if (d.bitsAllocated !== 8 && d.bitsAllocated !== 16 && d.bitsAllocated !== 32) {
    throw new UnsupportedPixelFormatError(`stored values of BitsAllocated ${d.bitsAllocated} cannot come from a codec's integer samples`, { stage: 'decode' });
  }
  const raw = rawView(src, srcBytes);
  const n = raw.length;
  const dstBytes = d.bitsAllocated / 8;
  const reuse = inPlace && dstBytes === srcBytes && raw.byteOffset % srcBytes === 0;
  const out = reuse ? allocate(d, n, raw.buffer as ArrayBuffer, raw.byteOffset) : allocate(d, n);
  const bits = Math.min(d.bitsStored, 32);
  // Every bit stored, in place: the samples, read as signed or unsigned by the view, are the values.
  if (reuse && bits === 8 * dstBytes) return out;
  if (!reuse && srcBytes === dstBytes && bits === 8 * dstBytes && bits <= 16) {
    // Every bit is stored: the values are the samples read as signed or unsigned, a plain copy.
    const signed = d.pixelRepresentation === 1;
    const same = bits === 8 ? (signed ? new Int8Array(raw.buffer, raw.byteOffset, n) : raw) : signed ? new Int16Array(raw.buffer, raw.byteOffset, n) : raw;
    (out as Uint8Array).set(same as Uint8Array);
    return out;
  }
  if (d.pixelRepresentation !== 1 && srcBytes === 2 && dstBytes === 2 && bits < 16 && raw.byteOffset % 4 === 0 && out.byteOffset % 4 === 0) {
    // Unsigned 16-bit with bits above BitsStored to drop: two samples per 32-bit mask.
    const pairs = n >> 1;
    const a = new Uint32Array(raw.buffer, raw.byteOffset, pairs);
    const b = new Uint32Array(out.buffer, out.byteOffset, pairs);
    const mask2 = ((2 ** bits - 1) * 0x10001) >>> 0;
    for (let i = 0; i < pairs; i++) b[i] = a[i]! & mask2;
    if (n & 1) out[n - 1] = raw[n - 1]! & (2 ** bits - 1);
    return out;
  }
  if (d.pixelRepresentation === 1) {
    const shift = 32 - bits;
    for (let i = 0; i < n; i++) out[i] = (raw[i]! << shift) >> shift;
  } else if (bits >= 32) {
    for (let i = 0; i < n; i++) out[i] = raw[i]! >>> 0;
  } else {
    const mask = 2 ** bits - 1;
    for (let i = 0; i < n; i++) out[i] = raw[i]! & mask;
  }
  return out;
}
