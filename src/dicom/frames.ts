/**
 * Delivers the frames of a pixel data element one at a time, as their bytes
 * arrive. At most one frame (plus the fragment being read) is held.
 */
import {
  FrameCountError,
  FrameTooLargeError,
  MalformedError,
  TruncatedPixelDataError,
} from '../errors.js';
import type { PixelDescription } from './description.js';
import { checkLength, readElementHeader, readTag, where, type ElementHeader, type ReadContext } from './elements.js';
import { PIXEL_DATA_TAGS, Tag, UNDEFINED_LENGTH, pixelDataName, tagString } from './tags.js';
import { TransferSyntax as TS, type SyntaxInfo } from './transfer-syntax.js';
import type { ByteReader } from './byte-reader.js';
import { chooseLevel, isJp2, readJ2kHeader, sizeAtLevel } from '../codecs/j2k-header.js';
import { cutCodestream, prefixDamage, prefixFor, type PrefixPlan } from '../codecs/j2k-prefix.js';

export interface EncodedFrame {
  /** Zero-based frame number. */
  index: number;
  /**
   * Native frames: stored values, little endian (1-bit: packed, re-aligned to
   * start at bit 0 of byte 0). Encapsulated frames: the codestream.
   */
  bytes: Uint8Array;
  /** Byte offset where the frame's data starts in the input. */
  offset: number;
  /**
   * Set when only a prefix of the frame's codestream was read (J2K / HTJ2K
   * at sub-resolution): `bytes` is then a complete codestream of the
   * resolution levels up to `level` (decode it at exactly that level).
   */
  prefix?: FramePrefix;
}

export interface FramePrefix {
  /** Resolution levels discarded: the decode must reduce by exactly this many. */
  level: number;
  /** Codestream bytes read. */
  bytesRead: number;
  /** The frame's encoded bytes in the file. */
  frameBytes: number;
  /** Set when the frame's end says it was cut short or damaged (what a whole read would report). */
  damage?: string;
}

export interface FrameLimits {
  maxFrameBytes: number;
  /**
   * Prefix reads: the smallest decoded size a frame of this description is
   * needed at (null: the whole frame). Only J2K and HTJ2K frames held in one
   * fragment, whose codestream puts the needed resolutions first, are read
   * in part; the rest are read whole.
   */
  prefix?: ((d: PixelDescription) => { width: number; height: number } | null) | undefined;
}

/** Transfer syntaxes whose frames may be read in part (JPEG 2000 Part 1 and HTJ2K). */
export const PREFIX_SYNTAXES: ReadonlySet<string> = new Set([TS.JPEG2000Lossless, TS.JPEG2000, TS.HTJ2KLossless, TS.HTJ2KLosslessRPCL, TS.HTJ2K]);

/** Most bytes peeked at to plan a frame's prefix before giving up and reading it whole. */
const PREFIX_PLAN_MAX_BYTES = 4 * 1024 * 1024;

/**
 * How much of a fragment of `length` bytes (the whole frame; Infinity when
 * not known, as over DICOMweb) a decode at `atLeast` needs, peeking at its
 * start as far as the plan needs; null when the frame should be read whole.
 */
export async function planPrefix(r: ByteReader, length: number, atLeast: { width: number; height: number }): Promise<{ plan: Extract<PrefixPlan, { ok: true }>; level: number } | null> {
  let want = Math.min(length, 16 * 1024);
  for (;;) {
    if (!(await r.ensure(want))) return null; // the normal path reports the truncation
    const head = r.peek(want);
    if (isJp2(head)) return null;
    let level: number;
    try {
      const h = readJ2kHeader(head);
      level = chooseLevel(h, atLeast, h.decompositions, (l) => sizeAtLevel(h, l));
    } catch {
      if (want >= length || want >= PREFIX_PLAN_MAX_BYTES) return null;
      want = Math.min(length, want * 2);
      continue;
    }
    if (level === 0) return null;
    const plan = prefixFor(head, level, { total: length });
    if (plan.ok) return plan.bytes < length ? { plan, level } : null;
    if (plan.need === undefined || plan.need > length || want >= PREFIX_PLAN_MAX_BYTES) return null;
    want = Math.min(length, PREFIX_PLAN_MAX_BYTES, Math.max(plan.need, want * 2));
  }
}

/**
 * Native pixel data: frames are consecutive runs of `frameBytes`, delivered
 * little endian. 1-bit data is a bit stream in which frame k starts at bit
 * k * pixels, often inside a byte (PS3.5 8.1.1: no padding between frames);
 * each frame is delivered re-aligned to start at bit 0 of byte 0, its unused
 * high bits in the last byte zero. At most one frame, plus the byte shared
 * with the next frame and half of a swapped word, is held.
 */
export async function* nativeFrames(
  ctx: ReadContext,
  d: PixelDescription,
  pixel: ElementHeader,
  littleEndian: boolean,
): AsyncGenerator<EncodedFrame> {
  const element = pixelDataName(pixel.tag);
  if (pixel.length === UNDEFINED_LENGTH) {
    throw new MalformedError(`native ${element} has undefined length (only encapsulated pixel data may)`, where(ctx, pixel.offset));
  }
  if (!Number.isInteger(d.frameBytes)) {
    throw new MalformedError(`a frame of ${d.rows}x${d.columns} samples of ${d.bitsAllocated} bits is not a whole number of bytes`, where(ctx, pixel.offset));
  }
  const packed = d.bitsAllocated === 1;
  const pixels = d.rows * d.columns * d.samplesPerPixel;
  const needed = packed ? Math.ceil((d.frames * pixels) / 8) : d.frameBytes * d.frames;
  if (pixel.length < needed) {
    // Description and data disagree; trusting either would misplace every pixel.
    throw new MalformedError(
      `${element} holds ${pixel.length} bytes but ${d.frames} frame(s) of ${d.rows}x${d.columns}x${d.samplesPerPixel} at ${d.bitsAllocated} bits need ${needed}`,
      where(ctx, pixel.offset),
    );
  }
  const start = ctx.reader.position;
  // Big endian OW holds 16-bit words (PS3.5 7.3): with 8 or fewer bits per sample, the
  // bytes of each word come swapped relative to little endian, across sample and frame
  // boundaries. dcmtk (dcmconv +tb) writes them so and GDCM swaps them back on read; OB
  // is a plain byte stream and is read as it is. Wider samples are swapped per value below.
  const swapWords = !littleEndian && pixel.vr === 'OW' && d.bitsAllocated <= 8;
  if (swapWords && pixel.length % 2 !== 0) {
    // Its last byte would be half a word whose other half lies outside the element.
    throw new MalformedError(`big endian OW ${element} has an odd length (${pixel.length})`, where(ctx, pixel.offset));
  }
  const value = new ValueBytes(ctx, swapWords);
  const swapWidth = !littleEndian && d.bitsAllocated > 8 ? d.bitsAllocated / 8 : 0;
  let carry: number | null = null; // packed: the byte whose high bits begin the next frame
  for (let index = 0; index < d.frames; index++) {
    const firstBit = index * pixels;
    const firstByte = packed ? Math.floor(firstBit / 8) : index * d.frameBytes;
    const span = packed ? Math.ceil((firstBit + pixels) / 8) - firstByte : d.frameBytes;
    const bytes = new Uint8Array(span);
    let have = 0;
    if (carry !== null) bytes[have++] = carry;
    const got = have + (await value.read(bytes.subarray(have)));
    if (got < span) {
      throw new TruncatedPixelDataError(
        `input ends inside frame ${index} (${got} of ${span} bytes; ${index} of ${d.frames} frames complete)`,
        where(ctx, ctx.reader.position, index),
        { details: { framesDelivered: index, framesDeclared: d.frames } },
      );
    }
    if (packed) {
      carry = (firstBit + pixels) % 8 === 0 ? null : bytes[span - 1]!;
      yield { index, bytes: realignBits(bytes, firstBit % 8, pixels), offset: start + firstByte };
    } else {
      if (swapWidth) swapBytes(bytes, swapWidth);
      yield { index, bytes, offset: start + firstByte };
    }
  }
  await checkSinglePixelData(ctx, pixel, start, littleEndian);
}

/**
 * A packed frame's bytes, starting `shift` bits into the first byte, moved in
 * place to start at bit 0 (little-endian bit order: pixel i is bit i % 8 of
 * byte i / 8); bits past `pixels` are cleared, since they belong to the next
 * frame or to the padding.
 *
 * @example realignBits(Uint8Array.of(0b1010_0000, 0b0000_0011), 5, 5) // [0b0001_1101]
 */
export function realignBits(b: Uint8Array, shift: number, pixels: number): Uint8Array {
  const n = Math.ceil(pixels / 8);
  if (shift !== 0) {
    // In place, front to back: byte i + 1 is read before it is overwritten.
    for (let i = 0; i < n; i++) b[i] = (b[i]! >>> shift) | (((b[i + 1] ?? 0) << (8 - shift)) & 0xff);
  }
  const out = b.subarray(0, n);
  if (pixels % 8 !== 0) out[n - 1]! &= (1 << (pixels % 8)) - 1;
  return out;
}

/**
 * The bytes of an element value in little-endian order. With `swapWords`
 * (big endian OW) each 16-bit word is read whole and its bytes swapped; a
 * read that ends in the middle of a word keeps the word's other byte for the
 * next read, so the input position always stays on a word boundary.
 */
class ValueBytes {
  private spare: number | null = null;

  constructor(
    private readonly ctx: ReadContext,
    private readonly swapWords: boolean,
  ) {}

  /** Fills `target`; fewer bytes only when the input ends. */
  async read(target: Uint8Array): Promise<number> {
    const r = this.ctx.reader;
    if (!this.swapWords) return r.readInto(target);
    let at = 0;
    if (this.spare !== null && target.length > 0) {
      target[at++] = this.spare;
      this.spare = null;
    }
    const whole = (target.length - at) & ~1;
    const got = await r.readInto(target.subarray(at, at + whole));
    swapBytes(target.subarray(at, at + got - (got % 2)), 2);
    at += got - (got % 2);
    if (got < whole || at === target.length) return at;
    const word = new Uint8Array(2);
    if ((await r.readInto(word)) < 2) return at;
    target[at++] = word[1]!;
    this.spare = word[0]!;
    return at;
  }
}

/**
 * After the last frame: skips what is left of the pixel data value (padding)
 * and refuses a second pixel data element right after it. Tag order puts
 * (7FE0,0008), (7FE0,0009) and (7FE0,0010) next to each other, so a second
 * one can only follow directly; a data set with two is ambiguous about which
 * pixels are the image.
 */
async function checkSinglePixelData(ctx: ReadContext, pixel: ElementHeader, start: number, littleEndian: boolean): Promise<void> {
  const r = ctx.reader;
  if (pixel.length !== UNDEFINED_LENGTH) {
    const left = pixel.length - (r.position - start);
    // A missing pad byte at the very end is tolerated, as pydicom and GDCM do.
    if (left > 0 && (await r.skip(left)) < left) return;
  }
  if (!(await r.ensure(4))) return;
  const next = readTag(r.peek(4), 0, littleEndian);
  if (PIXEL_DATA_TAGS.has(next)) {
    throw new MalformedError(`${pixelDataName(next)} follows ${pixelDataName(pixel.tag)}; a data set holds exactly one pixel data element`, where(ctx, r.position), {
      details: { first: tagString(pixel.tag), second: tagString(next) },
    });
  }
}

/** Big-endian stored values to little endian, in place. */
export function swapBytes(b: Uint8Array, width: number): void {
  if (width === 2) {
    for (let i = 0; i + 1 < b.length; i += 2) {
      const t = b[i]!;
      b[i] = b[i + 1]!;
      b[i + 1] = t;
    }
  } else if (width === 4 || width === 8) {
    for (let i = 0; i + width - 1 < b.length; i += width) b.subarray(i, i + width).reverse();
  }
}

/**
 * Where frames start, as offsets from the first fragment's item tag, from the
 * Extended Offset Table or the Basic Offset Table. Null when neither gives a
 * usable table (empty, or inconsistent with NumberOfFrames); frame starts are
 * then found from the fragments themselves.
 */
function frameStarts(basic: Uint8Array, extended: Uint8Array | undefined, frames: number): number[] | null {
  let starts: number[] = [];
  if (extended && extended.length >= 8) {
    const dv = new DataView(extended.buffer, extended.byteOffset, extended.length);
    for (let i = 0; i + 8 <= extended.length; i += 8) starts.push(Number(dv.getBigUint64(i, true)));
  } else if (basic.length >= 4) {
    const dv = new DataView(basic.buffer, basic.byteOffset, basic.length);
    for (let i = 0; i + 4 <= basic.length; i += 4) starts.push(dv.getUint32(i, true));
  }
  if (starts.length !== frames || starts[0] !== 0) return null;
  for (let i = 1; i < starts.length; i++) if (starts[i]! <= starts[i - 1]!) return null;
  return starts;
}

function startsWith(b: Uint8Array, marker: Uint8Array): boolean {
  if (b.length < marker.length) return false;
  for (let i = 0; i < marker.length; i++) if (b[i] !== marker[i]) return false;
  return true;
}

/** The JP2 file signature box (ISO 15444-1 I.5.1). */
const JP2_SIGNATURE = Uint8Array.of(0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a);
const J2K_SOC = Uint8Array.of(0xff, 0x4f);

/**
 * Whether a fragment starts a frame. Some encoders put a whole JP2 file in the
 * fragment instead of the bare codestream PS3.5 A.4.4 asks for (GDCM and
 * OpenJPEG accept it, codecs/wavelet.ts unwraps it); such a frame begins with
 * the JP2 signature box, never with SOC.
 */
function startsWithFrame(b: Uint8Array, marker: Uint8Array): boolean {
  return startsWith(b, marker) || (startsWith(marker, J2K_SOC) && startsWith(b, JP2_SIGNATURE));
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The frame being read in part: what it reports, its first bytes and plan. */
interface PrefixRead {
  report: FramePrefix;
  head: Uint8Array;
  plan: Extract<PrefixPlan, { ok: true }>;
}

// The helpers of encapsulatedFrames are module-level functions, not closures made per
// file: V8 kept dropping and re-optimising per-file closures (see fileChunks in sources/item.ts).

/** One frame of encapsulatedFrames from its fragments; `tail` is the last bytes of its last fragment (where EOC is). */
function frameOf(index: number, parts: Uint8Array[], held: number, offset: number, prefix: PrefixRead | null, tail: Uint8Array): EncodedFrame {
  const f: EncodedFrame = { index, bytes: concat(parts, held), offset };
  if (prefix) {
    const damage = prefixDamage(prefix.head, prefix.plan, prefix.report.frameBytes, tail);
    f.prefix = damage ? { ...prefix.report, damage } : prefix.report;
  }
  return f;
}

/** Skips `n` bytes of a fragment but its last 16, which it returns (where EOC is); null when the input ends first. */
async function skipKeepingTail(r: ByteReader, n: number): Promise<Uint8Array | null> {
  const keep = Math.min(16, n);
  if ((await r.skip(n - keep)) < n - keep) return null;
  const tail = new Uint8Array(keep);
  return (await r.readInto(tail)) === keep ? tail : null;
}

function throwError(e: Error): never {
  throw e;
}

/**
 * Encapsulated pixel data (PS3.5 A.4): an offset-table item, then fragments,
 * then a sequence delimiter. Frame boundaries come from the Extended or Basic
 * Offset Table when it is present and consistent; otherwise the way pydicom
 * and GDCM find them: one frame if NumberOfFrames is 1, else a new frame at
 * each fragment that starts with the codec's start-of-codestream marker (which
 * cannot occur inside entropy-coded data), else one fragment per frame (RLE).
 */
export async function* encapsulatedFrames(
  ctx: ReadContext,
  d: PixelDescription,
  pixel: ElementHeader,
  syntax: SyntaxInfo,
  extendedOffsets: Uint8Array | undefined,
  limits: FrameLimits,
): AsyncGenerator<EncodedFrame> {
  const r = ctx.reader;
  if (pixel.length !== UNDEFINED_LENGTH) {
    throw new MalformedError(`encapsulated Pixel Data must have undefined length (got ${pixel.length})`, where(ctx, pixel.offset));
  }
  const truncated = (index: number, delivered: number) =>
    new TruncatedPixelDataError(`input ends inside the encapsulated pixel data (${delivered} of ${d.frames} frames complete)`, where(ctx, r.position, index), {
      details: { framesDelivered: delivered, framesDeclared: d.frames },
    });

  const bot = await readElementHeader(ctx, { explicitVR: false, littleEndian: true });
  if (bot === null) throw truncated(0, 0);
  if (bot.tag !== Tag.Item) throw new MalformedError(`expected the Basic Offset Table item, found ${tagString(bot.tag)}`, where(ctx, bot.offset));
  checkLength(ctx, bot, Math.min(ctx.limits.maxElementBytes, 4 * d.frames + 4), 'Basic Offset Table');
  const botValue = new Uint8Array(bot.length);
  if ((await r.readInto(botValue)) < bot.length) throw truncated(0, 0);
  const starts = frameStarts(botValue, extendedOffsets, d.frames);
  const firstFragment = r.position;

  let parts: Uint8Array[] = [];
  let held = 0;
  let frameOffset = firstFragment;
  let delivered = 0;
  let nextStart = 1; // index into `starts` of the next frame to begin
  const atLeast = limits.prefix && PREFIX_SYNTAXES.has(syntax.uid) ? limits.prefix(d) : null;
  // The frame being read in part: what it reports, its first bytes and plan, and the last bytes of its last fragment.
  let prefix: PrefixRead | null = null;
  let tail: Uint8Array = new Uint8Array(0);

  for (let fragment = 0; ; fragment++) {
    const h = await readElementHeader(ctx, { explicitVR: false, littleEndian: true });
    if (h === null) throw truncated(delivered, delivered);
    if (h.tag === Tag.SequenceDelimitation) break;
    if (h.tag !== Tag.Item) throw new MalformedError(`expected a fragment item, found ${tagString(h.tag)}`, where(ctx, h.offset, delivered));
    if (h.length === UNDEFINED_LENGTH) throw new MalformedError('a fragment has undefined length', where(ctx, h.offset, delivered));

    // Does this fragment begin a new frame?
    let begins = fragment === 0;
    if (!begins) {
      if (starts) {
        begins = nextStart < starts.length && h.offset - firstFragment === starts[nextStart];
        if (begins) nextStart++;
      } else if (d.frames > 1) {
        const marker = syntax.frameStartMarker;
        if (marker === null) begins = true;
        else {
          const want = Math.min(Math.max(marker.length, JP2_SIGNATURE.length), h.length);
          if (!(await r.ensure(want))) throw truncated(delivered, delivered);
          begins = startsWithFrame(r.peek(want), marker);
        }
      }
    }
    if (begins && parts.length > 0) {
      yield frameOf(delivered, parts, held, frameOffset, prefix, tail);
      delivered++;
      parts = [];
      held = 0;
      prefix = null;
    }
    if (begins) {
      frameOffset = h.offset;
      if (delivered >= d.frames) {
        throw new FrameCountError(`the pixel data holds more frames than NumberOfFrames ${d.frames}`, where(ctx, h.offset, delivered), {
          details: { framesDeclared: d.frames },
        });
      }
    }
    if (held + h.length > limits.maxFrameBytes) {
      throw new FrameTooLargeError(`encoded frame ${delivered} exceeds parse.maxFrameBytes ${limits.maxFrameBytes}`, where(ctx, h.offset, delivered));
    }
    const left = ctx.limits.totalBytes === undefined || ctx.inflated ? undefined : ctx.limits.totalBytes - r.position;
    if (left !== undefined && h.length > left) throw truncated(delivered, delivered);
    if (prefix) {
      // A later fragment of a frame read in part: none of it is needed.
      prefix.report.frameBytes += h.length;
      tail = (await skipKeepingTail(r, h.length)) ?? throwError(truncated(delivered, delivered));
      continue;
    }
    const plan = begins && atLeast ? await planPrefix(r, h.length, atLeast) : null;
    if (plan) {
      const n = plan.plan.bytes;
      const head = new Uint8Array(n);
      if ((await r.readInto(head)) < n) throw truncated(delivered, delivered);
      tail = (await skipKeepingTail(r, h.length - n)) ?? throwError(truncated(delivered, delivered));
      const cut = cutCodestream(head, plan.plan);
      parts.push(cut);
      held += cut.length;
      prefix = { report: { level: plan.level, bytesRead: n, frameBytes: h.length }, head, plan: plan.plan };
      continue;
    }
    const value = new Uint8Array(h.length);
    if ((await r.readInto(value)) < h.length) throw truncated(delivered, delivered);
    parts.push(value);
    held += h.length;
  }
  if (parts.length > 0) {
    yield frameOf(delivered, parts, held, frameOffset, prefix, tail);
    delivered++;
  }
  if (delivered !== d.frames) {
    throw new FrameCountError(`found ${delivered} frame(s) in the pixel data, NumberOfFrames says ${d.frames}`, where(ctx, r.position), {
      details: { framesFound: delivered, framesDeclared: d.frames },
    });
  }
  await checkSinglePixelData(ctx, pixel, r.position, true);
}

