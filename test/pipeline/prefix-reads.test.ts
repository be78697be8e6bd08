/**
 * decode.prefixReads end to end: 2048x2048 frames decoded at 256x256 read
 * only the bytes of the resolution levels kept, from local files and over
 * HTTP with Range requests, and give the same samples as reading everything.
 * Files: an RPCL HTJ2K and an RPCL J2K written by dicomflow's encoders, and a
 * single-layer LRCP J2K written by GDCM (gdcmconv --j2k), the layout most
 * archives hold.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createPipeline } from '../../src/pipeline/index.js';
import { fileItem, type SourceItem } from '../../src/sources/item.js';
import { httpItem, type HttpStats } from '../../src/sources/http.js';
import { encodeFrame, planEncoding, radiograph, writePart10File, makeUid } from '../../src/synth/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-prefix-reads-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const SIZE = 2048;
const layout = { width: SIZE, height: SIZE, bitsStored: 12, signed: false, samples: 1 as const };

async function write(name: string, codec: 'j2k' | 'htj2k' | 'native', pixels: Uint16Array): Promise<string> {
  const path = join(dir, `${name}.dcm`);
  const plan = codec === 'native' ? null : planEncoding(layout, codec, { lossless: true });
  const frame = codec === 'native' ? new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength) : await encodeFrame(pixels, layout, codec, { lossless: true });
  await writePart10File(
    path,
    {
      transferSyntax: plan?.transferSyntax ?? '1.2.840.10008.1.2.1', rows: SIZE, columns: SIZE, samplesPerPixel: 1, photometric: 'MONOCHROME2',
      bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, windowCenter: 2048, windowWidth: 4096, modality: 'DX', patientName: 'Synthetic^Prefix',
      ids: { patientId: `PREFIX-${name}`, studyInstanceUid: makeUid(`prefix/${name}/study`), seriesInstanceUid: makeUid(`prefix/${name}/series`), sopInstanceUid: makeUid(`prefix/${name}`) },
    },
    [frame],
  );
  return path;
}

const pixels = radiograph({ width: SIZE, height: SIZE, bits: 12, seed: 11, lesion: { x: 900, y: 700, radius: 40, contrast: 250 } });
const files = [await write('rpcl-htj2k', 'htj2k', pixels), await write('rpcl-j2k', 'j2k', pixels)];
const native = await write('native', 'native', pixels);
const gdcm = join(dir, 'gdcm-lrcp-j2k.dcm');
execFileSync('gdcmconv', ['--j2k', native, gdcm], { stdio: 'pipe' });
files.push(gdcm);
const sizes = files.map((f) => statSync(f).size);

async function run(items: SourceItem[], prefixReads: boolean) {
  const { config } = loadConfig(null, { 'preprocess.target': '256x256', 'preprocess.voi': 'minmax', 'decode.workers': 2, 'decode.prefixReads': prefixReads });
  const p = createPipeline(config, { items });
  const out: Float32Array[] = [];
  for await (const s of p.samples()) out.push(s.data as Float32Array);
  const stats = { ...p.stats };
  await p.close();
  return { out, stats };
}

t.test('local files: a small fraction of each file is read, and the samples equal a full read', async (t) => {
  const items = files.map((f) => fileItem(f, statSync(f).size));
  const full = await run(items, false);
  const part = await run(files.map((f) => fileItem(f, statSync(f).size)), true);
  t.equal(part.out.length, 3);
  t.equal(part.stats.prefixFrames, 3, 'every frame read in part');
  t.equal(full.stats.prefixFrames, 0, 'none with prefixReads off');
  t.equal(full.stats.bytesRead, sizes.reduce((a, b) => a + b, 0), 'a full read reads every byte');
  const fraction = part.stats.bytesRead / full.stats.bytesRead;
  t.ok(fraction < 0.1, `bytes read ${part.stats.bytesRead} of ${full.stats.bytesRead} (${(100 * fraction).toFixed(1)}%)`);
  t.equal(part.stats.bytesRead + part.stats.bytesSkipped >= full.stats.bytesRead - 3 * 64 * 1024, true, 'read + skipped accounts for the files');
  for (let i = 0; i < 3; i++) t.ok(part.out[i]!.every((v, k) => Object.is(v, full.out[i]![k])), `${files[i]!.split('/').pop()}: identical samples`);
});

/** A static server with byte ranges (bytes=a-b and bytes=a-), counting what it sends. */
async function rangeServer(): Promise<{ server: Server; url: (f: string) => string; sent: () => number; ranges: () => number }> {
  let sent = 0;
  let ranges = 0;
  const server = createServer((req, res) => {
    const body = readFileSync(join(dir, decodeURIComponent(req.url!.slice(1))));
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (m) {
      ranges++;
      const from = Number(m[1]);
      const to = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
      if (from >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      const part = body.subarray(from, to + 1);
      sent += part.length;
      res.writeHead(206, { 'content-length': String(part.length), 'content-range': `bytes ${from}-${to}/${body.length}` }).end(part);
      return;
    }
    sent += body.length;
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, url: (f) => `http://127.0.0.1:${port}/${encodeURIComponent(f.split('/').pop()!)}`, sent: () => sent, ranges: () => ranges };
}

t.test('over HTTP: Range requests fetch a small fraction, the samples equal a full read', async (t) => {
  const s = await rangeServer();
  t.teardown(() => new Promise<void>((r) => s.server.close(() => r())));
  const opts = { connections: 4, timeoutMs: 10_000, retries: 1, backoffMs: 10 };
  const full = await run(files.map((f) => fileItem(f, statSync(f).size)), false);
  const stats: HttpStats = { requests: 0, retries: 0, rangeResumes: 0 };
  const part = await run(files.map((f) => httpItem(s.url(f), opts, { stats })), true);
  const total = sizes.reduce((a, b) => a + b, 0);
  t.ok(s.sent() < 0.1 * total, `the server sent ${s.sent()} of ${total} bytes (${((100 * s.sent()) / total).toFixed(1)}%)`);
  t.ok(s.ranges() >= files.length, `${s.ranges()} range requests`);
  t.ok((stats.rangeSeeks ?? 0) >= files.length, `${stats.rangeSeeks} seeks past the unread part`);
  t.equal(part.stats.prefixFrames, 3);
  for (let i = 0; i < 3; i++) t.ok(part.out[i]!.every((v, k) => Object.is(v, full.out[i]![k])), `${files[i]!.split('/').pop()}: identical samples over HTTP`);
});

t.test('prefix reads stay off when the decode is at full resolution', async (t) => {
  const { config } = loadConfig(null, { 'preprocess.target': null, 'decode.workers': 1 });
  const p = createPipeline(config, { items: [fileItem(files[1]!, sizes[1])] });
  for await (const _ of p.samples());
  t.equal(p.stats.prefixFrames, 0, 'no target: the whole frame');
  t.equal(p.stats.bytesRead, sizes[1], 'every byte read');
  await p.close();
});

t.test('inspect says which files allow prefix reads, and how much a 256x256 decode reads', async (t) => {
  const { scanItem } = await import('../../src/dicom/scan.js');
  const { config } = loadConfig(null, {});
  for (const f of files) {
    const r = await scanItem(fileItem(f, statSync(f).size), config.parse);
    const p = r.prefixReads;
    t.ok(p?.allowed, `${f.split('/').pop()}: allowed`);
    if (p?.allowed) {
      const at256 = p.levels.find((l) => l.width === 256);
      t.ok(at256 && at256.fraction < 0.05, `${f.split('/').pop()}: ${p.progression}, ${p.layers} layer(s), 256x256 reads ${at256?.bytes} bytes (${at256?.fraction})`);
    }
  }
  const n = await scanItem(fileItem(native, statSync(native).size), config.parse);
  t.equal(n.prefixReads, null, 'native pixel data: not applicable');
});
