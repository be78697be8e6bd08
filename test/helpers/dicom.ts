/**
 * Builds DICOM byte streams element by element, for tests that need bytes no
 * tool will write (bad lengths, extended offset tables, nested icon images).
 * Real-image tests use the fixtures made by GDCM and DCMTK instead.
 */
import { readDicom, type ReadOptions } from '../../src/dicom/reader.js';
import type { PixelDescription } from '../../src/dicom/description.js';
import type { EncodedFrame } from '../../src/dicom/frames.js';
import { DicomflowError } from '../../src/errors.js';

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
export const UNDEFINED = 0xffffffff;

export interface Enc {
  explicit: boolean;
  le: boolean;
}
export const ELE: Enc = { explicit: true, le: true };
export const ILE: Enc = { explicit: false, le: true };
export const EBE: Enc = { explicit: true, le: false };

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function pad(v: Uint8Array, padByte: number): Uint8Array {
  return v.length % 2 ? cat(v, Uint8Array.of(padByte)) : v;
}

/** One element; `length` overrides the real value length (to forge bad lengths). */
export function el(tag: number, vr: string, value: Uint8Array, enc: Enc = ELE, length?: number): Uint8Array {
  const item = (tag >>> 16) === 0xfffe;
  const len = length ?? value.length;
  const long = !enc.explicit || item || LONG.has(vr);
  const head = new Uint8Array(enc.explicit && !item ? (LONG.has(vr) ? 12 : 8) : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, tag >>> 16, enc.le);
  dv.setUint16(2, tag & 0xffff, enc.le);
  if (enc.explicit && !item) {
    head[4] = vr.charCodeAt(0);
    head[5] = vr.charCodeAt(1);
    if (LONG.has(vr)) dv.setUint32(8, len, enc.le);
    else dv.setUint16(6, len, enc.le);
  } else if (long) {
    dv.setUint32(4, len, enc.le);
  }
  return cat(head, value);
}

export const text = (tag: number, vr: string, s: string, enc: Enc = ELE) =>
  el(tag, vr, pad(new TextEncoder().encode(s), vr === 'UI' ? 0 : 0x20), enc);
export function us(tag: number, n: number, enc: Enc = ELE): Uint8Array {
  const v = new Uint8Array(2);
  new DataView(v.buffer).setUint16(0, n, enc.le);
  return el(tag, 'US', v, enc);
}
export const item = (content: Uint8Array, length?: number) => el(0xfffee000, '', content, ELE, length);
export const itemDelim = () => el(0xfffee00d, '', new Uint8Array(0), ELE, 0);
export const seqDelim = () => el(0xfffee0dd, '', new Uint8Array(0), ELE, 0);

/** File Meta group (always explicit VR little endian) plus the 128-byte preamble. */
export function meta(transferSyntax: string, preamble = true): Uint8Array {
  const body = cat(text(0x00020001 as number, 'OB', '\0\x01'), text(0x00020010, 'UI', transferSyntax));
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, body.length, true);
  const m = cat(el(0x00020000, 'UL', groupLength), body);
  return preamble ? cat(new Uint8Array(128), new TextEncoder().encode('DICM'), m) : m;
}

export interface ImageSpec {
  rows: number;
  columns: number;
  frames?: number;
  bitsAllocated?: number;
  bitsStored?: number;
  samplesPerPixel?: number;
  photometric?: string;
  pixelRepresentation?: number;
}

/** The image pixel module, in tag order, ending before Pixel Data. */
export function imageModule(s: ImageSpec, enc: Enc = ELE, extra: Uint8Array[] = []): Uint8Array {
  const bits = s.bitsAllocated ?? 16;
  return cat(
    text(0x00080018, 'UI', '1.2.3.4.5.6', enc),
    text(0x00100010, 'PN', 'Doe^Jane', enc),
    text(0x00100020, 'LO', 'PAT-1', enc),
    text(0x0020000d, 'UI', '1.2.3.4', enc),
    text(0x0020000e, 'UI', '1.2.3.4.5', enc),
    us(0x00280002, s.samplesPerPixel ?? 1, enc),
    text(0x00280004, 'CS', s.photometric ?? 'MONOCHROME2', enc),
    ...(s.frames !== undefined ? [text(0x00280008, 'IS', String(s.frames), enc)] : []),
    us(0x00280010, s.rows, enc),
    us(0x00280011, s.columns, enc),
    us(0x00280100, bits, enc),
    us(0x00280101, s.bitsStored ?? bits, enc),
    us(0x00280102, (s.bitsStored ?? bits) - 1, enc),
    us(0x00280103, s.pixelRepresentation ?? 0, enc),
    ...extra,
  );
}

/** Encapsulated Pixel Data from an offset table and fragments. */
export function encapsulatedPixelData(fragments: Uint8Array[], bot: number[] = []): Uint8Array {
  const table = new Uint8Array(bot.length * 4);
  bot.forEach((o, i) => new DataView(table.buffer).setUint32(i * 4, o, true));
  return cat(el(0x7fe00010, 'OB', new Uint8Array(0), ELE, UNDEFINED), item(table), ...fragments.map((f) => item(pad(f, 0))), seqDelim());
}

/** A fake codestream fragment that starts like a JPEG (FF D8), filled with `fill`. */
export function jpegLike(len: number, fill: number): Uint8Array {
  const b = new Uint8Array(len).fill(fill);
  b[0] = 0xff;
  b[1] = 0xd8;
  return b;
}

export function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export interface ReadResult {
  description: PixelDescription | null;
  frames: EncodedFrame[];
  error: DicomflowError | null;
}

/** Reads everything, collecting frames until the first error. */
export async function readAll(bytes: Uint8Array, chunkSize = 65536, options: ReadOptions = {}): Promise<ReadResult> {
  const out: ReadResult = { description: null, frames: [], error: null };
  const r = readDicom(chunked(bytes, chunkSize), { file: 'test.dcm', totalBytes: bytes.length, ...options });
  try {
    out.description = await r.header();
    for await (const f of r.frames()) out.frames.push(f);
  } catch (err) {
    if (!(err instanceof DicomflowError)) throw err;
    out.error = err;
  }
  return out;
}
