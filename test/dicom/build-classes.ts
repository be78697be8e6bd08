/**
 * Byte-level builders for the pixel classes the reader learned late: 1-bit
 * (bit-packed) Pixel Data and Float / Double Float Pixel Data. The packing is
 * written out here from PS3.5 8.1.1, independent of src/, so tests compare the
 * reader against the standard rather than against itself.
 */
import { cat, el, meta, text, us, type Enc, ELE } from '../helpers/dicom.js';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  explicitBE: '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99',
  encapsulatedUncompressed: '1.2.840.10008.1.2.1.98',
  rle: '1.2.840.10008.1.2.5',
  j2kLossless: '1.2.840.10008.1.2.4.90',
} as const;

export interface ModuleSpec {
  rows: number;
  columns: number;
  frames?: number;
  bitsAllocated: number;
  /** null leaves the attribute out (float pixel data has none of these three). */
  bitsStored?: number | null;
  highBit?: number | null;
  pixelRepresentation?: number | null;
  samplesPerPixel?: number;
  photometric?: string;
  rescale?: { slope: number; intercept: number };
}

/** The image pixel attributes in tag order, ending before the pixel data. */
export function pixelModule(s: ModuleSpec, enc: Enc = ELE): Uint8Array {
  const bitsStored = s.bitsStored === undefined ? s.bitsAllocated : s.bitsStored;
  const highBit = s.highBit === undefined ? (bitsStored === null ? null : bitsStored - 1) : s.highBit;
  const pr = s.pixelRepresentation === undefined ? 0 : s.pixelRepresentation;
  const parts = [
    text(0x00080018, 'UI', '1.2.3.4.5.6.7', enc),
    text(0x00100020, 'LO', 'PAT-CLASSES', enc),
    us(0x00280002, s.samplesPerPixel ?? 1, enc),
    text(0x00280004, 'CS', s.photometric ?? 'MONOCHROME2', enc),
    ...(s.frames !== undefined ? [text(0x00280008, 'IS', String(s.frames), enc)] : []),
    us(0x00280010, s.rows, enc),
    us(0x00280011, s.columns, enc),
    us(0x00280100, s.bitsAllocated, enc),
    ...(bitsStored !== null ? [us(0x00280101, bitsStored, enc)] : []),
    ...(highBit !== null ? [us(0x00280102, highBit, enc)] : []),
    ...(pr !== null ? [us(0x00280103, pr, enc)] : []),
    ...(s.rescale ? [text(0x00281052, 'DS', String(s.rescale.intercept), enc), text(0x00281053, 'DS', String(s.rescale.slope), enc)] : []),
  ];
  return cat(...parts);
}

/**
 * Deterministic 0/1 masks, frames concatenated: a moving disc, some scattered
 * pixels, and the first and last pixel of every frame set (an off-by-one bit
 * offset shows at once).
 */
export function masks(rows: number, columns: number, frames: number): Uint8Array {
  const out = new Uint8Array(rows * columns * frames);
  let s = 12345;
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const disc = (x - columns / 3 - f) ** 2 + (y - rows / 2) ** 2 < (rows / 3) ** 2;
        const noise = s >>> 24 < 20; // ~8% of pixels flipped
        out[(f * rows + y) * columns + x] = disc !== noise ? 1 : 0;
      }
    }
    out[f * rows * columns] = 1;
    out[(f + 1) * rows * columns - 1] = 1;
    out[f * rows * columns + 1] = f % 2;
  }
  return out;
}

/** PS3.5 8.1.1: all frames as one bit stream, pixel i in bit i % 8 of byte i / 8, padded to even length. */
export function packBits(values: ArrayLike<number>): Uint8Array {
  const n = Math.ceil(values.length / 8);
  const out = new Uint8Array(n + (n % 2));
  for (let i = 0; i < values.length; i++) if (values[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** An OW value as Explicit VR Big Endian stores it: the bytes of every 16-bit word swapped. */
export function swapWords(b: Uint8Array): Uint8Array {
  const out = b.slice();
  for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [b[i + 1]!, b[i]!];
  return out;
}

/** Reads pixel k of a little-endian bit-packed buffer. */
export function bitAt(b: Uint8Array, k: number): number {
  return (b[k >> 3]! >> (k & 7)) & 1;
}

export interface Bits1File {
  rows: number;
  columns: number;
  frames: number;
  /** 'le' Explicit VR Little Endian (OB), 'be-ow' / 'be-ob' Explicit VR Big Endian, 'implicit' Implicit VR LE. */
  encoding?: 'le' | 'be-ow' | 'be-ob' | 'implicit';
  /** Overrides the masks. */
  values?: Uint8Array;
  /** Drop this many bytes from the end of the element value (the declared length shrinks too). */
  shorten?: number;
  transferSyntax?: string;
}

/** A complete 1-bit Part-10 file and the 0/1 values it holds. */
export function bits1File(o: Bits1File): { bytes: Uint8Array; values: Uint8Array } {
  const values = o.values ?? masks(o.rows, o.columns, o.frames);
  const encoding = o.encoding ?? 'le';
  const enc: Enc = encoding === 'implicit' ? { explicit: false, le: true } : { explicit: true, le: !encoding.startsWith('be') };
  let packed = packBits(values);
  if (encoding === 'be-ow') packed = swapWords(packed);
  if (o.shorten) packed = packed.subarray(0, packed.length - o.shorten);
  const syntax = o.transferSyntax ?? (encoding === 'implicit' ? TS.implicitLE : enc.le ? TS.explicitLE : TS.explicitBE);
  const vr = encoding === 'be-ow' ? 'OW' : encoding === 'implicit' ? '' : 'OB';
  const bytes = cat(meta(syntax), pixelModule({ rows: o.rows, columns: o.columns, frames: o.frames, bitsAllocated: 1 }, enc), el(0x7fe00010, vr, packed, enc));
  return { bytes, values };
}

export interface FloatFile {
  rows: number;
  columns: number;
  frames: number;
  kind: 'float32' | 'float64';
  values: number[];
  bigEndian?: boolean;
  rescale?: { slope: number; intercept: number };
  photometric?: string;
}

/** A Float (OF) or Double Float (OD) Pixel Data file, without BitsStored/HighBit/PixelRepresentation as the IOD has it. */
export function floatFile(o: FloatFile): Uint8Array {
  const width = o.kind === 'float32' ? 4 : 8;
  const le = !o.bigEndian;
  const value = new Uint8Array(o.values.length * width);
  const dv = new DataView(value.buffer);
  o.values.forEach((v, i) => (width === 4 ? dv.setFloat32(i * 4, v, le) : dv.setFloat64(i * 8, v, le)));
  const enc: Enc = { explicit: true, le };
  const module = pixelModule(
    { rows: o.rows, columns: o.columns, frames: o.frames, bitsAllocated: width * 8, bitsStored: null, pixelRepresentation: null, photometric: o.photometric, rescale: o.rescale },
    enc,
  );
  const element = width === 4 ? el(0x7fe00008, 'OF', value, enc) : el(0x7fe00009, 'OD', value, enc);
  return cat(meta(le ? TS.explicitLE : TS.explicitBE), module, element);
}
