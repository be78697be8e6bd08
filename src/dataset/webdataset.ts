/**
 * WebDataset shards: POSIX tar files where the members of one sample share a
 * key: `<key>.cls` (the label, when there is one), `<key>.json` (ids, no
 * patient attributes) and `<key>.npy`. Written with tar-stream (a maintained
 * tar writer, rather than a hand-made one) with every header field fixed
 * (mtime 0, uid/gid 0, no user names, mode 0644) and the members in a fixed
 * order, so equal inputs give byte-identical shards.
 */
import { pack, type Pack } from 'tar-stream';
import type { DatasetRecord } from './sample-record.js';
import type { ShardFile } from './shard-file.js';

export interface ShardWriter {
  add(r: DatasetRecord): Promise<void>;
  finish(): Promise<void>;
}

const FIXED = { mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '', type: 'file' as const };

export function webDatasetWriter(file: ShardFile): ShardWriter {
  const tar: Pack = pack();
  const drained = (async () => {
    for await (const chunk of tar as AsyncIterable<Uint8Array>) await file.write(chunk);
  })();
  const entry = (name: string, body: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      tar.entry({ name, size: body.length, ...FIXED }, body, (err) => (err ? reject(err) : resolve()));
    });
  return {
    async add(r) {
      if (r.meta.label !== null) await entry(`${r.meta.key}.cls`, new TextEncoder().encode(`${r.meta.label}\n`));
      await entry(`${r.meta.key}.json`, new TextEncoder().encode(JSON.stringify(r.meta)));
      await entry(`${r.meta.key}.npy`, r.npy);
    },
    async finish() {
      tar.finalize();
      await drained;
    },
  };
}
