/**
 * Delivers the frames of a Pixel Data element one at a time, as their bytes
 * arrive. At most one frame (plus the fragment being read) is held.
 */
import {
  FrameCountError,
  FrameTooLargeError,
  MalformedError,
  TruncatedPixelDataError,
} from '../errors.js';
import type { PixelDescription } from './description.js';
import { checkLength, readElementHeader, where, type ElementHeader, type ReadContext } from './elements.js';
import { Tag, UNDEFINED_LENGTH, tagString } from './tags.js';
import type { SyntaxInfo } from './transfer-syntax.js';

export interface EncodedFrame {
  /** Zero-based frame number. */
  index: number;
  /** Native frames: stored values, little endian. Encapsulated frames: the codestream. */
  bytes: Uint8Array;
  /** Byte offset where the frame's data starts in the input. */
  offset: number;
}

export interface FrameLimits {
  maxFrameBytes: number;
}

/** Native pixel data: frames are consecutive runs of `frameBytes`. */
export async function* nativeFrames(
  ctx: ReadContext,
  d: PixelDescription,
  pixel: ElementHeader,
  littleEndian: boolean,
): AsyncGenerator<EncodedFrame> {
  if (pixel.length === UNDEFINED_LENGTH) {
    throw new MalformedError('native Pixel Data has undefined length (only encapsulated pixel data may)', where(ctx, pixel.offset));
  }
  if (!Number.isInteger(d.frameBytes)) {
    throw new MalformedError(`a frame of ${d.rows}x${d.columns} samples of ${d.bitsAllocated} bits is not a whole number of bytes`, where(ctx, pixel.offset));
  }
  const needed = d.frameBytes * d.frames;
  if (pixel.length < needed) {
    // Description and data disagree; trusting either would misplace every pixel.
    throw new MalformedError(
      `Pixel Data holds ${pixel.length} bytes but ${d.frames} frame(s) of ${d.rows}x${d.columns}x${d.samplesPerPixel} at ${d.bitsAllocated} bits need ${needed}`,
      where(ctx, pixel.offset),
    );
  }
  const swap = !littleEndian && d.bitsAllocated > 8;
  for (let index = 0; index < d.frames; index++) {
    const offset = ctx.reader.position;
    const bytes = new Uint8Array(d.frameBytes);
    const got = await ctx.reader.readInto(bytes);
    if (got < bytes.length) {
      throw new TruncatedPixelDataError(
        `input ends inside frame ${index} (${got} of ${bytes.length} bytes; ${index} of ${d.frames} frames complete)`,
        where(ctx, ctx.reader.position, index),
        { details: { framesDelivered: index, framesDeclared: d.frames } },
      );
    }
    if (swap) swapBytes(bytes, d.bitsAllocated / 8);
    yield { index, bytes, offset };
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
  } else if (width === 4) {
    for (let i = 0; i + 3 < b.length; i += 4) {
      const t0 = b[i]!;
      const t1 = b[i + 1]!;
      b[i] = b[i + 3]!;
      b[i + 1] = b[i + 2]!;
      b[i + 2] = t1;
      b[i + 3] = t0;
    }
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
  const frameOf = () => ({ index: delivered, bytes: concat(parts, held), offset: frameOffset });

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
          const want = Math.min(marker.length, h.length);
          if (!(await r.ensure(want))) throw truncated(delivered, delivered);
          begins = startsWith(r.peek(want), marker);
        }
      }
    }
    if (begins && parts.length > 0) {
      yield frameOf();
      delivered++;
      parts = [];
      held = 0;
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
    const value = new Uint8Array(h.length);
    if ((await r.readInto(value)) < h.length) throw truncated(delivered, delivered);
    parts.push(value);
    held += h.length;
  }
  if (parts.length > 0) {
    yield frameOf();
    delivered++;
  }
  if (delivered !== d.frames) {
    throw new FrameCountError(`found ${delivered} frame(s) in the pixel data, NumberOfFrames says ${d.frames}`, where(ctx, r.position), {
      details: { framesFound: delivered, framesDeclared: d.frames },
    });
  }
}

