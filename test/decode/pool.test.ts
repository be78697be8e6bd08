import { fileURLToPath } from 'node:url';
import t from 'tap';
import { DecodePool } from '../../src/decode/pool.js';
import { decodeFrame } from '../../src/decode/decode-frame.js';
import { readDicom } from '../../src/dicom/reader.js';
import type { DecodeTask } from '../../src/decode/task.js';
import type { PreprocessSpec } from '../../src/preprocess/types.js';
import { fixtureBytes } from '../helpers/fixtures.js';

const STAND_IN = fileURLToPath(new URL('./stand-in-worker.mjs', import.meta.url));
const spec: PreprocessSpec = { target: { height: 32, width: 32 }, resize: 'stretch', padValue: 0, channels: 1, modalityLut: true, voi: { mode: 'minmax' }, invertMonochrome1: true, output: 'float32' };

async function tasks(name: string): Promise<DecodeTask[]> {
  const r = readDicom([fixtureBytes(name)]);
  const description = await r.header();
  const out: DecodeTask[] = [];
  for await (const f of r.frames()) out.push({ bytes: f.bytes, description, spec, frameIndex: f.index, file: name, subResolution: true });
  return out;
}

t.test('a worker decodes exactly what the main thread decodes; the frame buffer is transferred, not copied', async (t) => {
  const pool = new DecodePool({ workers: 2 });
  t.teardown(() => pool.close());
  for (const name of ['ct_s16_mf3_j2k_lossless', 'us_u8_mf4_jls_lossless_emptybot', 'rgb_u8_jpeg_baseline_ybr422']) {
    const viaPool = await tasks(name);
    const onMain = await tasks(name);
    for (const [i, task] of viaPool.entries()) {
      const size = task.bytes.byteLength;
      const pending = pool.submit(task);
      await pool.ready();
      const got = await pending;
      t.equal(task.bytes.byteLength, 0, `${name} frame ${i}: ${size} bytes moved to the worker (buffer detached here)`);
      const want = await decodeFrame(onMain[i]!);
      t.ok(got.ok && want.ok);
      if (got.ok && want.ok) t.same(Array.from(got.data), Array.from(want.data), `${name} frame ${i}: same sample`);
    }
  }
});

t.test('a worker that dies is replaced; its frame becomes DF_ERR_DECODE_WORKER, the rest continue', async (t) => {
  const pool = new DecodePool({ workers: 1, workerFile: STAND_IN });
  t.teardown(() => pool.close());
  const mk = (i: number) => ({ bytes: new Uint8Array(4), description: {} as never, spec, frameIndex: i, file: 'crash', subResolution: false });
  const results = await Promise.all([0, 1, 2, 3].map((i) => pool.submit(mk(i))));
  t.same(results.map((r) => r.ok), [true, false, true, true]);
  const failed = results[1]!;
  if (!failed.ok) {
    t.equal(failed.error.code, 'DF_ERR_DECODE_WORKER');
    t.match(failed.error.where, { file: 'crash', frame: 1, stage: 'decode' });
  }
  const after = await pool.submit(mk(5));
  t.ok(after.ok, 'a replacement worker takes new frames');
});

t.test('the queue is bounded: ready() waits while it is full', async (t) => {
  const pool = new DecodePool({ workers: 1, queue: 2, workerFile: STAND_IN });
  t.teardown(() => pool.close());
  const slow = (i: number) => ({ bytes: new Uint8Array(4), description: {} as never, spec, frameIndex: i, file: 'slow', subResolution: false, delayMs: 150 });
  const running = [0, 1, 2, 3].map((i) => pool.submit(slow(i)));
  await new Promise((r) => setTimeout(r, 30));
  let readyAt = 0;
  const t0 = Date.now();
  await pool.ready().then(() => (readyAt = Date.now() - t0));
  t.ok(readyAt >= 100, `ready() waited ${readyAt} ms for room`);
  await Promise.all(running);
});

t.test('a codec error comes back typed, with file and frame', async (t) => {
  const pool = new DecodePool({ workers: 1 });
  t.teardown(() => pool.close());
  const [task] = await tasks('ct_u12_j2k_lossless');
  task!.bytes.fill(0x41, 40); // keep SOC/SIZ, destroy the rest
  const r = await pool.submit(task!);
  t.notOk(r.ok);
  if (!r.ok) {
    t.equal(r.error.code, 'DF_ERR_DECODE');
    t.equal(r.error.constructor.name, 'DecodeError', 'rebuilt as the typed class');
    t.match(r.error.where, { file: 'ct_u12_j2k_lossless', frame: 0 });
  }
});

t.test('close() lets frames already submitted finish before the workers stop', async (t) => {
  // A pipeline stopped early (a limit, a consumer that breaks) closes the pool with decodes in
  // flight; destroying piscina under them lost those frames and could crash on late results.
  const pool = new DecodePool({ workers: 2, workerFile: STAND_IN });
  const slow = (i: number) => ({ bytes: new Uint8Array(4), description: {} as never, spec, frameIndex: i, file: 'slow', subResolution: false, delayMs: 100 });
  const pending = [0, 1, 2, 3, 4, 5].map((i) => pool.submit(slow(i)));
  await new Promise((r) => setTimeout(r, 20));
  await pool.close();
  const results = await Promise.all(pending);
  t.same(results.map((r) => r.ok), [true, true, true, true, true, true], 'every submitted frame decoded');
});

t.test('a codec that never returns: its frame is DF_ERR_DECODE_TIMEOUT, the worker is replaced, every other frame is delivered', async (t) => {
  const SPIN = fileURLToPath(new URL('./spin-worker.mjs', import.meta.url));
  // One worker, so the frames after the stuck one wait in the queue behind it: the limit
  // counts from the start of a decode, and their wait must not time them out too.
  const pool = new DecodePool({ workers: 1, queue: 4, workerFile: SPIN, timeoutMs: 400 });
  t.teardown(() => pool.close());
  const all = await tasks('us_u8_mf4_explicit_le');
  const want = await Promise.all((await tasks('us_u8_mf4_explicit_le')).map((task) => decodeFrame(task)));
  all[1]!.bytes[0] = 0xee;
  const results = await Promise.all(all.map((task) => pool.submit(task)));
  t.same(results.map((r) => r.ok), [true, false, true, true]);
  const stuck = results[1]!;
  if (!stuck.ok) {
    t.equal(stuck.error.code, 'DF_ERR_DECODE_TIMEOUT');
    t.match(stuck.error.where, { file: 'us_u8_mf4_explicit_le', frame: 1, stage: 'decode' });
    t.match(stuck.error.message, /decode\.timeoutMs \(400 ms\)/);
  }
  for (const i of [0, 2, 3]) {
    const got = results[i]!;
    const w = want[i]!;
    t.ok(got.ok && w.ok && Array.from(got.data).join() === Array.from(w.data).join(), `frame ${i} delivered with its own pixels`);
  }
  const after = await pool.submit((await tasks('us_u8_mf4_explicit_le'))[0]!);
  t.ok(after.ok, 'the replacement worker decodes new frames');
});

t.test('decode.timeoutMs 0 means no limit', async (t) => {
  const pool = new DecodePool({ workers: 1, workerFile: STAND_IN, timeoutMs: 0 });
  t.teardown(() => pool.close());
  t.equal(pool.timeoutMs, 0);
  const r = await pool.submit({ bytes: new Uint8Array(4), description: {} as never, spec, frameIndex: 0, file: 'slow', subResolution: false, delayMs: 50 } as DecodeTask);
  t.ok(r.ok);
});
