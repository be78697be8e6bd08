/** What every source gives the pipeline: an id, an optional label, and a way to open the bytes. */
import { createReadStream } from 'node:fs';
import { SourceError } from '../errors.js';

export interface SourceItem {
  /** Stable id: the path or URL. */
  id: string;
  label?: string;
  /** Split named in the manifest (train, val, test, ...). */
  split?: string;
  /** Size in bytes when known. */
  size?: number;
  /** Opens the bytes as a stream of chunks. Read failures throw SourceError. */
  open(options?: { chunkBytes?: number }): AsyncIterable<Uint8Array>;
}

/** A local file as a source item. */
export function fileItem(path: string, size: number | undefined, extra: { label?: string; split?: string } = {}): SourceItem {
  const item: SourceItem = {
    id: path,
    async *open(options = {}) {
      try {
        yield* createReadStream(path, { highWaterMark: options.chunkBytes ?? 1024 * 1024 });
      } catch (err) {
        // A file can vanish or become unreadable between listing and reading.
        const e = err as NodeJS.ErrnoException;
        throw new SourceError(`cannot read ${path}: ${e.code ?? e.message}`, { stage: 'source', file: path }, { cause: err });
      }
    },
  };
  if (size !== undefined) item.size = size;
  if (extra.label !== undefined) item.label = extra.label;
  if (extra.split !== undefined) item.split = extra.split;
  return item;
}
