/**
 * Reading data elements one header at a time from a ByteReader, in any of the
 * three container encodings. Values are read only for the few attributes the
 * caller wants; everything else is skipped as it streams by.
 */
import { ElementLengthError, MalformedError, TruncatedHeaderError, type Where } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { LONG_VRS, Tag, UNDEFINED_LENGTH, tagString } from './tags.js';

export interface Encoding {
  explicitVR: boolean;
  littleEndian: boolean;
}

export const EXPLICIT_LE: Encoding = { explicitVR: true, littleEndian: true };
export const IMPLICIT_LE: Encoding = { explicitVR: false, littleEndian: true };
export const EXPLICIT_BE: Encoding = { explicitVR: true, littleEndian: false };

export interface ElementHeader {
  tag: number;
  /** Two-letter VR, or null for implicit VR and for item/delimiter tags. */
  vr: string | null;
  /** Value length in bytes, or UNDEFINED_LENGTH. */
  length: number;
  /** Offset of the first byte of the tag. */
  offset: number;
}

export interface ReadLimits {
  /** Largest value length accepted for any element other than pixel data. */
  maxElementBytes: number;
  /** Total input size when known (file size, Content-Length): lengths past it are rejected at once. */
  totalBytes: number | undefined;
}

/** Context every reading function shares: where errors point, and the limits. */
export interface ReadContext {
  reader: ByteReader;
  file: string | undefined;
  limits: ReadLimits;
  /** True once the reader is past the File Meta group of a deflated file. */
  inflated: boolean;
}

export function where(ctx: ReadContext, offset: number, frame?: number): Where {
  const w: Where = { stage: 'parse', offset };
  if (ctx.file !== undefined) w.file = ctx.file;
  if (ctx.inflated) w.inflated = true;
  if (frame !== undefined) w.frame = frame;
  return w;
}

function isVRByte(b: number): boolean {
  return b >= 0x41 && b <= 0x5a; // 'A'..'Z'
}

/** True when the two bytes at `at` spell a plausible VR (two upper-case letters). */
export function looksLikeVR(bytes: Uint8Array, at: number): boolean {
  return isVRByte(bytes[at]!) && isVRByte(bytes[at + 1]!);
}

export function readTag(b: Uint8Array, at: number, littleEndian: boolean): number {
  return ((u16(b, at, littleEndian) << 16) | u16(b, at + 2, littleEndian)) >>> 0;
}

// Byte arithmetic rather than a DataView per element: the main thread parses every
// file's header while the decode workers share its cores.
function u16(b: Uint8Array, at: number, littleEndian: boolean): number {
  return littleEndian ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
}

function u32(b: Uint8Array, at: number, littleEndian: boolean): number {
  return littleEndian
    ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
    : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** What the synchronous readers return when the bytes they need have not arrived yet. */
export const NEED_MORE: unique symbol = Symbol('need more bytes');

/**
 * The next element header when all its bytes are buffered, else NEED_MORE
 * (and nothing is consumed). The header walk calls this first and awaits
 * readElementHeader only when a chunk boundary is in the way: an await per
 * element cost the main thread a promise chain per element of every file,
 * while the decode workers share its cores.
 */
export function readElementHeaderNow(ctx: ReadContext, enc: Encoding): ElementHeader | typeof NEED_MORE {
  const r = ctx.reader;
  if (r.available < 8) return NEED_MORE;
  const offset = r.position;
  const b = r.peek(8);
  const tag = readTag(b, 0, enc.littleEndian);
  // Items and delimiters have no VR in any encoding (PS3.5 7.5).
  if (tag === Tag.Item || tag === Tag.ItemDelimitation || tag === Tag.SequenceDelimitation || !enc.explicitVR) {
    const length = u32(b, 4, enc.littleEndian);
    r.consume(8);
    return { tag, vr: null, length, offset };
  }
  if (!looksLikeVR(b, 4)) {
    throw new MalformedError(
      `element ${tagString(tag)} has no valid VR (bytes 0x${b[4]!.toString(16)} 0x${b[5]!.toString(16)}) in an explicit VR data set`,
      where(ctx, offset),
    );
  }
  const vr = String.fromCharCode(b[4]!, b[5]!);
  if (!LONG_VRS.has(vr)) {
    const length = u16(b, 6, enc.littleEndian);
    r.consume(8);
    return { tag, vr, length, offset };
  }
  if (r.available < 12) return NEED_MORE;
  const length = u32(r.peek(12), 8, enc.littleEndian);
  r.consume(12);
  return { tag, vr, length, offset };
}

/**
 * Reads the next element header. Returns null when the input ends exactly at
 * an element boundary; throws TruncatedHeaderError when it ends inside one.
 */
export async function readElementHeader(ctx: ReadContext, enc: Encoding): Promise<ElementHeader | null> {
  const now = readElementHeaderNow(ctx, enc);
  if (now !== NEED_MORE) return now;
  const r = ctx.reader;
  const offset = r.position;
  if (!(await r.ensure(8))) {
    if (r.available === 0) return null;
    throw new TruncatedHeaderError(`input ends inside an element header (${r.available} of 8 bytes)`, where(ctx, offset));
  }
  const h = readElementHeaderNow(ctx, enc);
  if (h !== NEED_MORE) return h;
  // A long-VR header (12 bytes) of which only the first eight have arrived so far.
  if (!(await r.ensure(12))) {
    throw new TruncatedHeaderError(`input ends inside the header of element ${tagString(readTag(r.peek(8), 0, enc.littleEndian))}`, where(ctx, offset));
  }
  const long = readElementHeaderNow(ctx, enc);
  if (long === NEED_MORE) throw new Error('an element header of 12 buffered bytes was not read'); // cannot happen: 12 bytes are buffered
  return long;
}

/**
 * Rejects a defined length that is past the end of the input (when its size
 * is known) or over `limit`. Called before any byte of the value is kept.
 */
export function checkLength(ctx: ReadContext, h: ElementHeader, limit: number, what: string): void {
  if (h.length === UNDEFINED_LENGTH) return;
  const left = ctx.limits.totalBytes === undefined || ctx.inflated ? undefined : ctx.limits.totalBytes - ctx.reader.position;
  if (left !== undefined && h.length > left) {
    throw new ElementLengthError(
      `${what} ${tagString(h.tag)} declares ${h.length} bytes but only ${left} remain in the input`,
      where(ctx, h.offset),
      { details: { tag: tagString(h.tag), length: h.length, bytesLeft: left } },
    );
  }
  if (h.length > limit) {
    throw new ElementLengthError(
      `${what} ${tagString(h.tag)} declares ${h.length} bytes, over the limit of ${limit}`,
      where(ctx, h.offset),
      { details: { tag: tagString(h.tag), length: h.length, limit } },
    );
  }
}

/** Reads a (checked) value into a fresh array. */
export async function readValue(ctx: ReadContext, h: ElementHeader, limit: number): Promise<Uint8Array> {
  const now = readValueNow(ctx, h, limit);
  if (now !== NEED_MORE) return now;
  const value = new Uint8Array(h.length);
  const got = await ctx.reader.readInto(value);
  if (got < h.length) {
    throw new TruncatedHeaderError(`input ends inside the value of ${tagString(h.tag)} (${got} of ${h.length} bytes)`, where(ctx, h.offset));
  }
  return value;
}

/** readValue when the whole value is buffered, else NEED_MORE (the length is checked either way; nothing is consumed). */
export function readValueNow(ctx: ReadContext, h: ElementHeader, limit: number): Uint8Array | typeof NEED_MORE {
  checkLength(ctx, h, limit, 'element');
  const r = ctx.reader;
  if (h.length > r.available) return NEED_MORE;
  const value = new Uint8Array(h.length);
  if (h.length > 0) value.set(r.peek(h.length));
  r.consume(h.length);
  return value;
}

/** Skips a (checked) value without keeping it. */
export async function skipValue(ctx: ReadContext, h: ElementHeader): Promise<void> {
  if (skipValueNow(ctx, h)) return;
  const got = await ctx.reader.skip(h.length);
  if (got < h.length) {
    throw new TruncatedHeaderError(`input ends inside the value of ${tagString(h.tag)} (${got} of ${h.length} bytes)`, where(ctx, h.offset));
  }
}

/** skipValue when the whole value is buffered (true), else false and nothing is consumed; the length is checked either way. */
export function skipValueNow(ctx: ReadContext, h: ElementHeader): boolean {
  checkLength(ctx, h, ctx.limits.maxElementBytes, 'element');
  if (h.length > ctx.reader.available) return false;
  ctx.reader.consume(h.length);
  return true;
}

/** One decoder for every latin1 value (stateless for whole buffers). */
export const LATIN1 = new TextDecoder('latin1');

/** A string value with DICOM padding (trailing spaces and NULs) removed. */
export function decodeString(v: Uint8Array): string {
  let end = v.length;
  while (end > 0 && (v[end - 1] === 0x20 || v[end - 1] === 0x00)) end--;
  let start = 0;
  while (start < end && v[start] === 0x20) start++;
  return LATIN1.decode(v.subarray(start, end));
}

/** First value of a US element. */
export function decodeUint16(v: Uint8Array, littleEndian: boolean): number | null {
  if (v.length < 2) return null;
  return new DataView(v.buffer, v.byteOffset, v.length).getUint16(0, littleEndian);
}

/** First value of an IS or DS element (multi-valued strings are split on '\'). */
export function decodeNumberString(v: Uint8Array): number | null {
  const s = decodeString(v).split('\\')[0]!.trim();
  if (s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}
