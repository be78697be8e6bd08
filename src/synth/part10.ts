/**
 * A small DICOM Part-10 writer for synthetic images: preamble, File Meta
 * group, and a flat data set (Patient, Study, Series, Image Pixel, Modality
 * and VOI LUT attributes) in Explicit VR Little Endian, then the frames,
 * either native or encapsulated (one fragment per frame, Basic Offset
 * Table). Enough for the readers and tools this project meets; it does not
 * aim at full IOD conformance.
 */
import { Tag } from '../dicom/tags.js';
import { open } from 'node:fs/promises';
import { syntaxInfo, TransferSyntax, type SyntaxInfo } from '../dicom/transfer-syntax.js';
import { SynthOptionError } from '../errors.js';
import { ITEM, SEQUENCE_DELIMITER, UNDEFINED_LENGTH, concat, elementHeader, formatDS, stringElement, ulElement, usElement, type StringVr } from './element-writer.js';
import { IMPLEMENTATION_CLASS_UID } from './uid.js';

/** Storage SOP classes the writer picks by default. */
export const SopClass = {
  SecondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  CTImage: '1.2.840.10008.5.1.4.1.1.2',
} as const;

export const IMPLEMENTATION_VERSION_NAME = 'DICOMFLOW_SYNTH1';

export interface Part10Ids {
  patientId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

export interface Part10Spec {
  /** A TransferSyntax constant: Explicit VR Little Endian or an encapsulated (non-video) syntax. */
  transferSyntax: string;
  rows: number;
  columns: number;
  /** Checked against the number of frames passed, when given. */
  frames?: number;
  samplesPerPixel: 1 | 3;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  photometric: string;
  /** Colour only; default 0 (interleaved), which encapsulated syntaxes require. */
  planarConfiguration?: 0 | 1;
  rescaleIntercept?: number;
  rescaleSlope?: number;
  windowCenter?: number;
  windowWidth?: number;
  /** Default: CT Image Storage when modality is CT, else Secondary Capture. */
  sopClassUid?: string;
  ids: Part10Ids;
  patientName?: string;
  /** Default 'CT' for CT Image Storage, else 'OT'. */
  modality?: string;
  /** YYYYMMDD; default empty. */
  studyDate?: string;
  /**
   * Whether lossy compression was applied (writes Lossy Image Compression
   * "01", ratio and method). Default: what the transfer syntax implies.
   */
  lossy?: boolean;
  /**
   * More string attributes (institution, station, manufacturer, study date, ...),
   * written in tag order among the others. A tag the writer already writes is refused.
   */
  extra?: readonly { tag: number; vr: StringVr; value: string }[];
}

// The reader's tags, plus the ones only the writer needs (written in ascending order).
const T = {
  ...Tag,
  FileMetaInformationGroupLength: 0x00020000,
  FileMetaInformationVersion: 0x00020001,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  ImplementationClassUID: 0x00020012,
  ImplementationVersionName: 0x00020013,
  ImageType: 0x00080008,
  SOPClassUID: 0x00080016,
  StudyDate: 0x00080020,
  StudyTime: 0x00080030,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  ConversionType: 0x00080064,
  ReferringPhysicianName: 0x00080090,
  PatientName: 0x00100010,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  PatientOrientation: 0x00200020,
  RescaleType: 0x00281054,
  LossyImageCompression: 0x00282110,
  LossyImageCompressionRatio: 0x00282112,
  LossyImageCompressionMethod: 0x00282114,
} as const;

/** Lossy Image Compression Method (0028,2114) defined terms, by transfer syntax. */
const METHOD: Record<string, string> = {
  [TransferSyntax.JPEGBaseline8Bit]: 'ISO_10918_1',
  [TransferSyntax.JPEGExtended12Bit]: 'ISO_10918_1',
  [TransferSyntax.JPEGLSNearLossless]: 'ISO_14495_1',
  [TransferSyntax.JPEG2000]: 'ISO_15444_1',
  [TransferSyntax.HTJ2K]: 'ISO_15444_15',
};

/**
 * The file as a list of byte chunks: the header, then for each frame its item
 * header and its bytes (the caller's arrays, not copied), then the
 * delimiter. Write them in order, or pass them to `readDicom` as they are.
 *
 * @example
 *   const chunks = part10Chunks(spec, [codestream]);
 *   const description = await readDicom(chunks).header();
 */
export function part10Chunks(spec: Part10Spec, frames: readonly Uint8Array[]): Uint8Array[] {
  const syntax = checkSpec(spec, frames);
  const sopClass = spec.sopClassUid ?? defaultSopClass(spec);
  const ct = sopClass === SopClass.CTImage;
  const frameBytes = spec.rows * spec.columns * spec.samplesPerPixel * (spec.bitsAllocated / 8);
  const encodedBytes = frames.reduce((n, f) => n + f.length, 0);
  const lossy = spec.lossy ?? syntax.lossy;

  const metaBody = concat([
    concat([elementHeader(T.FileMetaInformationVersion, 'OB', 2), Uint8Array.of(0x00, 0x01)]),
    stringElement(T.MediaStorageSOPClassUID, 'UI', sopClass),
    stringElement(T.MediaStorageSOPInstanceUID, 'UI', spec.ids.sopInstanceUid),
    stringElement(T.TransferSyntaxUID, 'UI', syntax.uid),
    stringElement(T.ImplementationClassUID, 'UI', IMPLEMENTATION_CLASS_UID),
    stringElement(T.ImplementationVersionName, 'SH', IMPLEMENTATION_VERSION_NAME),
  ]);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128); // DICM

  const modality = spec.modality ?? (ct ? 'CT' : 'OT');
  const rescaled = spec.rescaleIntercept !== undefined || spec.rescaleSlope !== undefined;
  const windowed = spec.windowCenter !== undefined && spec.windowWidth !== undefined;
  const elements: (Uint8Array | null)[] = [
    stringElement(T.ImageType, 'CS', ct ? ['DERIVED', 'PRIMARY', 'AXIAL'] : ['DERIVED', 'SECONDARY']),
    stringElement(T.SOPClassUID, 'UI', sopClass),
    stringElement(T.SOPInstanceUID, 'UI', spec.ids.sopInstanceUid),
    stringElement(T.StudyDate, 'DA', spec.studyDate ?? ''),
    stringElement(T.StudyTime, 'TM', ''),
    stringElement(T.AccessionNumber, 'SH', ''),
    stringElement(T.Modality, 'CS', modality),
    // Secondary Capture asks how the image came to be: SYN, a synthetic image.
    ct ? null : stringElement(T.ConversionType, 'CS', 'SYN'),
    stringElement(T.ReferringPhysicianName, 'PN', ''),
    stringElement(T.PatientName, 'PN', spec.patientName ?? ''),
    stringElement(T.PatientID, 'LO', spec.ids.patientId),
    stringElement(T.PatientBirthDate, 'DA', ''),
    stringElement(T.PatientSex, 'CS', ''),
    stringElement(T.StudyInstanceUID, 'UI', spec.ids.studyInstanceUid),
    stringElement(T.SeriesInstanceUID, 'UI', spec.ids.seriesInstanceUid),
    stringElement(T.StudyID, 'SH', ''),
    stringElement(T.SeriesNumber, 'IS', '1'),
    stringElement(T.InstanceNumber, 'IS', '1'),
    stringElement(T.PatientOrientation, 'CS', ''),
    usElement(T.SamplesPerPixel, spec.samplesPerPixel),
    stringElement(T.PhotometricInterpretation, 'CS', spec.photometric),
    spec.samplesPerPixel === 3 ? usElement(T.PlanarConfiguration, spec.planarConfiguration ?? 0) : null,
    frames.length > 1 ? stringElement(T.NumberOfFrames, 'IS', String(frames.length)) : null,
    usElement(T.Rows, spec.rows),
    usElement(T.Columns, spec.columns),
    usElement(T.BitsAllocated, spec.bitsAllocated),
    usElement(T.BitsStored, spec.bitsStored),
    usElement(T.HighBit, spec.bitsStored - 1),
    usElement(T.PixelRepresentation, spec.pixelRepresentation),
    windowed ? stringElement(T.WindowCenter, 'DS', formatDS(spec.windowCenter!)) : null,
    windowed ? stringElement(T.WindowWidth, 'DS', formatDS(spec.windowWidth!)) : null,
    rescaled ? stringElement(T.RescaleIntercept, 'DS', formatDS(spec.rescaleIntercept ?? 0)) : null,
    rescaled ? stringElement(T.RescaleSlope, 'DS', formatDS(spec.rescaleSlope ?? 1)) : null,
    // CT's Modality LUT is in HU by definition; other IODs must say what the rescaled unit is (US: unspecified).
    rescaled && !ct ? stringElement(T.RescaleType, 'LO', modality === 'CT' ? 'HU' : 'US') : null,
    lossy ? stringElement(T.LossyImageCompression, 'CS', '01') : null,
    lossy && encodedBytes > 0 ? stringElement(T.LossyImageCompressionRatio, 'DS', formatDS(Number(((frameBytes * frames.length) / encodedBytes).toFixed(2)))) : null,
    lossy && METHOD[syntax.uid] ? stringElement(T.LossyImageCompressionMethod, 'CS', METHOD[syntax.uid]!) : null,
  ];
  const tagOf = (e: Uint8Array) => ((e[0]! | (e[1]! << 8)) << 16) + (e[2]! | (e[3]! << 8));
  const body = elements.filter((e): e is Uint8Array => e !== null);
  if (spec.extra?.length) {
    const written = new Set(body.map(tagOf));
    for (const x of spec.extra) {
      if (written.has(x.tag)) throw new SynthOptionError(`extra attribute (${x.tag.toString(16).padStart(8, '0')}) is one the writer writes itself`, { stage: 'bench', field: 'extra' });
      written.add(x.tag);
      body.push(stringElement(x.tag, x.vr, x.value));
    }
    // Data set elements go in ascending tag order (PS3.5 7.1).
    body.sort((a, b) => tagOf(a) - tagOf(b));
  }
  const header = concat([preamble, ulElement(T.FileMetaInformationGroupLength, metaBody.length), metaBody, ...body]);
  return [header, ...pixelData(syntax, spec, frames, frameBytes)];
}

/**
 * The whole file in one array.
 *
 * @example
 *   const file = writePart10({
 *     transferSyntax: TransferSyntax.JPEG2000Lossless, rows: 512, columns: 512, samplesPerPixel: 1,
 *     bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, photometric: 'MONOCHROME2',
 *     rescaleIntercept: 0, rescaleSlope: 1, modality: 'CT',
 *     ids: { patientId: 'P1', studyInstanceUid: makeUid('s'), seriesInstanceUid: makeUid('r'), sopInstanceUid: makeUid('i') },
 *   }, [codestream]);
 */
export function writePart10(spec: Part10Spec, frames: readonly Uint8Array[]): Uint8Array {
  return concat(part10Chunks(spec, frames));
}

/**
 * Writes the file chunk by chunk (frames are not copied into one buffer) and
 * returns its size in bytes.
 *
 * @example
 *   const bytes = await writePart10File('ct.dcm', spec, [codestream]);
 */
export async function writePart10File(path: string, spec: Part10Spec, frames: readonly Uint8Array[]): Promise<number> {
  const chunks = part10Chunks(spec, frames);
  const file = await open(path, 'w');
  let size = 0;
  try {
    for (const c of chunks) {
      await file.write(c);
      size += c.length;
    }
  } finally {
    await file.close();
  }
  return size;
}

function defaultSopClass(spec: Part10Spec): string {
  return spec.modality === 'CT' ? SopClass.CTImage : SopClass.SecondaryCapture;
}

function* pixelData(syntax: SyntaxInfo, spec: Part10Spec, frames: readonly Uint8Array[], frameBytes: number): Generator<Uint8Array> {
  if (!syntax.encapsulated) {
    // Native: consecutive frames of stored values, padded to even length as a whole.
    const total = frameBytes * frames.length;
    const padded = total + (total % 2);
    if (padded > 0xfffffffe) throw new SynthOptionError(`native Pixel Data of ${total} bytes exceeds the 4 GiB element limit`, { stage: 'bench', field: 'frames' });
    yield elementHeader(T.PixelData, spec.bitsAllocated > 8 ? 'OW' : 'OB', padded);
    yield* frames;
    if (padded !== total) yield new Uint8Array(1);
    return;
  }
  // Encapsulated (PS3.5 A.4): undefined length, Basic Offset Table item, one
  // fragment per frame, each of even length, then a Sequence Delimiter. The
  // offsets count from the first byte of the first fragment's item tag.
  const offsets = new Uint8Array(4 * frames.length);
  const dv = new DataView(offsets.buffer);
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    if (at > 0xffffffff) throw new SynthOptionError(`frame ${i} starts ${at} bytes into the pixel data, past what a Basic Offset Table can address`, { stage: 'bench', field: 'frames' });
    dv.setUint32(4 * i, at, true);
    at += 8 + frames[i]!.length + (frames[i]!.length % 2);
  }
  yield elementHeader(T.PixelData, 'OB', UNDEFINED_LENGTH);
  yield concat([elementHeader(ITEM, '', offsets.length), offsets]);
  for (const f of frames) {
    yield elementHeader(ITEM, '', f.length + (f.length % 2));
    yield f;
    // Codestreams end with a marker; a NUL after it is the padding decoders expect (PS3.5 A.4).
    if (f.length % 2) yield new Uint8Array(1);
  }
  yield elementHeader(SEQUENCE_DELIMITER, '', 0);
}

function checkSpec(spec: Part10Spec, frames: readonly Uint8Array[]): SyntaxInfo {
  const bad = (field: string, message: string) => new SynthOptionError(message, { stage: 'bench', field });
  const syntax = syntaxInfo(spec.transferSyntax);
  if (!syntax) throw bad('transferSyntax', `transferSyntax ${spec.transferSyntax} is not a known transfer syntax`);
  const writable = syntax.uid === TransferSyntax.ExplicitVRLittleEndian || (syntax.encapsulated && !syntax.video);
  if (!writable) throw bad('transferSyntax', `${syntax.name} is not written by this writer (Explicit VR Little Endian or an encapsulated image syntax)`);
  if (frames.length === 0) throw bad('frames', 'at least one frame is needed');
  if (spec.frames !== undefined && spec.frames !== frames.length) throw bad('frames', `spec.frames is ${spec.frames} but ${frames.length} frame(s) were given`);
  if (spec.bitsAllocated !== 8 && spec.bitsAllocated !== 16) throw bad('bitsAllocated', `bitsAllocated must be 8 or 16 (got ${spec.bitsAllocated})`);
  if (!Number.isInteger(spec.bitsStored) || spec.bitsStored < 1 || spec.bitsStored > spec.bitsAllocated) {
    throw bad('bitsStored', `bitsStored must be 1..${spec.bitsAllocated} (got ${spec.bitsStored})`);
  }
  if (spec.samplesPerPixel === 3 && syntax.encapsulated && (spec.planarConfiguration ?? 0) !== 0) {
    throw bad('planarConfiguration', 'encapsulated colour frames must be interleaved (planarConfiguration 0)');
  }
  if ((spec.windowCenter === undefined) !== (spec.windowWidth === undefined)) throw bad('windowWidth', 'windowCenter and windowWidth go together');
  if (!syntax.encapsulated) {
    const frameBytes = spec.rows * spec.columns * spec.samplesPerPixel * (spec.bitsAllocated / 8);
    frames.forEach((f, i) => {
      if (f.length !== frameBytes) throw bad('frames', `native frame ${i} has ${f.length} bytes; ${spec.rows}x${spec.columns}x${spec.samplesPerPixel} at ${spec.bitsAllocated} bits needs ${frameBytes}`);
    });
  }
  return syntax;
}
