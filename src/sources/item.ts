/** What every source gives the pipeline: an id, an optional label, and a way to open the bytes. */
import type { PixelDescription } from '../dicom/description.js';
import type { EncodedFrame } from '../dicom/frames.js';
import { SourceError, type DicomflowError } from '../errors.js';
import { POOL_READS, type LocalReads } from './local-reads.js';

/** A frame that could not be had; the frames after it still come. */
export interface FrameFailure {
  index: number;
  error: DicomflowError;
}

/**
 * Header then frames, straight from a source that serves them apart (DICOMweb),
 * like the Part-10 reader's `DicomReader` but able to report a lost frame and go on.
 */
export interface ItemReader {
  header(): Promise<PixelDescription>;
  /** Frames in order; iterate once. */
  frames(): AsyncGenerator<EncodedFrame | FrameFailure>;
  close(): Promise<void>;
}

export interface ItemReaderOptions {
  maxFrameBytes: number;
  /**
   * Prefix reads (decode.prefixReads), as ReadOptions.prefix: the smallest
   * size a frame of this description is decoded at, or null. A reader that
   * can stop a frame early reads only what that size needs.
   */
  prefix?: (d: PixelDescription) => { width: number; height: number } | null;
  /** Called with the size of every body received, for throughput counters. */
  onBytes?(n: number): void;
}

export interface OpenOptions {
  /** Largest chunk read at once. */
  chunkBytes?: number;
  /**
   * For readers that seek (prefix reads): the first reads, and those after
   * a seek, are this small, so a reader that wants only a frame's first
   * bytes is not handed a megabyte. Sources that cannot seek ignore it.
   */
  seekChunkBytes?: number;
  /** Local files: synchronous calls or the thread pool (sources.localReads). Default: the thread pool. */
  localReads?: LocalReads;
}

/**
 * The size of read number `run` (from 0) since the start or the last seek,
 * for seeking readers: `least` twice, then doubling up to `most`. Local files
 * and HTTP windows share it.
 */
export function growingReadSize(run: number, least: number, most: number): number {
  return Math.min(most, run < 2 ? least : least * 2 ** (run - 1));
}

export interface SourceItem {
  /** Stable id: the path or URL. */
  id: string;
  label?: string;
  /** Split named in the manifest (train, val, test, ...). */
  split?: string;
  /** Size in bytes when known. */
  size?: number;
  /**
   * Opens the bytes as a stream of chunks. Read failures throw SourceError.
   * The stream may be seekable (SeekableSource: local files, HTTP with Range).
   */
  open(options?: OpenOptions): AsyncIterable<Uint8Array>;
  /** When present, the pipeline reads the item through this rather than parsing open()'s bytes. */
  reader?(options: ItemReaderOptions): ItemReader;
  /** The local file behind the item, when it is one (the sample cache keys on its identity). */
  localPath?: string;
  /**
   * For items that are not local files: what identifies this version of the
   * content (an HTTP ETag or Last-Modified with the length; a DICOMweb
   * instance's UIDs), or null when nothing does. The sample cache keys on it.
   */
  cacheIdentity?(): Promise<string | null>;
}

/** A local file as a source item. */
export function fileItem(path: string, size: number | undefined, extra: { label?: string; split?: string } = {}): SourceItem {
  const item: SourceItem = {
    id: path,
    // Plain positional reads rather than a ReadStream: the stream machinery (and the
    // AbortError it builds when a reader stops early) cost the main thread ~1 ms per
    // file, which on 2 cores comes straight out of the decode workers' time.
    open: (options = {}) => {
      const at: ReadPosition = { position: 0, seeked: false };
      // Positional reads: a seek just moves where the next chunk is read from.
      return Object.assign(fileChunks(path, size, options, at), {
        seek(p: number) {
          at.position = p;
          at.seeked = true;
        },
      });
    },
  };
  item.localPath = path;
  if (size !== undefined) item.size = size;
  if (extra.label !== undefined) item.label = extra.label;
  if (extra.split !== undefined) item.split = extra.split;
  return item;
}

/** Where the next read of an open local file starts; a seek sets it. */
interface ReadPosition {
  position: number;
  seeked: boolean;
}

/**
 * The chunks of one local file. A module-level generator rather than a
 * closure made per file: V8 kept dropping and re-optimising the per-file
 * closure, a compile on the shared cores every few hundred files.
 */
async function* fileChunks(path: string, size: number | undefined, options: OpenOptions, at: ReadPosition): AsyncGenerator<Uint8Array> {
  const reads = options.localReads ?? POOL_READS;
  const fh = await reads.open(path).catch((err: unknown) => {
    throw readFailure(path, err);
  });
  try {
    // A read buffer larger than the file is allocated (and collected) for nothing.
    const most = Math.max(1, Math.min(options.chunkBytes ?? 1024 * 1024, size ?? Infinity));
    // With seekChunkBytes, reads start small and grow after a few in a row, and start small
    // again after a seek: a reader that only wants a frame's first bytes gets little more.
    const least = Math.min(most, options.seekChunkBytes ?? most);
    for (let run = 0; ; run++) {
      if (at.seeked) {
        at.seeked = false;
        run = 0;
      }
      // Not past the end when the size is known: a seek to a frame's last bytes reads only those,
      // and the end of the file costs no read of its own (one of five reads per file when a
      // prefix read takes a frame's first bytes and its last). A file that grew after it was
      // listed is read to the size it had then, as a file that shrank ends where it ends.
      if (size !== undefined && at.position >= size) return;
      const chunk = Math.max(1, Math.min(growingReadSize(run, least, most), size === undefined ? Infinity : size - at.position));
      const buffer = new Uint8Array(chunk);
      const bytesRead = await fh.read(buffer, chunk, at.position).catch((err: unknown) => {
        throw readFailure(path, err);
      });
      if (bytesRead === 0) return;
      at.position += bytesRead;
      yield bytesRead === chunk ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** A file can vanish or become unreadable between listing and reading. */
function readFailure(path: string, err: unknown): SourceError {
  const e = err as NodeJS.ErrnoException;
  return new SourceError(`cannot read ${path}: ${e.code ?? e.message}`, { stage: 'source', file: path }, { cause: err });
}
