import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
// @ts-expect-error: plain-JS bench module without type declarations
import { orthancMissing, startOrthanc } from '../../bench/lib/orthanc.mjs';
import { loadConfig } from '../../src/config/load.js';
import type { PixelDescription } from '../../src/dicom/description.js';
import { readDicom } from '../../src/dicom/reader.js';
import type { DicomflowError } from '../../src/errors.js';
import { createPipeline } from '../../src/pipeline/index.js';
import { listDicomweb } from '../../src/sources/dicomweb.js';
import type { HttpOptions, HttpStats } from '../../src/sources/http.js';
import { fileItem, type SourceItem } from '../../src/sources/item.js';
import { FIXTURES, fixtureBytes } from '../helpers/fixtures.js';

// Fixtures with distinct SOPInstanceUIDs (several fixtures are one image in several syntaxes,
// and a PACS keeps one instance per UID): J2K lossless and lossy, JPEG-LS lossless and
// near-lossless, multi-frame, signed CT, uncompressed with odd size, RLE, colour.
const NAMES = [
  'ct_s16_mf3_j2k_lossless',
  'ct_u12_j2k_lossless',
  'ct_s16_jls_lossless',
  'mr_u16_mf4_jls_near3',
  'us_u8_mf4_explicit_le',
  'sc_u8_odd_explicit_le',
  'ct_s16_j2k_lossy',
  'rgb_u8_mf3_rle_gdcm',
  'cr_u12_mono1_jpeg_lossless_p14',
];
const fast: HttpOptions = { connections: 4, timeoutMs: 10_000, retries: 2, backoffMs: 1 };

const missing = orthancMissing();
if (missing) {
  t.fail(`Orthanc is needed for this test: ${missing}`);
  process.exit(1);
}

async function fromDisk(name: string) {
  const r = readDicom([fixtureBytes(name)], { file: name });
  const description = await r.header();
  const frames: Uint8Array[] = [];
  for await (const f of r.frames()) frames.push(f.bytes);
  return { description, frames };
}

const disk = new Map<string, { name: string; description: PixelDescription; frames: Uint8Array[] }>();
for (const name of NAMES) {
  const d = await fromDisk(name);
  disk.set(d.description.ids.sopInstanceUid!, { name, ...d });
}
const sopOf = (item: SourceItem) => item.id.split('/').pop()!;

const pacs = await startOrthanc();
t.teardown(() => pacs.stop());
await pacs.upload(NAMES.map((n) => `${FIXTURES}${n}.dcm`));

t.test('QIDO-RS lists every uploaded instance once', async (t) => {
  const stats: HttpStats = { requests: 0, retries: 0, rangeResumes: 0 };
  const { items, problems } = await listDicomweb(pacs.dicomWebUrl, [], fast, stats);
  t.same(problems, []);
  t.same(items.map(sopOf).sort(), [...disk.keys()].sort());
  t.equal(stats.retries, 0);
});

t.test('headers and frames equal the Part-10 reader on the file on disk: nothing transcoded', async (t) => {
  const { items } = await listDicomweb(`${pacs.dicomWebUrl}/`, [], fast);
  for (const item of items) {
    const want = disk.get(sopOf(item))!;
    let bytes = 0;
    const reader = item.reader!({ maxFrameBytes: 1 << 30, onBytes: (n) => (bytes += n) });
    t.same(await reader.header(), want.description, `${want.name}: same pixel description`);
    const frames: Uint8Array[] = [];
    for await (const f of reader.frames()) {
      if ('error' in f) t.fail(`${want.name} frame ${f.index}: ${f.error.message}`);
      else {
        t.equal(f.index, frames.length);
        frames.push(f.bytes);
      }
    }
    await reader.close();
    t.equal(frames.length, want.frames.length, `${want.name}: ${want.frames.length} frame(s)`);
    t.ok(
      frames.every((f, i) => Buffer.from(f).equals(Buffer.from(want.frames[i]!))),
      `${want.name}: frames byte-identical to the file's`,
    );
    t.ok(bytes >= frames.reduce((s, f) => s + f.length, 0), 'received bytes counted');
    if (want.description.transferSyntax.startsWith('1.2.840.10008.1.2.4.9')) {
      t.same([...frames[0]!.subarray(0, 4)], [0xff, 0x4f, 0xff, 0x51], `${want.name}: a J2K codestream (SOC, SIZ)`);
    }
  }
});

t.test('open() gives the stored Part-10 file', async (t) => {
  const { items } = await listDicomweb(pacs.dicomWebUrl, [], fast);
  const item = items.find((i) => disk.get(sopOf(i))!.name === 'ct_s16_mf3_j2k_lossless')!;
  const chunks: Uint8Array[] = [];
  for await (const c of item.open()) chunks.push(c);
  t.ok(Buffer.concat(chunks).equals(Buffer.from(fixtureBytes('ct_s16_mf3_j2k_lossless'))), 'byte-identical to the uploaded file');
});

t.test('the pipeline over DICOMweb items gives the same samples as from disk', async (t) => {
  const { config } = loadConfig(null, { 'preprocess.target': '32x32', 'preprocess.voi': 'minmax', 'decode.workers': 2, 'pipeline.fileConcurrency': 3 });
  const { items } = await listDicomweb(pacs.dicomWebUrl, [], fast);
  const remote = createPipeline(config, { items });
  const local = createPipeline(config, { items: items.map((i) => fileItem(`${FIXTURES}${disk.get(sopOf(i))!.name}.dcm`, undefined)) });
  t.teardown(() => Promise.all([remote.close(), local.close()]));
  const all = async (p: typeof remote) => {
    const out: { sop: string | null; frame: number; patient: string | null; data: number[] }[] = [];
    for await (const s of p.samples()) out.push({ sop: s.id.sopInstanceUid, frame: s.id.frame, patient: s.id.patientId, data: Array.from(s.data) });
    return out;
  };
  const got = await all(remote);
  const want = await all(local);
  t.same(remote.errors, []);
  t.equal(got.length, [...disk.values()].reduce((n, d) => n + d.frames.length, 0), 'every frame');
  t.same(got, want, 'identical samples, ids and order');
});

t.test('a bad StudyInstanceUID is a typed problem, not a crash', async (t) => {
  const { items, problems } = await listDicomweb(pacs.dicomWebUrl, ['1.2.3.4', 'not-a-uid'], fast);
  t.same(items, []);
  t.match(problems, [
    { code: 'DF_ERR_SOURCE', message: /no series found for study 1\.2\.3\.4/ },
    { code: 'DF_ERR_SOURCE', message: /"not-a-uid" is not a valid StudyInstanceUID/ },
  ]);
});

t.test('a frame that keeps failing is reported after its retries; the other frames still come', async (t) => {
  // A proxy in front of Orthanc that answers 503 to every request for frame 2.
  const target = new URL(pacs.url);
  const proxy = createServer((req, res) => {
    if (/\/frames\/2$/.test(req.url!)) return void res.writeHead(503).end();
    const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => proxy.close(() => r())));
  const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/dicom-web`;
  const stats: HttpStats = { requests: 0, retries: 0, rangeResumes: 0 };
  const { items } = await listDicomweb(base, [], fast, stats);
  const item = items.find((i) => disk.get(sopOf(i))!.name === 'mr_u16_mf4_jls_near3')!;
  const want = disk.get(sopOf(item))!;
  const got: (number | string)[] = [];
  const reader = item.reader!({ maxFrameBytes: 1 << 30 });
  for await (const f of reader.frames()) {
    if ('error' in f) {
      t.match(f.error, { code: 'DF_ERR_SOURCE', message: /frames\/2: HTTP 503 \(gave up after 3 attempts\)/ });
      got.push(`lost ${f.index}`);
    } else {
      t.ok(Buffer.from(f.bytes).equals(Buffer.from(want.frames[f.index]!)), `frame ${f.index} intact`);
      got.push(f.index);
    }
  }
  t.same(got, [0, 'lost 1', 2, 3]);
  t.equal(stats.retries, 2);

  const { config } = loadConfig(null, { 'preprocess.target': '16x16', 'decode.workers': 1 });
  const p = createPipeline(config, { items: [item] });
  t.teardown(() => p.close());
  const frames: number[] = [];
  for await (const s of p.samples()) frames.push(s.id.frame);
  t.same(frames, [0, 2, 3], 'the pipeline goes on after the lost frame');
  t.match(p.errors, [{ code: 'DF_ERR_SOURCE', frame: 1, file: item.id }], 'and reports it');
});

t.test('auth: the header from sources.http.authEnv is sent, and never shows in a message', async (t) => {
  const secured = await startOrthanc({ auth: { user: 'reader', password: 'pw-s3cret' } });
  t.teardown(() => secured.stop());
  await secured.upload([`${FIXTURES}${NAMES[1]}.dcm`]);
  const { resolveSources } = await import('../../src/sources/index.js');
  const env = 'DICOMFLOW_TEST_DICOMWEB_AUTH';
  const { config } = loadConfig(null, { 'sources.dicomweb.url': secured.dicomWebUrl, 'sources.http.authEnv': env, 'sources.http.retries': 1, 'sources.http.backoffMs': 1 });
  const secrets = [secured.authorization!, secured.authorization!.split(' ')[1]!, 'pw-s3cret'];
  const shown = (problems: DicomflowError[]) => JSON.stringify(problems.map((p) => [p.message, p.describe(), p.toJSON(), String(p.cause ?? '')]));
  let messages = '';

  const none = await listDicomweb(secured.dicomWebUrl, [], fast);
  t.match(none.problems, [{ code: 'DF_ERR_SOURCE', message: /HTTP 401: not authorised/ }], 'no header: 401 as a SourceError');

  process.env[env] = 'Basic d3Jvbmc6d3Jvbmc='; // wrong:wrong
  t.teardown(() => delete process.env[env]);
  const wrong = await resolveSources(config.sources);
  t.match(wrong.problems, [{ code: 'DF_ERR_SOURCE', message: /HTTP 401/ }], 'wrong credentials: 401');
  t.notOk(shown(wrong.problems).includes('d3Jvbmc6d3Jvbmc'), 'the wrong value is not echoed');

  process.env[env] = secured.authorization!;
  const ok = await resolveSources(config.sources);
  t.same(ok.problems, []);
  t.equal(ok.items.length, 1, 'listed with the header');
  const item = ok.items[0]!;
  const reader = item.reader!({ maxFrameBytes: 1 << 30 });
  t.same(await reader.header(), disk.get(sopOf(item))!.description, 'read with the header');
  await reader.close();

  // Failures while the header is set: an unknown study; an instance deleted between listing and reading.
  messages += shown((await listDicomweb(secured.dicomWebUrl, ['9.9.9'], { ...fast, headers: { authorization: secured.authorization! } })).problems);
  const auth = { authorization: secured.authorization! };
  for (const id of (await (await fetch(`${secured.url}/patients`, { headers: auth })).json()) as string[]) {
    await fetch(`${secured.url}/patients/${id}`, { method: 'DELETE', headers: auth });
  }
  const gone = item.reader!({ maxFrameBytes: 1 << 30 });
  const headerError = (await gone.header().catch((e: DicomflowError) => e)) as DicomflowError;
  t.match(headerError, { code: 'DF_ERR_SOURCE', message: /frames\/1: HTTP 404/ }, 'a deleted instance: 404 as a SourceError (the series metadata was already cached)');
  const openError = (await (async () => {
    for await (const c of item.open()) t.fail(`no bytes expected (${c.length})`);
  })().catch((e: DicomflowError) => e)) as DicomflowError;
  t.match(openError, { code: 'DF_ERR_SOURCE', message: /HTTP 404/ });
  messages += shown([headerError, openError]);
  messages += shown([...none.problems, ...wrong.problems]);
  t.ok(messages.length > 0);
  for (const s of secrets) t.notOk(messages.includes(s), 'the Authorization value appears in no message');
});
