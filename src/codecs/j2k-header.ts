/**
 * Reads the main header of a JPEG 2000 / HTJ2K codestream (ISO 15444-1
 * A.5.1 SIZ, A.6.1 COD): image size, components, precision, and the number
 * of wavelet decomposition levels. Read before decoding, so a codestream
 * that disagrees with the DICOM header is refused before the codec
 * allocates anything, and so the sub-resolution level can be chosen.
 */
import { DecodeError } from '../errors.js';

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
}

const SOC = 0xff4f;
const SIZ = 0xff51;
const COD = 0xff52;
const SOT = 0xff90;

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

/** Image size after discarding `level` resolution levels (ISO 15444-1 B.5). */
export function sizeAtLevel(h: J2kHeader, level: number): { width: number; height: number } {
  const f = 2 ** level;
  return {
    width: Math.ceil((h.offsetX + h.width) / f) - Math.ceil(h.offsetX / f),
    height: Math.ceil((h.offsetY + h.height) / f) - Math.ceil(h.offsetY / f),
  };
}
