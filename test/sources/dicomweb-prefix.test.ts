/**
 * decode.prefixReads over DICOMweb, against a real Orthanc: a 2048x2048
 * single-layer J2K frame (written by GDCM) decoded at 256x256 is fetched
 * only as far as the levels kept (the answer is dropped there), and gives
 * the same samples as fetching it whole. Orthanc ignores Range: this needs
 * nothing of the server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
// @ts-expect-error: plain-JS bench module without type declarations
import { orthancMissing, startOrthanc } from '../../bench/lib/orthanc.mjs';
import { loadConfig } from '../../src/config/load.js';
import { createPipeline } from '../../src/pipeline/index.js';
import { listDicomweb } from '../../src/sources/dicomweb.js';
import type { HttpOptions } from '../../src/sources/http.js';
import { fileItem, type SourceItem } from '../../src/sources/item.js';
import { makeUid, radiograph, writePart10File } from '../../src/synth/index.js';

const missing = orthancMissing();
if (missing) {
  t.fail(`Orthanc is needed for this test: ${missing}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-dicomweb-prefix-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const SIZE = 2048;

async function native(name: string, seed: number): Promise<string> {
  const path = join(dir, `${name}-native.dcm`);
  const pixels = radiograph({ width: SIZE, height: SIZE, bits: 12, seed, lesion: { x: 700 + seed, y: 900, radius: 40, contrast: 250 } });
  await writePart10File(
    path,
    {
      transferSyntax: '1.2.840.10008.1.2.1', rows: SIZE, columns: SIZE, samplesPerPixel: 1, photometric: 'MONOCHROME2',
      bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, windowCenter: 2048, windowWidth: 4096, modality: 'DX', patientName: 'Synthetic^Prefix',
      ids: { patientId: "WEBPREFIX", studyInstanceUid: makeUid('webprefix/study'), seriesInstanceUid: makeUid('webprefix/series'), sopInstanceUid: makeUid(`webprefix/${name}`) },
    },
    [new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)],
  );
  return path;
}

// Two GDCM J2K files (LRCP, one layer: levels may be read in part) and one left native (read whole).
const j2k: string[] = [];
for (const [i, name] of ['a', 'b'].entries()) {
  const out = join(dir, `${name}-j2k.dcm`);
  execFileSync('gdcmconv', ['--j2k', await native(name, i + 1), out], { stdio: 'pipe' });
  j2k.push(out);
}
const plain = await native('c', 3);

const pacs = await startOrthanc();
t.teardown(() => pacs.stop());
await pacs.upload([...j2k, plain]);
const fast: HttpOptions = { connections: 4, timeoutMs: 20_000, retries: 2, backoffMs: 1 };

async function run(items: SourceItem[], prefixReads: boolean) {
  const { config } = loadConfig(null, { 'preprocess.target': '256x256', 'preprocess.voi': 'minmax', 'decode.workers': 2, 'decode.prefixReads': prefixReads, 'pipeline.fileConcurrency': 3 });
  const p = createPipeline(config, { items });
  const out = new Map<string, Float32Array>();
  for await (const s of p.samples()) out.set(s.id.sopInstanceUid!, s.data as Float32Array);
  const stats = { ...p.stats };
  const errors = [...p.errors];
  await p.close();
  return { out, stats, errors };
}

t.test('frame mode: J2K frames at 256x256 are fetched in part, their samples equal a whole fetch and the local files', async (t) => {
  const { items, problems } = await listDicomweb(pacs.dicomWebUrl, [], fast);
  t.same(problems, []);
  t.equal(items.length, 3);
  const whole = await run(items, false);
  const part = await run((await listDicomweb(pacs.dicomWebUrl, [], fast)).items, true);
  const local = await run([...j2k, plain].map((f) => fileItem(f, undefined)), true);
  t.same(part.errors, []);
  t.same(whole.errors, []);
  t.equal(part.out.size, 3);
  t.equal(part.stats.prefixFrames, 2, 'the two J2K frames were fetched in part; the native one whole');
  t.equal(whole.stats.prefixFrames, 0);
  // The native frame is 8 MiB either way; the J2K frames are about 2.7 MB each whole.
  const j2kWhole = whole.stats.bytesRead - 2 * SIZE * SIZE;
  const j2kPart = part.stats.bytesRead - 2 * SIZE * SIZE;
  t.ok(j2kWhole > 4_000_000, `whole J2K answers: ${j2kWhole} bytes`);
  t.ok(j2kPart < 0.25 * j2kWhole, `bytes read of the J2K answers ${j2kPart} of ${j2kWhole} (${((100 * j2kPart) / j2kWhole).toFixed(1)}%)`);
  for (const [sop, data] of whole.out) {
    t.ok(part.out.get(sop)!.every((v, k) => Object.is(v, data[k])), `${sop}: fetched in part = fetched whole`);
    t.ok(local.out.get(sop)!.every((v, k) => Object.is(v, data[k])), `${sop}: = the local file`);
  }
});
