import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
// @ts-expect-error: plain-JS bench module without type declarations
import { orthancMissing, startOrthanc } from '../../bench/lib/orthanc.mjs';
import { loadConfig } from '../../src/config/load.js';
import { defaults } from '../../src/config/schema.js';
import { readDicom } from '../../src/dicom/reader.js';
import { ConfigError } from '../../src/errors.js';
import { createPipeline } from '../../src/pipeline/index.js';
import {
  AUTO_MAX_FRAME_BYTES,
  AUTO_MAX_INSTANCE_BYTES,
  AUTO_MIN_FRAMES,
  chooseMode,
  dicomwebModeOf,
  listDicomweb,
  metadataAttributes,
  type DicomwebModeOption,
} from '../../src/sources/dicomweb.js';
import type { HttpOptions, HttpStats } from '../../src/sources/http.js';
import { fileItem, type SourceItem } from '../../src/sources/item.js';
import { cat, el, imageModule, meta, text } from '../helpers/dicom.js';
import { FIXTURES } from '../helpers/fixtures.js';

const fast: HttpOptions = { connections: 4, timeoutMs: 10_000, retries: 2, backoffMs: 1 };
const newStats = (): HttpStats => ({ requests: 0, retries: 0, rangeResumes: 0 });

// ---- setup: a real Orthanc behind a counting proxy (all before the first test, so teardowns wait for the tests) ----

const missing = orthancMissing();
if (missing) {
  t.fail(`Orthanc is needed for this test: ${missing}`);
  process.exit(1);
}

/** Two frames of 512 x 512 16-bit, uncompressed: 512 KiB a frame, over AUTO_MAX_FRAME_BYTES. */
function bigMultiFrame(): Uint8Array {
  const frames = 2;
  const pixels = new Uint16Array(frames * 512 * 512);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + Math.floor(i / 1000) * 13) & 0xfff;
  return cat(
    meta('1.2.840.10008.1.2.1'),
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.7'),
    imageModule({ rows: 512, columns: 512, frames, bitsAllocated: 16, bitsStored: 12 }),
    el(0x7fe00010, 'OW', new Uint8Array(pixels.buffer)),
  );
}

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-dwmode-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const BIG = join(dir, 'big_u16_mf2_explicit_le.dcm');
writeFileSync(BIG, bigMultiFrame());

// A small multi-frame series, a single-frame one, and a multi-frame one with big frames.
const FILES = { small: `${FIXTURES}mr_u16_mf4_jls_near3.dcm`, single: `${FIXTURES}ct_u12_j2k_lossless.dcm`, big: BIG };
type Kind = keyof typeof FILES;

interface OnDisk {
  kind: Kind;
  sop: string;
  frames: number;
  frameBytes: number;
}
const disk = new Map<string, OnDisk>();
for (const kind of Object.keys(FILES) as Kind[]) {
  const d = await readDicom([readFileSync(FILES[kind])], { file: FILES[kind] }).header();
  disk.set(d.ids.sopInstanceUid!, { kind, sop: d.ids.sopInstanceUid!, frames: d.frames, frameBytes: d.rows * d.columns * d.samplesPerPixel * (d.bitsAllocated / 8) });
}
const sopOf = (item: SourceItem) => item.id.split('/').pop()!;
const kindOf = (item: SourceItem) => disk.get(sopOf(item))!.kind;
const totalFrames = [...disk.values()].reduce((n, d) => n + d.frames, 0);

const pacs = await startOrthanc();
t.teardown(() => pacs.stop());
await pacs.upload(Object.values(FILES));

/** What the proxy saw: one entry per request, by kind, with its path. */
type RequestKind = 'frame' | 'instance' | 'metadata' | 'qido';
const seen: { kind: RequestKind; path: string }[] = [];
const classify = (path: string): RequestKind =>
  /\/instances\/[0-9.]+\/frames\/\d+$/.test(path) ? 'frame' : /\/instances\/[0-9.]+$/.test(path) ? 'instance' : /\/metadata$/.test(path) ? 'metadata' : 'qido';
const counted = (kind: RequestKind) => seen.filter((s) => s.kind === kind).map((s) => s.path);
/** Per request, a fault to inject: answer 503, or cut the body after so many bytes. */
let fault: (path: string) => { status: 503 } | { cutAfter: number } | null = () => null;

// A counting proxy in front of Orthanc: every request the source makes passes through it.
const target = new URL(pacs.url);
const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = req.url!;
  seen.push({ kind: classify(path), path });
  const f = fault(path);
  if (f && 'status' in f) return void res.writeHead(f.status).end();
  const up = httpRequest({ host: target.hostname, port: target.port, path, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode!, r.headers);
    if (!f) return void r.pipe(res);
    let sent = 0;
    r.on('data', (c: Buffer) => {
      if (sent + c.length < f.cutAfter) {
        sent += c.length;
        return void res.write(c);
      }
      res.write(c.subarray(0, f.cutAfter - sent));
      sent = f.cutAfter;
      r.destroy();
      res.socket?.destroy();
    });
    r.on('end', () => res.end());
  });
  req.pipe(up);
});
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => proxy.close(() => r())));
const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/dicom-web`;

const { config } = loadConfig(null, { 'preprocess.target': '32x32', 'preprocess.voi': 'minmax', 'decode.workers': 2, 'pipeline.fileConcurrency': 3 });
type Sample = { sop: string | null; frame: number; data: number[] };
async function run(items: SourceItem[]): Promise<{ samples: Sample[]; errors: ReturnType<typeof createPipeline>['errors'] }> {
  const p = createPipeline(config, { items });
  try {
    const samples: Sample[] = [];
    for await (const s of p.samples()) samples.push({ sop: s.id.sopInstanceUid, frame: s.id.frame, data: Array.from(s.data) });
    samples.sort((a, b) => (a.sop! < b.sop! ? -1 : a.sop! > b.sop! ? 1 : a.frame - b.frame));
    return { samples, errors: p.errors };
  } finally {
    await p.close();
  }
}
const local = await run([...disk.values()].map((d) => fileItem(FILES[d.kind], undefined)));

/** Lists through the proxy in `mode`, then runs the pipeline, counting the requests of each step. */
async function readAll(mode: DicomwebModeOption) {
  fault = () => null;
  const stats = newStats();
  seen.length = 0;
  const { items, problems } = await listDicomweb(base, [], fast, stats, { mode });
  const listing = { requests: stats.requests, metadata: counted('metadata').length };
  seen.length = 0;
  const before = stats.requests;
  const { samples, errors } = await run(items);
  return { items, problems, listing, reading: { requests: stats.requests - before, frames: counted('frame'), instances: counted('instance'), metadata: counted('metadata') }, samples, errors };
}

// ---- the auto rule on DICOM JSON, no server ----

/** DICOM JSON of one instance with the attributes the rule reads. */
function json(o: { frames?: number; rows?: number; columns?: number; samples?: number; bits?: number }) {
  const j: Record<string, { vr: string; Value: unknown[] }> = {};
  if (o.frames !== undefined) j['00280008'] = { vr: 'IS', Value: [String(o.frames)] };
  if (o.rows !== undefined) j['00280010'] = { vr: 'US', Value: [o.rows] };
  if (o.columns !== undefined) j['00280011'] = { vr: 'US', Value: [o.columns] };
  if (o.samples !== undefined) j['00280002'] = { vr: 'US', Value: [o.samples] };
  if (o.bits !== undefined) j['00280100'] = { vr: 'US', Value: [o.bits] };
  return metadataAttributes(j);
}

t.test('auto rule: instance mode for several small frames, frame mode otherwise', async (t) => {
  // 512 x 256 x 16 bit = 256 KiB exactly: the largest frame that still counts as small.
  const atLimit = { rows: 512, columns: 256, bits: 16 };
  t.equal(512 * 256 * 2, AUTO_MAX_FRAME_BYTES, 'the boundary case is at the limit');
  t.equal(chooseMode([json({ frames: 4, rows: 80, columns: 64, bits: 16 })]), 'instance', '4 frames of 10 KiB');
  t.equal(chooseMode([json({ frames: AUTO_MIN_FRAMES, ...atLimit })]), 'instance', `${AUTO_MIN_FRAMES} frames of 256 KiB`);
  t.equal(chooseMode([json({ frames: AUTO_MIN_FRAMES, ...atLimit, columns: 257 })]), 'frames', 'one column more: frames too big');
  t.equal(chooseMode([json({ frames: 2, rows: 512, columns: 256, samples: 3, bits: 8 })]), 'frames', 'samples per pixel count (3 x 128 KiB)');
  t.equal(chooseMode([json({ frames: 1, rows: 80, columns: 64, bits: 16 })]), 'frames', 'a single frame: one request either way');
  t.equal(chooseMode([json({ rows: 80, columns: 64, bits: 16 })]), 'frames', 'no NumberOfFrames: a single frame');
  const most = AUTO_MAX_INSTANCE_BYTES / AUTO_MAX_FRAME_BYTES;
  t.equal(chooseMode([json({ frames: most, ...atLimit })]), 'instance', `${most} frames of 256 KiB: 64 MiB in all`);
  t.equal(chooseMode([json({ frames: most + 1, ...atLimit })]), 'frames', 'one frame more: the instance is too big');
  t.equal(chooseMode([json({ frames: 4, columns: 64, bits: 16 })]), 'frames', 'no Rows: size unknown');
  t.equal(chooseMode([json({ frames: 4, rows: 80, columns: 64, bits: 16 }), json({ frames: 1, rows: 80, columns: 64, bits: 16 })]), 'frames', 'every instance of the series must qualify');
  t.equal(chooseMode([]), 'frames', 'no metadata: frames, as before');
});

t.test('sources.dicomweb.mode: default "auto", the three values, anything else a config error', async (t) => {
  t.equal(defaults().sources.dicomweb.mode, 'auto');
  for (const mode of ['frames', 'instance', 'auto']) t.equal(loadConfig(null, { 'sources.dicomweb.mode': mode }).config.sources.dicomweb.mode, mode);
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-dwmode-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ sources: { dicomweb: { mode: 'instance' } } }));
  t.equal(loadConfig(file).config.sources.dicomweb.mode, 'instance', 'from a file');
  for (const [bad, shown] of [['frame', '"frame"'], ['INSTANCE', '"INSTANCE"'], [1, '1'], [null, 'null']] as const) {
    const err = (() => {
      try {
        loadConfig(null, { 'sources.dicomweb.mode': bad });
      } catch (e) {
        return e;
      }
      return null;
    })();
    t.ok(err instanceof ConfigError, `${shown} is a ConfigError`);
    t.match(err, { code: 'DF_ERR_CONFIG', where: { field: 'sources.dicomweb.mode' } });
    t.equal((err as Error).message, `sources.dicomweb.mode must be one of "frames", "instance", "auto" (got ${shown})`);
  }
});

// ---- against Orthanc ----

t.test('the local pipeline reads every frame of the three files (the reference)', async (t) => {
  t.same(local.errors, []);
  t.equal(local.samples.length, totalFrames);
  t.equal(totalFrames, 4 + 1 + 2);
});

t.test('mode "instance": one WADO-RS request per instance, parsed as Part-10; same pixels as from disk', async (t) => {
  const r = await readAll('instance');
  t.same(r.problems, []);
  t.equal(r.items.length, 3);
  for (const item of r.items) {
    t.equal(dicomwebModeOf(item), 'instance', `${kindOf(item)}: instance mode`);
    t.equal(item.reader, undefined, `${kindOf(item)}: no frame reader, so the pipeline parses open()'s bytes`);
  }
  t.equal(r.listing.metadata, 0, 'no series metadata fetched while listing');
  t.same(r.reading.instances.sort(), r.items.map((i) => new URL(i.id).pathname).sort(), 'exactly one retrieve per instance');
  t.same(r.reading.frames, [], 'no frame requests');
  t.same(r.reading.metadata, [], 'no metadata requests');
  t.equal(r.reading.requests, 3, 'HttpStats counts the same 3 requests');
  t.same(r.errors, []);
  t.same(r.samples, local.samples, 'identical decoded pixels, ids and frames');
});

t.test('mode "frames": one WADO-RS request per frame; same pixels', async (t) => {
  const r = await readAll('frames');
  t.same(r.problems, []);
  for (const item of r.items) {
    t.equal(dicomwebModeOf(item), 'frames', `${kindOf(item)}: frame mode`);
    t.type(item.reader, 'function');
  }
  t.equal(r.listing.metadata, 0, 'metadata only fetched when first read');
  const want = r.items.flatMap((i) => Array.from({ length: disk.get(sopOf(i))!.frames }, (_, n) => `${new URL(i.id).pathname}/frames/${n + 1}`));
  t.same(r.reading.frames.sort(), want.sort(), 'exactly one request per frame');
  t.equal(r.reading.frames.length, totalFrames);
  t.same(r.reading.instances, [], 'no instance retrieves');
  t.equal(r.reading.metadata.length, 3, 'one metadata request per series');
  t.equal(r.reading.requests, totalFrames + 3, 'HttpStats: frames plus metadata');
  t.same(r.errors, []);
  t.same(r.samples, local.samples, 'identical decoded pixels, ids and frames');
});

t.test('mode "auto": instance mode for the small multi-frame series, frame mode for the single-frame and the big-frame ones', async (t) => {
  // The rule's inputs, read from the files, on the side of each threshold this test means.
  const by = (kind: Kind) => [...disk.values()].find((d) => d.kind === kind)!;
  t.ok(by('small').frames >= AUTO_MIN_FRAMES && by('small').frameBytes <= AUTO_MAX_FRAME_BYTES && by('small').frames * by('small').frameBytes <= AUTO_MAX_INSTANCE_BYTES, `small: ${by('small').frames} frames of ${by('small').frameBytes} bytes`);
  t.ok(by('single').frames < AUTO_MIN_FRAMES, 'single: one frame');
  t.ok(by('big').frames >= AUTO_MIN_FRAMES && by('big').frameBytes > AUTO_MAX_FRAME_BYTES, `big: ${by('big').frames} frames of ${by('big').frameBytes} bytes`);

  const r = await readAll('auto');
  t.same(r.problems, []);
  t.same(Object.fromEntries(r.items.map((i) => [kindOf(i), dicomwebModeOf(i)])), { small: 'instance', single: 'frames', big: 'frames' });
  t.equal(r.items.find((i) => kindOf(i) === 'small')!.reader, undefined);
  t.equal(r.listing.metadata, 3, 'each series metadata fetched once, while listing');
  t.same(r.reading.metadata, [], 'and not again when reading');
  const small = new URL(r.items.find((i) => kindOf(i) === 'small')!.id).pathname;
  t.same(r.reading.instances, [small], 'one retrieve, for the small multi-frame instance');
  t.equal(r.reading.frames.length, by('single').frames + by('big').frames, 'a request per frame for the others');
  t.ok(r.reading.frames.every((p) => !p.startsWith(small)), 'none of them for the instance-mode one');
  t.equal(r.reading.requests, 1 + by('single').frames + by('big').frames);
  t.same(r.errors, []);
  t.same(r.samples, local.samples, 'identical decoded pixels');
});

t.test('resolveSources passes sources.dicomweb.mode on (default auto)', async (t) => {
  const { resolveSources } = await import('../../src/sources/index.js');
  const modes = async (overrides: Record<string, unknown>) => {
    const { config } = loadConfig(null, { 'sources.dicomweb.url': base, ...overrides });
    const { items, problems } = await resolveSources(config.sources);
    t.same(problems, []);
    return Object.fromEntries(items.map((i) => [kindOf(i), dicomwebModeOf(i)]));
  };
  t.same(await modes({}), { small: 'instance', single: 'frames', big: 'frames' }, 'default: auto');
  t.same(await modes({ 'sources.dicomweb.mode': 'instance' }), { small: 'instance', single: 'instance', big: 'instance' });
  t.same(await modes({ 'sources.dicomweb.mode': 'frames' }), { small: 'frames', single: 'frames', big: 'frames' });
  t.equal(dicomwebModeOf(fileItem(FILES.single, undefined)), null, 'not a DICOMweb item');
});

t.test('instance mode: a retrieve that keeps failing, or a body cut short, is a DF_ERR_SOURCE of that instance; the others still come', async (t) => {
  const stats = newStats();
  const { items } = await listDicomweb(base, [], fast, stats, { mode: 'instance' });
  const small = items.find((i) => kindOf(i) === 'small')!;
  const big = items.find((i) => kindOf(i) === 'big')!;
  const want = (kinds: Kind[]) => local.samples.filter((s) => kinds.includes(disk.get(s.sop!)!.kind));

  fault = (path) => (path === new URL(small.id).pathname ? { status: 503 } : null);
  const failing = await run(items);
  t.same(failing.samples, want(['single', 'big']), 'the other instances are read in full');
  t.match(failing.errors, [{ code: 'DF_ERR_SOURCE', file: small.id, frame: null, severity: 'error', message: /HTTP 503 \(after 0 bytes, 3 attempts\)/ }]);
  t.equal(failing.errors.length, 1);
  t.equal(stats.retries, fast.retries, 'retried before giving up');

  // Cut inside the first frame's pixel data: no retry once bytes were delivered (the boundary is new in every answer).
  const retries = stats.retries;
  fault = (path) => (path === new URL(big.id).pathname ? { cutAfter: 100_000 } : null);
  const cut = await run(items);
  t.same(cut.samples, want(['small', 'single']));
  t.match(cut.errors, [{ code: 'DF_ERR_SOURCE', file: big.id, message: /after \d+ bytes, 1 attempts/ }]);
  t.equal(cut.errors.length, 1);
  t.equal(stats.retries, retries, 'not retried');
  fault = () => null;
});
