/**
 * A shard file written as a unit: under a temporary name, its SHA-256
 * computed as the bytes go out, flushed to disk, then renamed into place.
 * A reader never sees half a shard, and a killed writer leaves only a
 * temporary file the next run removes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, fsyncSync, openSync, closeSync, renameSync, rmSync } from 'node:fs';

export interface ShardFile {
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes, renames into place and returns what was written. */
  commit(): Promise<{ bytes: number; sha256: string }>;
  abort(): void;
}

export function openShardFile(path: string): ShardFile {
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  const hash = createHash('sha256');
  let bytes = 0;
  let failure: Error | null = null;
  out.on('error', (err) => (failure = err));
  return {
    write(b) {
      if (failure) return Promise.reject(failure);
      hash.update(b);
      bytes += b.length;
      // Backpressure: wait for the file to drain before the next sample is made.
      return out.write(b) ? Promise.resolve() : new Promise((resolve) => out.once('drain', resolve));
    },
    async commit() {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const fd = openSync(tmp, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      return { bytes, sha256: hash.digest('hex') };
    },
    abort() {
      out.destroy();
      rmSync(tmp, { force: true });
    },
  };
}
