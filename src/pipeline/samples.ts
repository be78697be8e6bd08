/**
 * Source items to preprocessed samples: each file streams through the reader,
 * its frames go to the decode pool as they arrive, and samples come out in a
 * deterministic order (file by file, frame by frame) while several files are
 * read and decoded at once. A bad file or frame becomes an error record and
 * the rest continues; frames read before a file's error are kept.
 */
import type { PipelineConfig } from '../config/schema.js';
import type { PixelDescription } from '../dicom/description.js';
import { readDicom, type DicomReader } from '../dicom/reader.js';
import { frameMask, type FrameMask } from '../preprocess/mask.js';
import { toDicomflowError, type DicomflowError } from '../errors.js';
import type { DecodePool, Decoded } from '../decode/pool.js';
import type { DecodeWarning, PreprocessSpec } from '../preprocess/types.js';
import type { PartialPolicy } from '../codecs/errors.js';
import type { ItemReader, SourceItem } from '../sources/item.js';
import { isSeekable } from '../dicom/byte-reader.js';
import { resolutionNeeded } from '../decode/decode-frame.js';
import { Prefetcher } from './prefetch.js';
import type { LocalReads } from '../sources/local-reads.js';
import type { CachedSample, SampleCache } from '../dataset/cache.js';

/** Where a sample came from. Only ids: no other header attribute travels with pixels. */
export interface SampleId {
  file: string;
  frame: number;
  sopInstanceUid: string | null;
  seriesInstanceUid: string | null;
  studyInstanceUid: string | null;
  patientId: string | null;
  /** The source frame's size in pixels (before preprocessing), to map model-input coordinates back; absent for dataset samples. */
  rows?: number;
  columns?: number;
}

export interface LabeledSample {
  data: Float32Array | Uint8Array;
  shape: [number, number, number];
  label: string | undefined;
  split: string | undefined;
  id: SampleId;
  decodeMs: number;
  preprocessMs: number;
}

/**
 * One line of errors.jsonl: a file or frame that failed (severity "error",
 * code DF_ERR_*; frame null when the file failed before or between frames),
 * or a frame that was delivered with something the user must hear of
 * (severity "warning", code DF_WARN_*).
 */
export interface ErrorRecord {
  file: string;
  frame: number | null;
  code: string;
  message: string;
  severity: 'error' | 'warning';
  offset?: number;
  stage?: string;
  details?: Record<string, unknown>;
}

export interface SampleStats {
  files: number;
  frames: number;
  bytesRead: number;
  /** Pixels the codecs produced (after sub-resolution), for Mpx/s. */
  decodedPixels: number;
  decodeMs: number;
  preprocessMs: number;
  errors: number;
  warnings: number;
  /** Files read from the sample cache (pipeline.cache) instead of decoded, and files decoded into it. */
  cacheHits: number;
  cacheStores: number;
  /** Frames read only in part (prefix reads), and the bytes of them left unread. */
  prefixFrames: number;
  bytesSkipped: number;
}

export interface SampleOptions {
  pool: DecodePool;
  spec: PreprocessSpec;
  parse: PipelineConfig['parse'];
  subResolution: boolean;
  /** decode.prefixReads (see prefixReads below). */
  prefixReads: boolean;
  fileConcurrency: number;
  prefetchFrames: number;
  /** Stop after this many frames (0 = all). */
  limit: number;
  /** decode.partial: frames decoded only in part fail, or are kept with a warning. */
  partial: PartialPolicy;
  onError(record: ErrorRecord): void;
  onWarning(record: ErrorRecord): void;
  /** The decoded-sample cache, when pipeline.cache is set. */
  cache?: SampleCache | null;
  /** How local files are read (sources.localReads); default: the thread pool. */
  localReads?: LocalReads;
  stats: SampleStats;
}

export function errorRecord(e: DicomflowError, file: string): ErrorRecord {
  const r: ErrorRecord = { file: e.where.file ?? file, frame: e.where.frame ?? null, code: e.code, message: e.message, severity: 'error' };
  if (e.where.offset !== undefined) r.offset = e.where.offset;
  r.stage = e.where.stage ?? 'parse';
  return r;
}

/** Warnings that say something about the whole file, reported once for it rather than per frame. */
const ONCE_PER_FILE: ReadonlySet<string> = new Set(['DF_WARN_COLOR_MODEL']);

function warningRecord(w: DecodeWarning, file: string, frame: number): ErrorRecord {
  const r: ErrorRecord = { file, frame, code: w.code, message: w.message, severity: 'warning', stage: 'decode' };
  if (w.details) r.details = w.details;
  return r;
}

type Pending = { decoded: Promise<Decoded>; frame: number; description: PixelDescription } | { failure: DicomflowError } | { cached: CachedSample } | { cachedWarning: ErrorRecord };

/** The item's own reader when it has one (DICOMweb), else the Part-10 reader over open()'s bytes. */
function readerFor(item: SourceItem, o: SampleOptions): ItemReader {
  const prefix = prefixReads(o);
  if (item.reader) return item.reader({ maxFrameBytes: o.parse.maxFrameBytes, onBytes: (n) => (o.stats.bytesRead += n), ...(prefix ? { prefix } : {}) });
  const source = item.open({
    chunkBytes: o.parse.chunkBytes,
    ...(prefix ? { seekChunkBytes: PREFIX_CHUNK_BYTES } : {}),
    ...(o.localReads ? { localReads: o.localReads } : {}),
  });
  const chunks = countBytes(source, o.stats);
  // Counted, and still seekable when the source is: prefix reads skip the rest of a frame unread.
  const counted = isSeekable(source) ? Object.assign(chunks, { seek: (p: number) => source.seek(p) }) : chunks;
  return readDicom(counted, {
    ...(prefix ? { prefix } : {}),
    file: item.id,
    ...(item.size !== undefined ? { totalBytes: item.size } : {}),
    maxFrameBytes: o.parse.maxFrameBytes,
    maxElementBytes: o.parse.maxElementBytes,
    // Mask rules key on these; they are read to choose boxes, never passed on with pixels.
    ...(o.spec.mask?.rules.length ? { attributes: MASK_RULE_TAGS } : {}),
  });
}

/** The chunks of `source`, counted into stats.bytesRead as they pass (module-level: see fileChunks in sources/item.ts). */
async function* countBytes(source: AsyncIterable<Uint8Array>, stats: SampleStats): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    stats.bytesRead += chunk.length;
    yield chunk;
  }
}

/** First reads of a file with prefix reads on, and after each seek (see OpenOptions.seekChunkBytes). */
const PREFIX_CHUNK_BYTES = 64 * 1024;

/**
 * decode.prefixReads: J2K / HTJ2K frames are read only as far as the
 * resolution they are decoded at needs. Only with sub-resolution decoding,
 * which is what makes the rest of the codestream useless; not with a text
 * mask, whose OCR decodes at full resolution.
 */
function prefixReads(o: SampleOptions): ((d: PixelDescription) => { width: number; height: number } | null) | null {
  if (!o.prefixReads || !o.subResolution || o.spec.mask?.text || !o.spec.target) return null;
  return (d) => resolutionNeeded(d, o.spec);
}

/** Manufacturer, ManufacturerModelName, Modality. */
const MASK_RULE_TAGS = [0x00080070, 0x00081090, 0x00080060];

/** preprocess.mask for one file: its fixed boxes and those of the rules its attributes match. */
async function maskFor(reader: ItemReader, o: SampleOptions): Promise<FrameMask | undefined> {
  const m = o.spec.mask;
  if (!m) return undefined;
  if (m.rules.length === 0) return { boxes: m.boxes, text: m.text };
  const a = 'attributes' in reader && typeof reader.attributes === 'function' ? await (reader as DicomReader).attributes() : new Map<number, string>();
  const get = (tag: number) => a.get(tag)?.trim() || null;
  return frameMask(m, { manufacturer: get(0x00080070), model: get(0x00081090), modality: get(0x00080060) });
}

/** One file: header, then one pending decode per frame, in order. */
async function* fileFrames(item: SourceItem, o: SampleOptions): AsyncGenerator<Pending> {
  if (o.cache) {
    const hit = await o.cache.lookup(item);
    if (hit) {
      if (item.localPath) o.stats.bytesRead += item.size ?? 0; // read to check its content hash
      for (const cachedWarning of hit.warnings) yield { cachedWarning };
      for (const cached of hit.samples) yield { cached };
      return;
    }
  }
  const reader = readerFor(item, o);
  try {
    const description = await reader.header();
    const mask = await maskFor(reader, o);
    for await (const frame of reader.frames()) {
      if ('error' in frame) {
        yield { failure: toDicomflowError(frame.error, { file: item.id, frame: frame.index }) };
        continue;
      }
      // Backpressure to the reader: no further frame is read while the pool's queue is full.
      await o.pool.ready();
      const decoded = o.pool.submit({
        bytes: frame.bytes,
        description,
        spec: o.spec,
        frameIndex: frame.index,
        file: item.id,
        // OCR reads text at the file's own resolution: a J2K frame decoded at a quarter of it loses small text.
        subResolution: o.subResolution && !mask?.text,
        partial: o.partial,
        ...(mask ? { mask } : {}),
        ...(frame.prefix ? { prefixLevel: frame.prefix.level } : {}),
        ...(frame.prefix?.damage ? { prefixDamage: frame.prefix.damage } : {}),
      });
      if (frame.prefix) {
        o.stats.prefixFrames++;
        o.stats.bytesSkipped += frame.prefix.frameBytes - frame.prefix.bytesRead;
      }
      yield { decoded, frame: frame.index, description };
    }
  } catch (err) {
    yield { failure: toDicomflowError(err, { file: item.id }) };
  } finally {
    await reader.close();
  }
}

/**
 * Samples of all items, in order. Up to `fileConcurrency` files are open at
 * once, each with at most `prefetchFrames` frames decoded ahead, so memory
 * stays bounded whatever the files' sizes.
 */
export async function* samples(items: readonly SourceItem[], o: SampleOptions): AsyncGenerator<LabeledSample> {
  const open = new Map<number, Prefetcher<Pending>>();
  let next = 0;
  const openUpTo = (i: number) => {
    while (next < items.length && next <= i) {
      open.set(next, new Prefetcher(fileFrames(items[next]!, o), Math.max(1, o.prefetchFrames)));
      next++;
    }
  };
  let delivered = 0;
  try {
    for (let i = 0; i < items.length; i++) {
      openUpTo(i + o.fileConcurrency - 1);
      const item = items[i]!;
      const frames = open.get(i)!;
      const warnedOnce = new Set<string>();
      o.stats.files++;
      // What this file gives the cache once every frame of it has decoded (null: not cacheable).
      let keep: CachedSample[] | null = o.cache && (item.localPath || item.cacheIdentity) ? [] : null;
      const keepWarnings: ErrorRecord[] = [];
      let fromCache = false;
      for await (const p of frames) {
        if ('cachedWarning' in p) {
          o.stats.warnings++;
          o.onWarning(p.cachedWarning);
          continue;
        }
        if ('cached' in p) {
          fromCache = true;
          const c = p.cached;
          o.stats.frames++;
          yield { data: c.data, shape: c.shape, label: item.label, split: item.split, id: { file: item.id, frame: c.frame, ...c.ids }, decodeMs: 0, preprocessMs: 0 };
          if (o.limit > 0 && ++delivered >= o.limit) return;
          continue;
        }
        if ('failure' in p) {
          keep = null;
          o.stats.errors++;
          o.onError(errorRecord(p.failure, item.id));
          continue;
        }
        const r = await p.decoded;
        if (!r.ok) {
          keep = null;
          o.stats.errors++;
          o.onError(errorRecord(r.error, item.id));
          continue;
        }
        // A copy: whoever consumes the sample may transfer or reuse its buffer before the file ends.
        const ids = { ...p.description.ids, rows: p.description.rows, columns: p.description.columns };
        keep?.push({ frame: p.frame, data: r.data.slice(), shape: r.shape, ids });
        for (const w of r.warnings ?? []) {
          if (ONCE_PER_FILE.has(w.code)) {
            if (warnedOnce.has(w.code)) continue;
            warnedOnce.add(w.code);
          }
          o.stats.warnings++;
          const rec = warningRecord(w, item.id, p.frame);
          keepWarnings.push(rec);
          o.onWarning(rec);
        }
        o.stats.frames++;
        o.stats.decodedPixels += r.decodedWidth * r.decodedHeight;
        o.stats.decodeMs += r.decodeMs;
        o.stats.preprocessMs += r.preprocessMs;
        yield {
          data: r.data,
          shape: r.shape,
          label: item.label,
          split: item.split,
          id: { file: item.id, frame: p.frame, ...ids },
          decodeMs: r.decodeMs,
          preprocessMs: r.preprocessMs,
        };
        if (o.limit > 0 && ++delivered >= o.limit) return;
      }
      if (fromCache) o.stats.cacheHits++;
      else if (keep && keep.length > 0 && o.cache) {
        await o.cache.store(item, keep, keepWarnings);
        o.stats.cacheStores++;
      }
      open.delete(i);
    }
  } finally {
    await Promise.all([...open.values()].map((p) => p.return()));
  }
}
