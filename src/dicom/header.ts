/**
 * Walks the data set up to the top-level pixel data element (Pixel Data,
 * Float Pixel Data or Double Float Pixel Data) and keeps only
 * the values of the pixel-description attributes and ids. Everything else,
 * patient and institution attributes included, is skipped unread.
 *
 * Attributes inside sequences are never taken for top-level ones (an Icon
 * Image Sequence has its own Rows, Columns and Pixel Data), except the
 * rescale and window values of enhanced multi-frame functional groups.
 */
import { MalformedError, NoPixelDataError, TruncatedHeaderError } from '../errors.js';
import {
  IMPLICIT_LE,
  checkLength,
  NEED_MORE,
  readElementHeader,
  readElementHeaderNow,
  readValue,
  readValueNow,
  skipValue,
  skipValueNow,
  where,
  type ElementHeader,
  type Encoding,
  type ReadContext,
} from './elements.js';
import { PIXEL_DATA_TAGS, Tag, UNDEFINED_LENGTH, WALKED_SEQUENCES, tagString } from './tags.js';

/** Values read from the header, keyed by tag. */
export type Values = Map<number, Uint8Array>;

export interface RawHeader {
  top: Values;
  /** From Shared Functional Groups > Pixel Value Transformation / Frame VOI LUT. */
  shared: Values;
  /** The same per frame, from Per-frame Functional Groups (index = frame). */
  perFrame: Values[];
  /**
   * Header of the top-level pixel data element, whichever of (7FE0,0008),
   * (7FE0,0009) or (7FE0,0010) it is (its tag says which); the reader stands
   * at its value.
   */
  pixelData: ElementHeader;
}

const TOP_TAGS: ReadonlySet<number> = new Set([
  Tag.SOPInstanceUID,
  Tag.PatientID,
  Tag.StudyInstanceUID,
  Tag.SeriesInstanceUID,
  Tag.SamplesPerPixel,
  Tag.PhotometricInterpretation,
  Tag.PlanarConfiguration,
  Tag.NumberOfFrames,
  Tag.Rows,
  Tag.Columns,
  Tag.BitsAllocated,
  Tag.BitsStored,
  Tag.HighBit,
  Tag.PixelRepresentation,
  Tag.WindowCenter,
  Tag.WindowWidth,
  Tag.RescaleIntercept,
  Tag.RescaleSlope,
  Tag.ExtendedOffsetTable,
  Tag.ExtendedOffsetTableLengths,
]);
const MACRO_TAGS: ReadonlySet<number> = new Set([Tag.RescaleIntercept, Tag.RescaleSlope, Tag.WindowCenter, Tag.WindowWidth]);

/** Captured values are short strings and numbers; anything longer than this is not what we expect. */
const MAX_CAPTURED_BYTES = 64 * 1024;
const MAX_DEPTH = 32;

/** What to keep inside one data set (the top level, or a sequence item). */
interface Target {
  capture: ReadonlySet<number>;
  into: Values;
  /** Sequences to walk into, and the target for their item number i. */
  sequences: ReadonlyMap<number, (item: number) => Target | null>;
}

function macroTarget(into: Values): Target {
  const inner = (): Target => ({ capture: MACRO_TAGS, into, sequences: new Map() });
  return {
    capture: new Set(),
    into,
    sequences: new Map([
      [Tag.PixelValueTransformationSequence, inner],
      [Tag.FrameVOILUTSequence, inner],
    ]),
  };
}

/**
 * Reads from just after the File Meta group to the value of the top-level
 * pixel data element. A second one after it is found by the frame reader,
 * once it has streamed past the first (see checkSinglePixelData in frames.ts).
 */
export async function readHeader(ctx: ReadContext, enc: Encoding, extra: readonly number[] = []): Promise<RawHeader> {
  const raw: RawHeader = { top: new Map(), shared: new Map(), perFrame: [], pixelData: undefined as unknown as ElementHeader };
  const sharedTarget = macroTarget(raw.shared);
  const top: Target = {
    // Extra top-level attributes only when a caller asks (the shortcut audit); never for pixels.
    capture: extra.length ? new Set([...TOP_TAGS, ...extra]) : TOP_TAGS,
    into: raw.top,
    sequences: new Map([
      [Tag.SharedFunctionalGroupsSequence, (i: number) => (i === 0 ? sharedTarget : null)],
      [
        Tag.PerFrameFunctionalGroupsSequence,
        (i: number) => {
          const v: Values = new Map();
          raw.perFrame[i] = v;
          return macroTarget(v);
        },
      ],
    ]),
  };
  const pixel = await walkElements(ctx, enc, top, 0, undefined, true);
  if (pixel === null) {
    throw new NoPixelDataError(
      'the data set has no Pixel Data (7FE0,0010), Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) element',
      where(ctx, ctx.reader.position),
    );
  }
  raw.pixelData = pixel;
  return raw;
}

/**
 * Walks elements until `end` (a defined-length item), an Item Delimitation
 * (undefined length), or, at the top level, the first pixel data element,
 * whose header it returns.
 */
async function walkElements(
  ctx: ReadContext,
  enc: Encoding,
  target: Target | null,
  depth: number,
  end: number | undefined,
  topLevel: boolean,
): Promise<ElementHeader | null> {
  const r = ctx.reader;
  for (;;) {
    if (end !== undefined && r.position >= end) {
      if (r.position > end) throw new MalformedError(`an element runs ${r.position - end} bytes past the end of its item`, where(ctx, end));
      return null;
    }
    // The synchronous readers first: an await only where a chunk boundary is in the way.
    const now = readElementHeaderNow(ctx, enc);
    const h = now === NEED_MORE ? await readElementHeader(ctx, enc) : now;
    if (h === null) {
      if (topLevel) return null;
      throw new TruncatedHeaderError('input ends inside a sequence item', where(ctx, r.position));
    }
    if (h.tag === Tag.ItemDelimitation) {
      if (end === undefined && !topLevel) return null;
      throw new MalformedError(`unexpected item delimiter ${tagString(h.tag)}`, where(ctx, h.offset));
    }
    // Pixels come last in tag order, so the first one ends the header. Inside sequence items
    // (icon images) they are skipped like any other value.
    if (topLevel && PIXEL_DATA_TAGS.has(h.tag)) return h;
    const walkInto = target?.sequences.get(h.tag);
    const isSequence = h.vr === 'SQ' || (h.vr === null && WALKED_SEQUENCES.has(h.tag));
    if (h.length === UNDEFINED_LENGTH) {
      // Undefined length: a sequence, or encapsulated data in a nested item. Either way
      // the end can only be found by walking its items. An UN element of undefined
      // length holds implicit VR little endian content (PS3.5 6.2.2, CP-246).
      const inner = h.vr === 'UN' ? IMPLICIT_LE : enc;
      await walkSequence(ctx, inner, h, depth + 1, walkInto ?? null);
    } else if (isSequence && walkInto) {
      await walkSequence(ctx, enc, h, depth + 1, walkInto);
    } else if (target?.capture.has(h.tag)) {
      const v = readValueNow(ctx, h, MAX_CAPTURED_BYTES);
      target.into.set(h.tag, v === NEED_MORE ? await readValue(ctx, h, MAX_CAPTURED_BYTES) : v);
    } else if (!skipValueNow(ctx, h)) {
      await skipValue(ctx, h);
    }
  }
}

async function walkSequence(
  ctx: ReadContext,
  enc: Encoding,
  seq: ElementHeader,
  depth: number,
  itemTarget: ((i: number) => Target | null) | null,
): Promise<void> {
  if (depth > MAX_DEPTH) throw new MalformedError(`sequences nested deeper than ${MAX_DEPTH} levels`, where(ctx, seq.offset));
  const r = ctx.reader;
  checkLength(ctx, seq, ctx.limits.maxElementBytes, 'sequence');
  const end = seq.length === UNDEFINED_LENGTH ? undefined : r.position + seq.length;
  for (let i = 0; ; i++) {
    if (end !== undefined && r.position >= end) return;
    const itemEnc = { explicitVR: false, littleEndian: enc.littleEndian };
    const now = readElementHeaderNow(ctx, itemEnc);
    const h = now === NEED_MORE ? await readElementHeader(ctx, itemEnc) : now;
    if (h === null) throw new TruncatedHeaderError(`input ends inside sequence ${tagString(seq.tag)}`, where(ctx, r.position));
    if (h.tag === Tag.SequenceDelimitation) return;
    if (h.tag !== Tag.Item) {
      throw new MalformedError(`expected an item in sequence ${tagString(seq.tag)}, found ${tagString(h.tag)}`, where(ctx, h.offset));
    }
    const t = itemTarget?.(i) ?? null;
    if (h.length === UNDEFINED_LENGTH) {
      await walkElements(ctx, enc, t, depth, undefined, false);
    } else if (t) {
      checkLength(ctx, h, ctx.limits.maxElementBytes, 'item');
      await walkElements(ctx, enc, t, depth, r.position + h.length, false);
    } else {
      await skipValue(ctx, h);
    }
  }
}
