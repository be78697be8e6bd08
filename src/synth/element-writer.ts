/**
 * Encodes data elements in Explicit VR Little Endian (PS3.5 7.1.2), with the
 * value rules readers rely on: every value has even length (UI padded with
 * NUL, other strings with a space, PS3.5 6.2), strings fit their VR's
 * maximum length, and binary VRs take a 4-byte length. Values are limited to
 * ASCII so no Specific Character Set is needed.
 */
import { SynthOptionError } from '../errors.js';
import { isValidUid } from './uid.js';

export type StringVr = 'AE' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'TM' | 'UI';

/** Longest value (per backslash-separated value) each string VR allows, PS3.5 Table 6.2-1. */
const MAX_LENGTH: Record<StringVr, number> = { AE: 16, CS: 16, DA: 8, DS: 16, IS: 12, LO: 64, PN: 64, SH: 16, TM: 14, UI: 64 };
/** VRs whose explicit-VR header has a reserved 2 bytes and a 4-byte length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export const ITEM = 0xfffee000;
export const SEQUENCE_DELIMITER = 0xfffee0dd;
export const UNDEFINED_LENGTH = 0xffffffff;

const bad = (message: string) => new SynthOptionError(message, { stage: 'bench' });
const tagName = (tag: number) => `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`.toUpperCase();

/**
 * An element's header (tag, VR, length); the value follows it. Items and
 * delimiters (group FFFE) have no VR.
 *
 * @example
 *   elementHeader(0x7fe00010, 'OB', UNDEFINED_LENGTH); // 12 bytes: E0 7F 10 00 'O' 'B' 00 00 FF FF FF FF
 */
export function elementHeader(tag: number, vr: string, length: number): Uint8Array {
  const item = tag >>> 16 === 0xfffe;
  const long = item || LONG_VRS.has(vr);
  if (!long && length > 0xffff) throw bad(`${tagName(tag)} ${vr} value of ${length} bytes exceeds the 16-bit length field`);
  if (length > 0xffffffff) throw bad(`${tagName(tag)} value of ${length} bytes exceeds the 32-bit length field`);
  const out = new Uint8Array(item ? 8 : long ? 12 : 8);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, tag >>> 16, true);
  dv.setUint16(2, tag & 0xffff, true);
  if (item) {
    dv.setUint32(4, length, true);
  } else {
    out[4] = vr.charCodeAt(0);
    out[5] = vr.charCodeAt(1);
    if (long) dv.setUint32(8, length, true);
    else dv.setUint16(6, length, true);
  }
  return out;
}

/**
 * A string element; several values are joined with backslashes. An empty
 * string gives a zero-length value (how "present but empty" type 2
 * attributes are written).
 *
 * @example
 *   stringElement(0x00080060, 'CS', 'CT');            // value 'CT'
 *   stringElement(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'); // 25 chars + NUL pad
 */
export function stringElement(tag: number, vr: StringVr, value: string | readonly string[]): Uint8Array {
  const values = typeof value === 'string' ? value.split('\\') : value;
  for (const v of values) checkValue(tag, vr, v);
  let text = values.join('\\');
  if (text.length % 2 === 1) text += vr === 'UI' ? '\0' : ' ';
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return concat([elementHeader(tag, vr, out.length), out]);
}

/** An unsigned short (US) element. */
export function usElement(tag: number, n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw bad(`${tagName(tag)} US value must be an integer 0..65535 (got ${n})`);
  const v = new Uint8Array(2);
  new DataView(v.buffer).setUint16(0, n, true);
  return concat([elementHeader(tag, 'US', 2), v]);
}

/** An unsigned long (UL) element. */
export function ulElement(tag: number, n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw bad(`${tagName(tag)} UL value must be an integer 0..4294967295 (got ${n})`);
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, n, true);
  return concat([elementHeader(tag, 'UL', 4), v]);
}

/**
 * A number as a Decimal String: at most 16 characters, rounded to the most
 * significant digits that fit.
 *
 * @example
 *   formatDS(-1024);        // '-1024'
 *   formatDS(1 / 3);        // '0.33333333333333' (16 characters)
 */
export function formatDS(n: number): string {
  if (!Number.isFinite(n)) throw bad(`a Decimal String must be finite (got ${n})`);
  const plain = String(n);
  if (plain.length <= 16) return plain;
  // Fewer significant digits until it fits; exponent form for very large or small magnitudes.
  for (let digits = 15; digits >= 1; digits--) {
    for (const s of [String(Number(n.toPrecision(digits))), n.toExponential(digits - 1)]) if (s.length <= 16) return s;
  }
  throw bad(`${n} does not fit a 16-character Decimal String`);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function checkValue(tag: number, vr: StringVr, v: string): void {
  const where = `${tagName(tag)} ${vr} value ${JSON.stringify(v)}`;
  if (v.length > MAX_LENGTH[vr]) throw bad(`${where} is longer than ${MAX_LENGTH[vr]} characters`);
  // Control characters and backslash are never part of a single value; non-ASCII would need (0008,0005).
  if (!/^[\x20-\x5b\x5d-\x7e]*$/.test(v)) throw bad(`${where} must be printable ASCII without backslashes`);
  if (vr === 'UI' && v !== '' && !isValidUid(v)) throw bad(`${where} is not a valid UID`);
  if (vr === 'CS' && !/^[A-Z0-9 _]*$/.test(v)) throw bad(`${where} may hold only A-Z, 0-9, space and underscore`);
  if (vr === 'IS' && v !== '' && !/^ *[+-]?[0-9]+ *$/.test(v)) throw bad(`${where} is not an Integer String`);
  if (vr === 'DS' && v !== '' && !/^ *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *$/.test(v)) throw bad(`${where} is not a Decimal String`);
}
