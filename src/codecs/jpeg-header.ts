/**
 * Reads the marker structure of a JPEG-family codestream (ITU T.81 Annex B;
 * JPEG-LS, ITU T.87, uses the same syntax with SOF55): the frame header,
 * the colour markers (JFIF APP0, Adobe APP14), whether a scan exists and
 * whether the stream ends with EOI. Read before decoding, so a codestream
 * that disagrees with the DICOM header is refused before the codec
 * allocates anything, and a truncated one is known for what it is: the
 * decoders here fill a cut-short scan with invented rows and report success.
 */
import type { PixelDescription } from '../dicom/description.js';
import { DecodeError } from '../errors.js';
import { mismatch } from './errors.js';

export interface JpegComponent {
  id: number;
  h: number;
  v: number;
}

export interface JpegHeader {
  /** The SOF marker's low byte: 0xc0 baseline, 0xc1 extended, 0xc3 lossless, 0xf7 JPEG-LS. */
  sof: number;
  precision: number;
  /** 0 when the height is given later by a DNL marker. */
  rows: number;
  columns: number;
  components: JpegComponent[];
  jfif: boolean;
  /** The Adobe APP14 transform flag (0 none, 1 YCbCr, 2 YCCK), or null without the marker. */
  adobeTransform: number | null;
  /** An SOS marker was found after the frame header. */
  hasScan: boolean;
  /** The stream ends with EOI, allowing for padding bytes after it. */
  endsWithEoi: boolean;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP14 = 0xee;
const SOF55 = 0xf7;

function isSof(m: number): boolean {
  return (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === SOF55;
}

/** ASCII bytes at `at` equal `text`. */
function hasText(b: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * True when the stream ends with EOI. DICOM pads fragments to an even length
 * (PS3.5 A.4), with whatever byte the writer chose (dcmtk's JPEG-LS encoder
 * leaves a non-zero one), and some encoders add fill after EOI: so EOI is
 * looked for in the last bytes. FF D9 cannot occur inside entropy-coded data
 * (T.81 B.1.1.5 byte stuffing, T.87 A.1 bit stuffing), so finding it there
 * means the scan was complete.
 */
export function endsWithEoi(b: Uint8Array): boolean {
  return hasMarkerNearEnd(b, 0xd9);
}

/** FF `marker` among the last 16 bytes. */
export function hasMarkerNearEnd(b: Uint8Array, marker: number): boolean {
  for (let i = b.length - 2; i >= 0 && i >= b.length - 16; i--) if (b[i] === 0xff && b[i + 1] === marker) return true;
  return false;
}

/**
 * Parses up to the first SOS. Throws DecodeError when the bytes are not a
 * JPEG-family codestream or its header is cut short.
 *
 * @example readJpegHeader(fragment).components.map((c) => c.id) // [82, 71, 66] for an 'R' 'G' 'B' stream
 */
export function readJpegHeader(b: Uint8Array): JpegHeader {
  const bad = (why: string) => new DecodeError(`not a JPEG codestream: ${why}`, { stage: 'decode' }, { details: { reason: why } });
  if (b.length < 4 || b[0] !== 0xff || b[1] !== SOI) throw bad('no SOI marker at the start');
  const h: JpegHeader = { sof: -1, precision: 0, rows: 0, columns: 0, components: [], jfif: false, adobeTransform: null, hasScan: false, endsWithEoi: endsWithEoi(b) };
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) throw bad(`expected a marker at byte ${at}, found 0x${b[at]!.toString(16)}`);
    const m = b[at + 1]!;
    if (m === 0xff) {
      at++; // fill byte before a marker (B.1.1.2)
      continue;
    }
    if (m === EOI) break;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    const len = (b[at + 2]! << 8) | b[at + 3]!;
    if (len < 2) throw bad(`marker 0x${m.toString(16)} at byte ${at} has length ${len}`);
    const seg = at + 4;
    const segEnd = at + 2 + len;
    if (segEnd > b.length) throw bad(`marker 0x${m.toString(16)} at byte ${at} runs past the end of the frame`);
    if (m === APP0 && hasText(b, seg, 'JFIF\0')) h.jfif = true;
    else if (m === APP14 && hasText(b, seg, 'Adobe') && len >= 14) h.adobeTransform = b[seg + 11]!;
    else if (isSof(m) && h.sof < 0) {
      if (len < 8) throw bad('frame header is cut short');
      h.sof = m;
      h.precision = b[seg]!;
      h.rows = (b[seg + 1]! << 8) | b[seg + 2]!;
      h.columns = (b[seg + 3]! << 8) | b[seg + 4]!;
      const nf = b[seg + 5]!;
      if (len < 8 + 3 * nf) throw bad('frame header component list is cut short');
      for (let k = 0; k < nf; k++) {
        const c = seg + 6 + 3 * k;
        h.components.push({ id: b[c]!, h: b[c + 1]! >> 4, v: b[c + 1]! & 15 });
      }
    } else if (m === SOS) {
      h.hasScan = true;
      break;
    }
    at = segEnd;
  }
  if (h.sof < 0) throw bad('no frame header (SOF) before the scan');
  return h;
}

/** The colour model of a three-component stream. */
export type JpegColorModel = 'YCbCr' | 'RGB';

/**
 * Whether a three-component stream holds YCbCr or RGB, decided the way
 * libjpeg decides it (jdapimin.c default_decompress_parms), which is also
 * what GDCM, DCMTK and pydicom (through libjpeg/Pillow) follow:
 * a JFIF marker means YCbCr; else an Adobe marker's transform flag decides
 * (0 RGB, 1 YCbCr); else component ids 'R' 'G' 'B' mean RGB; else YCbCr.
 */
export function jpegColorModel(h: Pick<JpegHeader, 'jfif' | 'adobeTransform' | 'components'>): { model: JpegColorModel; reason: string } {
  if (h.jfif) return { model: 'YCbCr', reason: 'JFIF marker' };
  if (h.adobeTransform !== null) {
    return h.adobeTransform === 0 ? { model: 'RGB', reason: 'Adobe marker, transform 0' } : { model: 'YCbCr', reason: `Adobe marker, transform ${h.adobeTransform}` };
  }
  const ids = h.components.map((c) => c.id);
  if (ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42) return { model: 'RGB', reason: "component ids 'R' 'G' 'B'" };
  return { model: 'YCbCr', reason: `no JFIF or Adobe marker, component ids ${ids.join(',')}` };
}

/** What the DICOM label says a colour JPEG stream holds, or null when it does not say (e.g. RGB can be either in practice). */
export function labelledColorModel(photometric: string): JpegColorModel | null {
  if (photometric === 'RGB') return 'RGB';
  if (photometric.startsWith('YBR_')) return 'YCbCr';
  return null;
}

export interface JpegGuardOptions {
  codec: string;
  /** Largest sample precision the codec's process allows (8 baseline, 12 extended, 16 lossless / JPEG-LS). */
  maxPrecision: number;
  /** SOF markers this codec decodes. */
  sofs: readonly number[];
}

/**
 * Refuses a stream whose frame header disagrees with the DICOM description:
 * decoding it would misplace every pixel or allocate past the frame limit.
 */
export function guardJpeg(h: JpegHeader, d: PixelDescription, o: JpegGuardOptions): void {
  if (!o.sofs.includes(h.sof)) throw mismatch(o.codec, 'frame type (SOF marker)', `0xFF${h.sof.toString(16).toUpperCase()}`, `one of ${o.sofs.map((s) => `0xFF${s.toString(16).toUpperCase()}`).join(', ')} for ${d.transferSyntaxName}`);
  if (h.columns !== d.columns) throw mismatch(o.codec, 'width', h.columns, d.columns);
  if (h.rows !== d.rows) throw mismatch(o.codec, 'height', h.rows, d.rows);
  if (h.components.length !== d.samplesPerPixel) throw mismatch(o.codec, 'component count', h.components.length, d.samplesPerPixel);
  if (h.precision < 2 || h.precision > o.maxPrecision) throw mismatch(o.codec, 'precision', h.precision, `2..${o.maxPrecision}`);
  if (h.precision > d.bitsAllocated) throw mismatch(o.codec, 'precision', h.precision, `BitsAllocated ${d.bitsAllocated}`);
  if (!h.hasScan) throw new DecodeError(`${o.codec} codestream has no scan (SOS marker)`, { stage: 'decode' }, { details: { codec: o.codec, partial: true } });
}

export const SOF = { baseline: 0xc0, extended: 0xc1, progressive: 0xc2, lossless: 0xc3, jpegLs: SOF55 } as const;
