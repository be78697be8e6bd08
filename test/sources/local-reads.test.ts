import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fileItem } from '../../src/sources/item.js';
import { ASYNC_FILES_AFTER_SLOW, LocalReads, SLOW_CALL_MS, SLOW_CALLS_IN_A_ROW } from '../../src/sources/local-reads.js';
import { loadConfig } from '../../src/config/load.js';
import { createPipeline } from '../../src/pipeline/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-reads-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
const path = join(dir, 'f.bin');
writeFileSync(path, bytes);

async function readAll(reads: LocalReads, seekTo?: number): Promise<Buffer> {
  const source = fileItem(path, bytes.length).open({ chunkBytes: 8192, seekChunkBytes: 1000, localReads: reads }) as AsyncIterable<Uint8Array> & { seek(p: number): void };
  const out: Uint8Array[] = [];
  let first = true;
  for await (const c of source) {
    out.push(c);
    if (first && seekTo !== undefined) source.seek(seekTo);
    first = false;
  }
  return Buffer.concat(out);
}

t.test('synchronous, thread-pool and auto reads give the same bytes, seeks included', async (t) => {
  for (const mode of ['sync', 'async', 'auto'] as const) {
    const reads = new LocalReads(mode);
    t.same(await readAll(reads), bytes, `${mode}: the whole file`);
    t.same(await readAll(reads, 90_000), Buffer.concat([bytes.subarray(0, 1000), bytes.subarray(90_000)]), `${mode}: first chunk, then from 90000`);
    t.same(reads.counts, { syncFiles: mode === 'async' ? 0 : 2, asyncFiles: mode === 'async' ? 2 : 0, slowSwitches: 0 }, `${mode}: counted`);
  }
});

t.test('a missing file is a DF_ERR_SOURCE in every mode', async (t) => {
  for (const mode of ['sync', 'async', 'auto'] as const) {
    const source = fileItem(join(dir, 'gone.bin'), 10).open({ localReads: new LocalReads(mode) });
    await t.rejects(
      (async () => {
        for await (const _ of source) void _;
      })(),
      { code: 'DF_ERR_SOURCE', message: /gone\.bin: ENOENT/ },
      mode,
    );
  }
});

t.test(`auto: ${SLOW_CALLS_IN_A_ROW} slow calls in a row send reads to the thread pool for ${ASYNC_FILES_AFTER_SLOW} files, then it tries again`, async (t) => {
  // A clock that makes every synchronous call take `callMs`.
  let now = 0;
  let callMs = 0;
  let ticks = 0;
  const reads = new LocalReads('auto', () => {
    // Called before and after each synchronous call: the second reading is later by callMs.
    now += ticks++ % 2 === 0 ? 0 : callMs;
    return now;
  });
  await readAll(reads);
  t.same(reads.counts, { syncFiles: 1, asyncFiles: 0, slowSwitches: 0 }, 'fast calls stay synchronous');

  callMs = SLOW_CALL_MS * 4;
  const before = ticks;
  t.same(await readAll(reads), bytes, 'the file that turned slow is read whole');
  t.equal(reads.counts.slowSwitches, 1, 'switched after slow calls in a row');
  t.equal((ticks - before) / 2, SLOW_CALLS_IN_A_ROW, 'its open and first reads were synchronous, the rest went through the pool');
  for (let i = 0; i < ASYNC_FILES_AFTER_SLOW; i++) t.same(await readAll(reads), bytes);
  t.same(reads.counts, { syncFiles: 2, asyncFiles: ASYNC_FILES_AFTER_SLOW, slowSwitches: 1 }, 'the next files through the pool');
  callMs = 0;
  await readAll(reads);
  t.same(reads.counts, { syncFiles: 3, asyncFiles: ASYNC_FILES_AFTER_SLOW, slowSwitches: 1 }, 'then synchronous again');
});

t.test('auto: slow calls between fast ones (a fast read preempted now and then) do not switch', async (t) => {
  let now = 0;
  let calls = 0;
  const reads = new LocalReads('auto', () => {
    calls++;
    // Readings come in pairs (before, after a call): every other call ends slow.
    if (calls % 4 === 0) now += SLOW_CALL_MS * 10;
    return now;
  });
  t.same(await readAll(reads), bytes);
  t.same(reads.counts, { syncFiles: 1, asyncFiles: 0, slowSwitches: 0 });
});

t.test('sources.localReads is validated and reaches the pipeline', async (t) => {
  t.throws(() => loadConfig(null, { 'sources.localReads': 'mmap' }), { code: 'DF_ERR_CONFIG', message: /sources\.localReads/ });
  const fixture = join(import.meta.dirname, '..', 'fixtures', 'ct_s16_explicit_le.dcm');
  readFileSync(fixture); // the fixture exists
  for (const mode of ['sync', 'async'] as const) {
    const { config } = loadConfig(null, { 'sources.paths': [fixture], 'sources.localReads': mode, 'decode.workers': 1, 'preprocess.target': '16x16' });
    const p = createPipeline(config);
    let n = 0;
    for await (const b of p) n += b.shape[0];
    await p.close();
    t.equal(n, 1, `${mode}: the frame`);
    t.same(p.localReads, mode === 'sync' ? { syncFiles: 1, asyncFiles: 0, slowSwitches: 0 } : { syncFiles: 0, asyncFiles: 1, slowSwitches: 0 }, `${mode}: counted`);
  }
});
