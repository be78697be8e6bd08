/**
 * Reads the main header of a JPEG 2000 / HTJ2K codestream (ISO 15444-1
 * A.5.1 SIZ, A.6.1 COD): image size, components, precision, and the number
 * of wavelet decomposition levels. Read before decoding, so a codestream
 * that disagrees with the DICOM header is refused before the codec
 * allocates anything, and so the sub-resolution level can be chosen.
 */
import { DecodeError } from '../errors.js';
import { hasMarkerNearEnd } from './jpeg-header.js';

export interface J2kHeader {
  width: number;
  height: number;
  offsetX: number;
  offsetY: number;
  components: number;
  precision: number;
  signed: boolean;
  decompositions: number;
  /** Multiple component transform (RCT/ICT) applied to the first three components. */
  mct: boolean;
  /** Per component: precision, sign, and subsampling (XRsiz, YRsiz). */
  componentInfo: { precision: number; signed: boolean; dx: number; dy: number }[];
}

const SOC = 0xff4f;
const SIZ = 0xff51;
const COD = 0xff52;
const SOT = 0xff90;
const EOC = 0xffd9;

export function readJ2kHeader(b: Uint8Array): J2kHeader {
  const bad = (why: string) => new DecodeError(`not a JPEG 2000 codestream: ${why}`, { stage: 'decode' });
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  if (b.length < 4 || dv.getUint16(0) !== SOC) throw bad('no SOC marker at the start');
  if (dv.getUint16(2) !== SIZ) throw bad('SIZ does not follow SOC');
  if (b.length < 4 + 38) throw bad('SIZ marker segment is cut short');
  const x = dv.getUint32(8);
  const y = dv.getUint32(12);
  const x0 = dv.getUint32(16);
  const y0 = dv.getUint32(20);
  const components = dv.getUint16(40);
  if (b.length < 42 + 3 * components) throw bad('SIZ component list is cut short');
  const ssiz = b[42]!;
  const componentInfo = [];
  for (let c = 0; c < components; c++) {
    const s = b[42 + 3 * c]!;
    componentInfo.push({ precision: (s & 0x7f) + 1, signed: (s & 0x80) !== 0, dx: b[43 + 3 * c]!, dy: b[44 + 3 * c]! });
  }
  const header: J2kHeader = {
    width: x - x0,
    height: y - y0,
    offsetX: x0,
    offsetY: y0,
    components,
    precision: (ssiz & 0x7f) + 1,
    signed: (ssiz & 0x80) !== 0,
    decompositions: -1,
    mct: false,
    componentInfo,
  };
  // Walk the main header's marker segments to COD.
  let at = 4 + dv.getUint16(4);
  while (at + 4 <= b.length) {
    const marker = dv.getUint16(at);
    if (marker === SOT) break;
    const len = dv.getUint16(at + 2);
    if (marker === COD) {
      if (at + 2 + 10 > b.length) throw bad('COD marker segment is cut short');
      header.mct = b[at + 8] === 1;
      header.decompositions = b[at + 9]!;
      break;
    }
    if ((marker & 0xff00) !== 0xff00 || len < 2) throw bad(`invalid marker 0x${marker.toString(16)} at byte ${at}`);
    at += 2 + len;
  }
  if (header.decompositions < 0) throw bad('no COD marker in the main header');
  return header;
}

const JP2_SIGNATURE = Uint8Array.of(0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a);

/** The fragment starts with a JP2 file's signature box (ISO 15444-1 I.5.1). */
export function isJp2(b: Uint8Array): boolean {
  if (b.length < JP2_SIGNATURE.length) return false;
  for (let i = 0; i < JP2_SIGNATURE.length; i++) if (b[i] !== JP2_SIGNATURE[i]) return false;
  return true;
}

/**
 * The codestream inside a JP2 file: the contents of its first `jp2c` box
 * (ISO 15444-1 I.4, I.5.4). DICOM wants a bare codestream (PS3.5 A.4.4),
 * but some writers store the whole JP2 file in the fragment; GDCM and
 * OpenJPEG decode those, and so does this. Other bytes pass through.
 *
 * @example unwrapJp2(fragment).codestream // starts with FF 4F FF 51
 */
export function unwrapJp2(b: Uint8Array): { codestream: Uint8Array; jp2: boolean } {
  if (!isJp2(b)) return { codestream: b, jp2: false };
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  let at = 0;
  while (at + 8 <= b.length) {
    let length = dv.getUint32(at);
    const type = dv.getUint32(at + 4);
    let header = 8;
    if (length === 1) {
      // XLBox: a 64-bit length follows.
      if (at + 16 > b.length) break;
      length = Number(dv.getBigUint64(at + 8));
      header = 16;
    } else if (length === 0) {
      length = b.length - at; // the last box runs to the end of the file
    }
    if (length < header) throw new DecodeError(`JP2 box at byte ${at} has length ${length}, shorter than its header`, { stage: 'decode' });
    if (type === 0x6a703263 /* 'jp2c' */) return { codestream: b.subarray(at + header, Math.min(b.length, at + length)), jp2: true };
    at += length;
  }
  throw new DecodeError('JP2 file in the fragment holds no contiguous codestream box (jp2c)', { stage: 'decode' });
}

/**
 * True when the codestream ends with EOC (FF D9), allowing for the bytes
 * DICOM pads fragments with (PS3.5 A.4). Without it the codestream was cut
 * short: OpenJPEG then decodes what it has and fills in the rest. FF D9
 * cannot occur inside packet data (ISO 15444-1 B.10.1 bit stuffing).
 */
export function endsWithEoc(b: Uint8Array): boolean {
  return hasMarkerNearEnd(b, 0xd9);
}

/**
 * Why the codestream's tile-parts do not add up, or null when they do: each
 * SOT gives its tile-part's length (Psot, ISO 15444-1 A.4.2), and the last
 * must be followed by EOC. A stream cut mid-tile and closed with EOC again
 * looks complete from its ends; OpenJPH then decodes zeros for the rest
 * without a word, so the lengths are checked here.
 *
 * @example tilePartProblem(codestream) // 'tile-part at byte 163 claims 4517 bytes, 2311 are left'
 */
export function tilePartProblem(b: Uint8Array): string | null {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  if (b.length < 6) return 'the codestream is shorter than its main header';
  // Main header: from SIZ to the first SOT.
  let at = 4 + dv.getUint16(4);
  while (at + 4 <= b.length && dv.getUint16(at) !== SOT) {
    const len = dv.getUint16(at + 2);
    if ((dv.getUint16(at) & 0xff00) !== 0xff00 || len < 2) return `invalid marker in the main header at byte ${at}`;
    at += 2 + len;
  }
  if (at + 12 > b.length) return 'the codestream ends before its first tile-part';
  for (let parts = 0; ; parts++) {
    if (at + 2 <= b.length && dv.getUint16(at) === EOC) return parts > 0 ? null : 'no tile-part before EOC';
    if (at + 12 > b.length) return `the codestream ends at byte ${b.length} after ${parts} tile-part(s), without EOC`;
    if (dv.getUint16(at) !== SOT) return `no SOT or EOC marker at byte ${at}, where tile-part ${parts} should start`;
    const psot = dv.getUint32(at + 6);
    if (psot === 0) return null; // the last tile-part runs to EOC, which endsWithEoc checks
    if (psot < 14) return `tile-part at byte ${at} has length ${psot}`;
    if (at + psot > b.length) return `tile-part at byte ${at} claims ${psot} bytes, ${b.length - at} are left`;
    at += psot;
  }
}

/** Image size after discarding `level` resolution levels (ISO 15444-1 B.5). */
export function sizeAtLevel(h: Pick<J2kHeader, 'offsetX' | 'offsetY' | 'width' | 'height'>, level: number): { width: number; height: number } {
  const f = 2 ** level;
  return {
    width: Math.ceil((h.offsetX + h.width) / f) - Math.ceil(h.offsetX / f),
    height: Math.ceil((h.offsetY + h.height) / f) - Math.ceil(h.offsetY / f),
  };
}

/**
 * The deepest level whose size is still at least `atLeast` in both axes;
 * 0 (full decode) unless the target is at most half the frame in both axes.
 */
export function chooseLevel(
  full: { width: number; height: number },
  atLeast: { width: number; height: number },
  decompositions: number,
  sizeAt: (level: number) => { width: number; height: number },
): number {
  if (atLeast.width * 2 > full.width || atLeast.height * 2 > full.height) return 0;
  let level = 0;
  for (let l = 1; l <= decompositions; l++) {
    const s = sizeAt(l);
    if (s.width < atLeast.width || s.height < atLeast.height) break;
    level = l;
  }
  return level;
}
