/**
 * The pixel description: everything needed to turn a frame's bytes into
 * numbers, and the ids used to split data sets. It is the only thing that
 * travels from a header to a sample.
 */
import { FrameTooLargeError, InvalidPixelDescriptionError, UnsupportedPixelFormatError, type Where } from '../errors.js';
import { decodeNumberString, decodeString, decodeUint16 } from './elements.js';
import type { RawHeader, Values } from './header.js';
import { Tag, pixelDataName } from './tags.js';
import type { SyntaxInfo } from './transfer-syntax.js';

export interface PixelIds {
  sopInstanceUid: string | null;
  seriesInstanceUid: string | null;
  studyInstanceUid: string | null;
  /** Used only to keep one patient's images on one side of a train/validation split. */
  patientId: string | null;
}

export interface Rescale {
  slope: number;
  intercept: number;
}

/**
 * Which element holds the pixels: integer Pixel Data (7FE0,0010), Float Pixel
 * Data (7FE0,0008, OF, 32-bit IEEE) or Double Float Pixel Data (7FE0,0009,
 * OD, 64-bit IEEE).
 */
export type PixelDataKind = 'integer' | 'float32' | 'float64';

export interface PixelDescription {
  transferSyntax: string;
  transferSyntaxName: string;
  encapsulated: boolean;
  lossy: boolean;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  /** Which pixel data element the frames come from. */
  pixelData: PixelDataKind;
  /** 1 (bit-packed), 8, 16 or 32 for integer pixel data; 32 for float32, 64 for float64. */
  bitsAllocated: number;
  /** Float pixel data has no BitsStored, HighBit or PixelRepresentation: they read as bitsAllocated, bitsAllocated - 1 and 0. */
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: 0 | 1;
  photometricInterpretation: string;
  /** 0 interleaved, 1 planar; null for single-sample images. */
  planarConfiguration: 0 | 1 | null;
  /** Modality LUT; null when the file has none (identity). From functional groups in enhanced multi-frame. */
  rescaleSlope: number | null;
  rescaleIntercept: number | null;
  /** Set only when enhanced multi-frame files give a rescale per frame. */
  frameRescale: Rescale[] | null;
  windowCenter: number | null;
  windowWidth: number | null;
  /**
   * Bytes of one frame as the reader delivers native frames: stored values, or
   * for 1-bit data the frame's packed bits re-aligned to start at bit 0 of
   * byte 0, ceil(pixels / 8) bytes. For encapsulated syntaxes, the decoded
   * size. (The decompression-bomb guard counts the unpacked size instead.)
   */
  frameBytes: number;
  ids: PixelIds;
}

export interface DescriptionLimits {
  maxFrameBytes: number;
}

/**
 * Read access to the attributes a description is built from, whatever they
 * came from (a Part-10 header's raw values, DICOM JSON metadata, ...), so
 * every source goes through the same checks.
 */
export interface AttributeSource {
  /** A US value. */
  uint16(tag: number): number | null;
  /** The first value of a DS or IS. */
  number(tag: number): number | null;
  /** A string value, trimmed; null when absent or empty. */
  string(tag: number): string | null;
  has(tag: number): boolean;
}

export interface DescriptionAttributes {
  /** Which pixel data element the data set has; absent means integer Pixel Data (7FE0,0010). */
  pixelData?: PixelDataKind;
  top: AttributeSource;
  /** Shared Functional Groups (rescale and window macros of enhanced multi-frame). */
  shared: AttributeSource;
  /** The same per frame (index = frame). */
  perFrame: AttributeSource[];
}

/** Raw header values (binary values in byte order `le`) as an AttributeSource. */
export function valuesSource(v: Values, le: boolean): AttributeSource {
  return new ValuesSource(v, le);
}

/**
 * A class rather than an object of arrow functions: the main thread builds
 * three of these per file, and V8 kept re-optimising per-file closures (each
 * batch of them dropped its optimised code when it died), a recurring compile
 * cost on the cores the decode workers share. Methods on a prototype are
 * compiled once.
 */
class ValuesSource implements AttributeSource {
  constructor(
    private readonly v: Values,
    private readonly le: boolean,
  ) {}
  uint16(tag: number): number | null {
    const b = this.v.get(tag);
    return b === undefined ? null : decodeUint16(b, this.le);
  }
  number(tag: number): number | null {
    const b = this.v.get(tag);
    return b === undefined ? null : decodeNumberString(b);
  }
  string(tag: number): string | null {
    const b = this.v.get(tag);
    if (b === undefined) return null;
    const s = decodeString(b);
    return s === '' ? null : s;
  }
  has(tag: number): boolean {
    return this.v.has(tag);
  }
}

/** A rescale or window value: top level, else shared functional groups, else the first frame's. */
function macroValue(a: DescriptionAttributes, first: AttributeSource | null | undefined, tag: number): number | null {
  return a.top.number(tag) ?? a.shared.number(tag) ?? (first ? first.number(tag) : null);
}

/**
 * Bytes one frame takes in native (uncompressed) form, as the reader delivers
 * it: for 1-bit data a whole number of bytes, since the reader re-aligns each
 * frame to start at a byte (in the element the frames follow each other with
 * no padding, PS3.5 8.1.1).
 *
 * @example nativeFrameBytes({ rows: 11, columns: 13, samplesPerPixel: 1, bitsAllocated: 1, photometricInterpretation: 'MONOCHROME2' }) // 18
 */
export function nativeFrameBytes(d: Pick<PixelDescription, 'rows' | 'columns' | 'samplesPerPixel' | 'bitsAllocated' | 'photometricInterpretation'>): number {
  if (d.bitsAllocated === 1) return Math.ceil((d.rows * d.columns * d.samplesPerPixel) / 8);
  // YBR_FULL_422 stored natively keeps two samples per pixel (PS3.3 C.7.6.3.1.2).
  const samples = d.photometricInterpretation === 'YBR_FULL_422' ? 2 : d.samplesPerPixel;
  return (d.rows * d.columns * samples * d.bitsAllocated) / 8;
}

/** The pixel data kind of a top-level pixel data element's tag. */
export function pixelDataKind(tag: number): PixelDataKind {
  return tag === Tag.FloatPixelData ? 'float32' : tag === Tag.DoubleFloatPixelData ? 'float64' : 'integer';
}

const KIND_TAG: Record<PixelDataKind, number> = { integer: Tag.PixelData, float32: Tag.FloatPixelData, float64: Tag.DoubleFloatPixelData };

/**
 * Builds and validates the description. `le` is the byte order of binary
 * values in the data set.
 */
export function describe(raw: RawHeader, syntax: SyntaxInfo, le: boolean, limits: DescriptionLimits, at: Where): PixelDescription {
  const attributes = {
    pixelData: pixelDataKind(raw.pixelData.tag),
    top: valuesSource(raw.top, le),
    shared: valuesSource(raw.shared, le),
    perFrame: raw.perFrame.map((f) => valuesSource(f, le)),
  };
  return describeAttributes(attributes, syntax, limits, at);
}

/**
 * Builds and validates a description from attributes of any origin.
 *
 * @example describeAttributes({ top, shared: top, perFrame: [] }, syntaxInfo(uid)!, { maxFrameBytes }, { file: url })
 */
export function describeAttributes(a: DescriptionAttributes, syntax: SyntaxInfo, limits: DescriptionLimits, at: Where): PixelDescription {
  const v = a.top;
  const bad = (msg: string) => new InvalidPixelDescriptionError(msg, at);
  const rows = v.uint16(Tag.Rows);
  const columns = v.uint16(Tag.Columns);
  const bitsAllocated = v.uint16(Tag.BitsAllocated);
  if (rows === null) throw bad('Rows (0028,0010) is missing');
  if (columns === null) throw bad('Columns (0028,0011) is missing');
  if (bitsAllocated === null) throw bad('BitsAllocated (0028,0100) is missing');
  if (rows === 0 || columns === 0) throw bad(`image is ${rows}x${columns}; Rows and Columns must be positive`);
  const samplesPerPixel = v.uint16(Tag.SamplesPerPixel) ?? 1;
  const photometric = v.string(Tag.PhotometricInterpretation);
  // Guessing MONOCHROME1 vs MONOCHROME2 would invert the image silently: refuse instead.
  if (photometric === null) throw bad('PhotometricInterpretation (0028,0004) is missing');
  const framesValue = v.number(Tag.NumberOfFrames);
  const frames = framesValue === null ? 1 : framesValue;
  if (!Number.isInteger(frames) || frames < 1) throw bad(`NumberOfFrames (0028,0008) must be a positive integer (got ${framesValue})`);
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) throw bad(`SamplesPerPixel must be 1 or 3 (got ${samplesPerPixel})`);
  const kind = a.pixelData ?? 'integer';
  const bits = kind === 'integer' ? integerBits(v, bitsAllocated, syntax, photometric, samplesPerPixel, at) : floatBits(kind, bitsAllocated, syntax, photometric, samplesPerPixel, at);
  const { bitsStored, highBit, pixelRepresentation } = bits;
  const pc = v.uint16(Tag.PlanarConfiguration);
  if (samplesPerPixel > 1 && pc !== null && pc !== 0 && pc !== 1) throw bad(`PlanarConfiguration must be 0 or 1 (got ${pc})`);
  const planarConfiguration = samplesPerPixel === 1 ? null : pc === 1 ? 1 : 0;

  // The guard counts what decoding holds: 1-bit pixels unpack to one byte each, and a
  // float64 frame is read whole before it is narrowed to float32.
  const bytesPerSample = bitsAllocated === 1 ? 1 : bitsAllocated / 8;
  const decodedFrameBytes = rows * columns * samplesPerPixel * bytesPerSample;
  const frameBytes = syntax.encapsulated ? decodedFrameBytes : nativeFrameBytes({ rows, columns, samplesPerPixel, bitsAllocated, photometricInterpretation: photometric });
  if (decodedFrameBytes > limits.maxFrameBytes) {
    const unpacked = bitsAllocated === 1 ? ' unpacked (one byte per pixel)' : '';
    throw new FrameTooLargeError(
      `one ${rows}x${columns}x${samplesPerPixel} frame of ${bitsAllocated}-bit samples needs ${decodedFrameBytes} bytes${unpacked}, over parse.maxFrameBytes ${limits.maxFrameBytes}`,
      at,
      { details: { frameBytes: decodedFrameBytes, limit: limits.maxFrameBytes } },
    );
  }

  let frameRescale: Rescale[] | null = null;
  if (a.perFrame.some((f) => f.has(Tag.RescaleSlope) || f.has(Tag.RescaleIntercept))) {
    frameRescale = a.perFrame.map((f) => ({ slope: f.number(Tag.RescaleSlope) ?? 1, intercept: f.number(Tag.RescaleIntercept) ?? 0 }));
  }
  const first = a.perFrame[0];

  return {
    transferSyntax: syntax.uid,
    transferSyntaxName: syntax.name,
    encapsulated: syntax.encapsulated,
    lossy: syntax.lossy,
    rows,
    columns,
    frames,
    samplesPerPixel,
    pixelData: kind,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    photometricInterpretation: photometric,
    planarConfiguration,
    rescaleSlope: macroValue(a, first, Tag.RescaleSlope),
    rescaleIntercept: macroValue(a, first, Tag.RescaleIntercept),
    frameRescale,
    windowCenter: macroValue(a, first, Tag.WindowCenter),
    windowWidth: macroValue(a, first, Tag.WindowWidth),
    frameBytes,
    ids: {
      sopInstanceUid: v.string(Tag.SOPInstanceUID),
      seriesInstanceUid: v.string(Tag.SeriesInstanceUID),
      studyInstanceUid: v.string(Tag.StudyInstanceUID),
      patientId: v.string(Tag.PatientID),
    },
  };
}

interface Bits {
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
}

const MONOCHROME: ReadonlySet<string> = new Set(['MONOCHROME1', 'MONOCHROME2']);

/** BitsStored, HighBit and PixelRepresentation of integer Pixel Data (7FE0,0010), checked. */
function integerBits(v: AttributeSource, bitsAllocated: number, syntax: SyntaxInfo, photometric: string, samplesPerPixel: number, at: Where): Bits {
  const bad = (msg: string) => new InvalidPixelDescriptionError(msg, at);
  const unsupported = (msg: string) => new UnsupportedPixelFormatError(msg, at, { details: { bitsAllocated, transferSyntax: syntax.uid } });
  // BitsStored and HighBit default the way GDCM and pydicom read files that omit them.
  const bitsStored = v.uint16(Tag.BitsStored) ?? bitsAllocated;
  const highBit = v.uint16(Tag.HighBit) ?? bitsStored - 1;
  const pr = v.uint16(Tag.PixelRepresentation) ?? 0;
  if (bitsAllocated === 1) {
    // PS3.5 8.2: bit-packed pixels exist only in native encodings; no codec here takes 1-bit input.
    if (syntax.encapsulated) throw unsupported(`BitsAllocated 1 (bit-packed pixels) in ${syntax.name} (${syntax.uid}) is not supported: 1-bit Pixel Data is read from native (uncompressed) transfer syntaxes only`);
    if (bitsStored !== 1 || highBit !== 0) throw bad(`BitsAllocated 1 needs BitsStored 1 and HighBit 0 (got BitsStored ${bitsStored}, HighBit ${highBit})`);
    if (pr !== 0) throw bad(`BitsAllocated 1 needs PixelRepresentation 0 (got ${pr})`);
    if (samplesPerPixel !== 1 || !MONOCHROME.has(photometric)) {
      throw unsupported(`BitsAllocated 1 with SamplesPerPixel ${samplesPerPixel} and PhotometricInterpretation ${photometric} is not supported (only single-sample MONOCHROME1/MONOCHROME2 masks)`);
    }
    return { bitsStored, highBit, pixelRepresentation: 0 };
  }
  if (bitsAllocated === 64) throw unsupported('BitsAllocated 64 in Pixel Data (7FE0,0010) (64-bit integers) is not supported; 64-bit pixels are read from Double Float Pixel Data (7FE0,0009) only');
  if (![8, 16, 32].includes(bitsAllocated)) throw bad(`BitsAllocated must be 1, 8, 16 or 32 (got ${bitsAllocated})`);
  if (bitsStored < 1 || bitsStored > bitsAllocated) throw bad(`BitsStored must be 1..${bitsAllocated} (got ${bitsStored})`);
  if (highBit !== bitsStored - 1) {
    // HighBit other than BitsStored-1 is retired usage (PS3.5 8.1.1); no codec here produces it.
    throw new UnsupportedPixelFormatError(`HighBit ${highBit} with BitsStored ${bitsStored} is not supported (expected ${bitsStored - 1})`, at);
  }
  if (pr !== 0 && pr !== 1) throw bad(`PixelRepresentation must be 0 or 1 (got ${pr})`);
  return { bitsStored, highBit, pixelRepresentation: pr };
}

/**
 * Float Pixel Data (OF) and Double Float Pixel Data (OD), checked. The
 * Floating Point Image Pixel Module (PS3.3 C.7.6.24) has no BitsStored,
 * HighBit or PixelRepresentation: values a file carries anyway mean nothing
 * for IEEE floats and are not read.
 */
function floatBits(kind: 'float32' | 'float64', bitsAllocated: number, syntax: SyntaxInfo, photometric: string, samplesPerPixel: number, at: Where): Bits {
  const element = pixelDataName(KIND_TAG[kind]);
  const want = kind === 'float32' ? 32 : 64;
  const unsupported = (msg: string) => new UnsupportedPixelFormatError(msg, at, { details: { pixelData: kind, transferSyntax: syntax.uid } });
  if (bitsAllocated !== want) throw new InvalidPixelDescriptionError(`${element} needs BitsAllocated ${want} (got BitsAllocated ${bitsAllocated})`, at);
  if (syntax.encapsulated) throw unsupported(`${element} in ${syntax.name} (${syntax.uid}) is not supported: float pixel data is read from native (uncompressed) transfer syntaxes only`);
  if (samplesPerPixel !== 1) throw unsupported(`${element} with SamplesPerPixel ${samplesPerPixel} (float colour) is not supported; only SamplesPerPixel 1`);
  if (!MONOCHROME.has(photometric)) throw unsupported(`${element} with PhotometricInterpretation ${photometric} is not supported (only MONOCHROME1/MONOCHROME2)`);
  return { bitsStored: bitsAllocated, highBit: bitsAllocated - 1, pixelRepresentation: 0 };
}
