/**
 * The decoded-sample cache (pipeline.cache): the preprocessed samples of a
 * file, kept on disk after its first decode, so every later epoch and run
 * reads them instead of decoding again (as MONAI's PersistentDataset and
 * tf.data's cache() do).
 *
 * Never a stale sample: an entry's key holds the file's identity (path, size,
 * mtime, inode), the hash of the preprocessing configuration, the codec
 * versions and the cache format version, so changing any of them is a miss;
 * and on a hit the file's content hash is checked against the one stored
 * with the entry. A damaged entry (its payload checksum does not match) is
 * reported, removed and recomputed. Entries are written under a temporary
 * name and renamed, so two processes filling one cache at once are safe (the
 * later rename wins; both wrote the same bytes). Hits touch an entry's mtime,
 * and when the cache grows past `maxBytes` the least recently used entries
 * go. Local files are keyed by path, size, mtime and inode (and checked by
 * content hash); HTTP items by their ETag or Last-Modified and length (a HEAD
 * request); DICOMweb instances by their UIDs; an item with none of these is
 * not cached. Only files whose every frame decoded are kept;
 * the PatientID is not written to disk (cached samples carry null).
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineConfig } from '../config/schema.js';
import type { ErrorRecord, SampleId } from '../pipeline/samples.js';
import type { SourceItem } from '../sources/item.js';
import { codecVersions } from './versions.js';

export const CACHE_VERSION = 1;

export interface CachedSample {
  frame: number;
  data: Float32Array | Uint8Array;
  shape: [number, number, number];
  ids: Omit<SampleId, 'file' | 'frame'>;
}

interface EntryHeader {
  version: number;
  path: string;
  contentSha256: string;
  payloadSha256: string;
  samples: { frame: number; shape: [number, number, number]; dtype: 'float32' | 'uint8'; bytes: number; ids: CachedSample['ids'] }[];
  /** The warnings the decode reported (a contradicted colour label, ...): said again on every hit. */
  warnings: ErrorRecord[];
}

export interface CacheHit {
  samples: CachedSample[];
  warnings: ErrorRecord[];
}

/** The file's SHA-256: in one read when it is small (no stream machinery on the training thread), streamed otherwise. */
async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  if (statSync(path).size <= 64 * 1024 * 1024) return h.update(readFileSync(path)).digest('hex');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export type CacheEvent = { kind: 'damaged' | 'changed'; file: string; entry: string; why: string };

export class SampleCache {
  private readonly identity: string;
  private bytes: number | null = null;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    config: Pick<PipelineConfig, 'preprocess' | 'decode'>,
    private readonly onEvent: (e: CacheEvent) => void = () => {},
  ) {
    mkdirSync(dir, { recursive: true });
    // What a sample depends on besides the file: preprocessing, the decode options that change pixels, the codecs.
    this.identity = createHash('sha256')
      .update(JSON.stringify({ v: CACHE_VERSION, preprocess: config.preprocess, subResolution: config.decode.subResolution, partial: config.decode.partial, codecs: codecVersions() }))
      .digest('hex');
  }

  /** The entry path of the item's content as it is now, or null when nothing identifies it. */
  private async entryPath(item: SourceItem): Promise<string | null> {
    if (!item.localPath) {
      const id = item.cacheIdentity ? await item.cacheIdentity() : null;
      if (id === null) return null;
      const key = createHash('sha256').update(`${this.identity}\n${item.id}\n${id}`).digest('hex');
      return join(this.dir, key.slice(0, 2), `${key}.entry`);
    }
    let st;
    try {
      st = statSync(item.localPath, { bigint: true });
    } catch {
      return null;
    }
    // mtime to the nearest millisecond: what tools that copy or restore times keep (utimes goes through a
    // double of seconds, so a restored .123 s can come back as .122999999); the content hash checks the rest.
    const key = createHash('sha256').update(`${this.identity}\n${item.localPath}\n${st.size}\n${(st.mtimeNs + 500_000n) / 1_000_000n}\n${st.ino}`).digest('hex');
    return join(this.dir, key.slice(0, 2), `${key}.entry`);
  }

  /** The file's samples, or null on a miss (and after removing a damaged or outdated entry). */
  async lookup(item: SourceItem): Promise<CacheHit | null> {
    const path = await this.entryPath(item);
    if (path === null) return null;
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch {
      return null;
    }
    const drop = (kind: CacheEvent['kind'], why: string) => {
      rmSync(path, { force: true });
      this.onEvent({ kind, file: item.id, entry: path, why });
      return null;
    };
    if (buf.length < 4) return drop('damaged', 'shorter than its header');
    const headerLength = buf.readUInt32LE(0);
    let header: EntryHeader;
    try {
      header = JSON.parse(buf.subarray(4, 4 + headerLength).toString('utf8')) as EntryHeader;
    } catch {
      return drop('damaged', 'its header is not JSON');
    }
    const payload = buf.subarray(4 + headerLength);
    if (createHash('sha256').update(payload).digest('hex') !== header.payloadSha256) return drop('damaged', 'its checksum does not match');
    if (item.localPath && (await fileSha256(item.localPath)) !== header.contentSha256) return drop('changed', 'the file changed while its size, mtime and inode stayed');
    const out: CachedSample[] = [];
    let at = 0;
    for (const s of header.samples) {
      // A copy, aligned at 0 (Buffer#slice would be a view into the whole file's buffer).
      const bytes = new Uint8Array(payload.subarray(at, at + s.bytes));
      at += s.bytes;
      out.push({ frame: s.frame, shape: s.shape, ids: s.ids, data: s.dtype === 'uint8' ? new Uint8Array(bytes.buffer, 0, s.bytes) : new Float32Array(bytes.buffer, 0, s.bytes / 4) });
    }
    const now = new Date();
    utimesSync(path, now, now); // least recently used = oldest mtime
    return { samples: out, warnings: header.warnings ?? [] };
  }

  /** Keeps a fully decoded file's samples. */
  async store(item: SourceItem, samples: CachedSample[], warnings: ErrorRecord[] = []): Promise<void> {
    const path = await this.entryPath(item);
    if (path === null) return;
    const payload = Buffer.concat(samples.map((s) => Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength)));
    const header: EntryHeader = {
      version: CACHE_VERSION,
      path: item.localPath ?? item.id,
      // For remote items the identity in the key (ETag, UIDs) stands for the content.
      contentSha256: item.localPath ? await fileSha256(item.localPath) : '',
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
      samples: samples.map((s) => ({ frame: s.frame, shape: s.shape, dtype: s.data instanceof Uint8Array ? 'uint8' : 'float32', bytes: s.data.byteLength, ids: { ...s.ids, patientId: null } })),
      warnings,
    };
    const head = Buffer.from(JSON.stringify(header), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length, 0);
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, Buffer.concat([len, head, payload]));
    renameSync(tmp, path);
    this.bytes = (this.bytes ?? this.scan()) + 4 + head.length + payload.length;
    if (this.bytes > this.maxBytes) this.evict();
  }

  private entries(): { path: string; size: number; mtime: number }[] {
    const out: { path: string; size: number; mtime: number }[] = [];
    for (const sub of readdirSync(this.dir)) {
      let names: string[];
      try {
        names = readdirSync(join(this.dir, sub));
      } catch {
        continue;
      }
      for (const n of names) {
        if (!n.endsWith('.entry')) continue;
        try {
          const st = statSync(join(this.dir, sub, n));
          out.push({ path: join(this.dir, sub, n), size: st.size, mtime: st.mtimeMs });
        } catch {
          // removed by another process meanwhile
        }
      }
    }
    return out;
  }

  private scan(): number {
    return this.entries().reduce((n, e) => n + e.size, 0);
  }

  /** Removes least recently used entries until the cache is within its bound. */
  private evict(): void {
    const all = this.entries().sort((a, b) => a.mtime - b.mtime);
    let total = all.reduce((n, e) => n + e.size, 0);
    for (const e of all) {
      if (total <= this.maxBytes) break;
      rmSync(e.path, { force: true });
      total -= e.size;
    }
    this.bytes = total;
  }
}
