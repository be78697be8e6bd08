/**
 * The streaming Part-10 reader: bytes in, a pixel description and then
 * encoded frames out, one at a time as their bytes arrive.
 *
 * @example
 *   const file = readDicom(fs.createReadStream(path), { file: path, totalBytes: size });
 *   const description = await file.header();
 *   for await (const frame of file.frames()) decode(frame.bytes, description);
 */
import { Readable, pipeline } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import {
  MalformedError,
  NotDicomError,
  TruncatedHeaderError,
  UnsupportedTransferSyntaxError,
  toDicomflowError,
} from '../errors.js';
import { ByteReader, type ByteSource } from './byte-reader.js';
import { describe, type PixelDescription } from './description.js';
import {
  decodeString,
  EXPLICIT_BE,
  EXPLICIT_LE,
  IMPLICIT_LE,
  LATIN1,
  looksLikeVR,
  NEED_MORE,
  readElementHeader,
  readElementHeaderNow,
  readTag,
  readValue,
  skipValue,
  skipValueNow,
  where,
  type Encoding,
  type ReadContext,
} from './elements.js';
import { encapsulatedFrames, nativeFrames, type EncodedFrame } from './frames.js';
import { readHeader } from './header.js';
import { Tag } from './tags.js';
import { TransferSyntax, syntaxInfo, type SyntaxInfo } from './transfer-syntax.js';

export interface ReadOptions {
  /** Name used in errors (path or URL). */
  file?: string;
  /** Input size when known: lets bad lengths be rejected before reading on. */
  totalBytes?: number;
  /** Decompression-bomb guard: largest decoded frame accepted. Default 1 GiB. */
  maxFrameBytes?: number;
  /** Largest non-pixel element accepted. Default 256 MiB. */
  maxElementBytes?: number;
  /**
   * Extra top-level attributes (tags) to keep, for `attributes()`. Only the
   * shortcut audit asks for them: they never travel with pixels.
   */
  attributes?: readonly number[];
  /**
   * Prefix reads (decode.prefixReads): the smallest size a frame of this
   * description is decoded at, or null. J2K / HTJ2K frames whose codestream
   * allows it are then read only as far as that size needs; on a seekable
   * source (local files, HTTP) the rest is not read at all.
   */
  prefix?: (d: PixelDescription) => { width: number; height: number } | null;
}

export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_MAX_ELEMENT_BYTES = 256 * 1024 * 1024;

/** Header plus frames of one input. Iterate `frames()` once. */
export interface DicomReader {
  /** Resolves as soon as the header's bytes have arrived. */
  header(): Promise<PixelDescription>;
  /** The values of `ReadOptions.attributes` the file has, as strings (padding removed), after the header. */
  attributes(): Promise<Map<number, string>>;
  /** Encoded frames in order. Throws after the last complete frame if the input is truncated. */
  frames(): AsyncGenerator<EncodedFrame>;
  /** Stops reading and releases the input. */
  close(): Promise<void>;
}

type Event = { kind: 'header'; description: PixelDescription; attributes: Map<number, string> } | { kind: 'frame'; frame: EncodedFrame };

/** Reads one DICOM Part-10 file (or bare data set) from a stream of chunks. */
export function readDicom(input: ByteSource, options: ReadOptions = {}): DicomReader {
  return new PartTenReader(parse(input, options));
}

/**
 * A class, not an object of closures: one is made per file, and V8 dropped
 * and re-optimised per-file closures over and over (see ValuesSource in
 * description.ts).
 */
class PartTenReader implements DicomReader {
  private headerPromise: Promise<PixelDescription> | undefined;
  private attributeValues = new Map<number, string>();
  private framesStarted = false;

  constructor(private readonly events: AsyncGenerator<Event>) {}

  header(): Promise<PixelDescription> {
    this.headerPromise ??= this.events.next().then((r) => {
      if (r.done || r.value.kind !== 'header') throw new MalformedError('reader produced no header', { stage: 'parse' });
      this.attributeValues = r.value.attributes;
      return r.value.description;
    });
    return this.headerPromise;
  }

  async attributes(): Promise<Map<number, string>> {
    await this.header();
    return this.attributeValues;
  }

  async *frames(): AsyncGenerator<EncodedFrame> {
    if (this.framesStarted) throw new Error('frames() can be iterated only once');
    this.framesStarted = true;
    await this.header();
    try {
      for (;;) {
        const r = await this.events.next();
        if (r.done) return;
        if (r.value.kind === 'frame') yield r.value.frame;
      }
    } finally {
      await this.events.return(undefined);
    }
  }

  async close(): Promise<void> {
    await this.events.return(undefined);
  }
}

async function* parse(input: ByteSource, options: ReadOptions): AsyncGenerator<Event> {
  const limits = {
    maxElementBytes: options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES,
    totalBytes: options.totalBytes,
  };
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const outer = new ByteReader(input);
  let ctx: ReadContext = { reader: outer, file: options.file, limits, inflated: false };
  const here = () => where(ctx, ctx.reader.position);
  try {
    const meta = await readPreambleAndMeta(ctx);
    let syntax: SyntaxInfo;
    let enc: Encoding;
    if (meta.transferSyntax !== null) {
      const s = syntaxInfo(meta.transferSyntax);
      if (s === undefined) {
        throw new UnsupportedTransferSyntaxError(`transfer syntax ${meta.transferSyntax} is not known`, where(ctx, meta.syntaxOffset), {
          details: { transferSyntax: meta.transferSyntax },
        });
      }
      if (s.video) {
        throw new UnsupportedTransferSyntaxError(`${s.name} (${s.uid}) is a video syntax; dicomflow reads image frames only`, where(ctx, meta.syntaxOffset), {
          details: { transferSyntax: s.uid },
        });
      }
      syntax = s;
      enc = { explicitVR: s.explicitVR, littleEndian: s.littleEndian };
    } else {
      enc = await sniffEncoding(ctx);
      syntax = syntaxInfo(
        enc.explicitVR ? (enc.littleEndian ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ExplicitVRBigEndian) : TransferSyntax.ImplicitVRLittleEndian,
      )!;
    }
    if (syntax.deflated) ctx = inflateRest(ctx);
    else if (meta.transferSyntax !== null && enc.explicitVR && enc.littleEndian) {
      // Some writers label implicit VR data as explicit; GDCM and pydicom read such files by looking at the bytes.
      if (!(await looksExplicit(ctx)) && (await ctx.reader.ensure(8))) enc = IMPLICIT_LE;
    }

    const raw = await readHeader(ctx, enc, options.attributes ?? []);
    const description = describe(raw, syntax, enc.littleEndian, { maxFrameBytes }, where(ctx, raw.pixelData.offset));
    const attributes = new Map<number, string>();
    for (const tag of options.attributes ?? []) {
      const v = raw.top.get(tag);
      if (v !== undefined) attributes.set(tag, decodeString(v));
    }
    yield { kind: 'header', description, attributes };

    const frames = syntax.encapsulated
      ? encapsulatedFrames(ctx, description, raw.pixelData, syntax, raw.top.get(Tag.ExtendedOffsetTable), { maxFrameBytes, prefix: options.prefix })
      : nativeFrames(ctx, description, raw.pixelData, enc.littleEndian);
    for await (const frame of frames) yield { kind: 'frame', frame };
  } catch (err) {
    throw toDicomflowError(err, here());
  } finally {
    await ctx.reader.close();
    if (ctx.reader !== outer) await outer.close();
  }
}

interface Meta {
  transferSyntax: string | null;
  syntaxOffset: number;
}

/**
 * Reads the 128-byte preamble and File Meta group when present. Files with no
 * preamble, or with neither preamble nor meta group, are accepted the way
 * pydicom and GDCM accept them.
 */
async function readPreambleAndMeta(ctx: ReadContext): Promise<Meta> {
  const r = ctx.reader;
  await r.ensure(132);
  if (r.available === 0) throw new NotDicomError('the input is empty', where(ctx, 0));
  const head = r.peek(Math.min(132, r.available));
  const hasPreamble = head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d; // DICM
  if (hasPreamble) r.consume(132);
  const meta: Meta = { transferSyntax: null, syntaxOffset: r.position };
  for (;;) {
    if (r.available < 6 && !(await r.ensure(6))) {
      if (hasPreamble) throw new TruncatedHeaderError('input ends inside the File Meta group', where(ctx, r.position));
      break;
    }
    const b = r.peek(6);
    if (readTag(b, 0, true) >>> 16 !== 0x0002 || !looksLikeVR(b, 4)) break;
    const now = readElementHeaderNow(ctx, EXPLICIT_LE);
    const h = now === NEED_MORE ? await readElementHeader(ctx, EXPLICIT_LE) : now;
    if (h === null) throw new TruncatedHeaderError('input ends inside the File Meta group', where(ctx, r.position));
    if (h.tag === Tag.TransferSyntaxUID) {
      meta.syntaxOffset = h.offset;
      const s = LATIN1.decode(await readValue(ctx, h, 256)).replace(/[\0 ]+$/, '');
      meta.transferSyntax = s === '' ? null : s;
    } else if (!skipValueNow(ctx, h)) {
      await skipValue(ctx, h);
    }
  }
  if (!hasPreamble && meta.transferSyntax === null && r.position === 0) {
    // Neither preamble nor meta: the data set must prove itself DICOM.
    if (!(await plausibleDataSet(ctx))) {
      throw new NotDicomError('no DICM marker at byte 128 and the first bytes are not a DICOM data set', where(ctx, 0));
    }
  }
  return meta;
}

const VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

function vrAt(b: Uint8Array, at: number): string | null {
  if (!looksLikeVR(b, at)) return null;
  const vr = String.fromCharCode(b[at]!, b[at + 1]!);
  return VRS.has(vr) ? vr : null;
}

/** Groups a bare data set may plausibly start with (group lengths and identification). */
function plausibleFirstGroup(g: number): boolean {
  return g >= 0x0008 && g <= 0x0028 && g % 2 === 0;
}

function guessEncoding(b: Uint8Array): Encoding | null {
  if (b.length < 8) return null;
  if (plausibleFirstGroup(readTag(b, 0, true) >>> 16) && vrAt(b, 4)) return EXPLICIT_LE;
  if (plausibleFirstGroup(readTag(b, 0, false) >>> 16) && vrAt(b, 4)) return EXPLICIT_BE;
  const len = new DataView(b.buffer, b.byteOffset, 8).getUint32(4, true);
  if (plausibleFirstGroup(readTag(b, 0, true) >>> 16) && len < 0x10000) return IMPLICIT_LE;
  return null;
}

async function plausibleDataSet(ctx: ReadContext): Promise<boolean> {
  if (!(await ctx.reader.ensure(8))) return false;
  return guessEncoding(ctx.reader.peek(8)) !== null;
}

/** The encoding of a data set that has no File Meta transfer syntax. */
async function sniffEncoding(ctx: ReadContext): Promise<Encoding> {
  if (!(await ctx.reader.ensure(8))) throw new TruncatedHeaderError('input ends before the data set', where(ctx, ctx.reader.position));
  const e = guessEncoding(ctx.reader.peek(8));
  if (e === null) throw new NotDicomError('cannot tell the encoding of the data set', where(ctx, ctx.reader.position));
  return e;
}

async function looksExplicit(ctx: ReadContext): Promise<boolean> {
  if (!(await ctx.reader.ensure(8))) return true;
  return vrAt(ctx.reader.peek(8), 4) !== null;
}

/**
 * Deflated data sets (PS3.5 A.5): everything after the File Meta group is raw
 * deflate. The rest of the input is inflated as a stream, so memory stays
 * bounded; offsets after this point count inflated bytes.
 */
function inflateRest(ctx: ReadContext): ReadContext {
  const inflater = createInflateRaw();
  const start = ctx.reader.position;
  const source = Readable.from(ctx.reader.remaining(), { objectMode: false });
  pipeline(source, inflater, () => {
    /* errors surface through the iterator below */
  });
  async function* inflated(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of inflater) yield chunk as Uint8Array;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // zlib's "unexpected end of file": end the inflated stream here, so the parser
      // reports truncation of the header or of the pixel data, wherever it was.
      if (e.code === 'Z_BUF_ERROR') return;
      throw new MalformedError(`the deflated data set cannot be inflated: ${e.message}`, { stage: 'parse', offset: start }, { cause: err });
    }
  }
  return { reader: new ByteReader(inflated(), 0), file: ctx.file, limits: ctx.limits, inflated: true };
}
