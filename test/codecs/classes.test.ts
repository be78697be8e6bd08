/**
 * The real-world classes that came out wrong or were refused, each made by an
 * independent tool (test/fixtures/classes/make.sh: cjpeg, img2dcm, dcmcjpeg,
 * opj_compress, gdcmimg, dcmcrle) with reference pixels from GDCM or DCMTK:
 * - JPEG baseline frames whose stream carries no colour transform (Adobe
 *   transform 0, or component ids 'R' 'G' 'B'), and a stream the label contradicts;
 * - JPEG 2000 codestreams wrapped in a JP2 file inside the fragment;
 * - RLE Lossless with 32 bits allocated, grayscale and colour.
 * 1-bit and float pixel data are in native-classes.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { codecFor } from '../../src/codecs/index.js';
import { loadConfig } from '../../src/config/load.js';
import { readDicom } from '../../src/dicom/reader.js';
import { createPipeline, type ErrorRecord } from '../../src/pipeline/index.js';
import { toRgb } from '../../src/preprocess/color.js';
import type { DecodedFrame } from '../../src/preprocess/types.js';
import { classFixture, classFixtures, classReference } from '../helpers/classes.js';

/** Interleaved RGB (or gray) numbers of a decoded frame, without going through float32 for 32-bit values. */
function values(f: DecodedFrame, bitsStored: number): ArrayLike<number> {
  if (f.samplesPerPixel === 1) return f.pixels;
  if (f.photometricInterpretation === 'RGB' && f.planarConfiguration === 0) return f.pixels;
  return toRgb(f, bitsStored).data;
}

/**
 * Bound on |ours - reference| per class. JPEG baseline: the reference is GDCM's IJG decoder,
 * ours libjpeg-turbo; the IDCTs may round differently by 1 (measured: 0 on these files).
 */
const BOUND: Record<string, number> = { 'jpeg-rgb': 1, 'jpeg2000-jp2': 0, rle32: 0 };

t.test('each class decodes to its independent reference (exactly for lossless, within the bound for lossy)', async (t) => {
  const names = classFixtures().filter((n) => classFixture(n).class in BOUND);
  t.ok(names.length >= 9, `${names.length} fixtures`);
  for (const name of names) {
    const s = classFixture(name);
    const ref = classReference(name);
    const r = readDicom([s.bytes]);
    const d = await r.header();
    const codec = codecFor(d.transferSyntax)!;
    let at = 0;
    let max = 0;
    let frames = 0;
    for await (const f of r.frames()) {
      const out = await codec.decode(f.bytes, d);
      const v = values(out, d.bitsStored);
      for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]! - ref[at + i]!));
      at += v.length;
      frames++;
    }
    t.equal(frames, s.frames, `${name}: ${frames} frame(s)`);
    t.equal(at, ref.length, `${name}: as many samples as the reference`);
    t.ok(max <= BOUND[s.class]!, `${name}: max |ours - ${s.referenceDecoder.decoder}| = ${max} <= ${BOUND[s.class]}`);
  }
});

t.test('JPEG colour follows the stream: RGB streams are not converted from YCbCr, whatever the label', async (t) => {
  for (const name of ['jpeg_rgb_adobe0', 'jpeg_rgb_ids_nomarker', 'jpeg_rgb_stream_labelled_ybr']) {
    const s = classFixture(name);
    const r = readDicom([s.bytes]);
    const d = await r.header();
    for await (const f of r.frames()) {
      const out = await codecFor(d.transferSyntax)!.decode(f.bytes, d);
      t.equal(out.photometricInterpretation, 'RGB', `${name}: decoded samples are RGB`);
      const disagree = d.photometricInterpretation !== 'RGB';
      t.equal(out.warnings?.some((w) => w.code === 'DF_WARN_COLOR_MODEL') ?? false, disagree, `${name}: a colour-model warning only when the label (${d.photometricInterpretation}) contradicts the stream`);
    }
  }
});

t.test('through the pipeline, a stream/label disagreement is one warning record per file, and the frames are delivered', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-colour-'));
  const mf = classFixture('jpeg_rgb_adobe0_mf3');
  writeFileSync(join(dir, 'labelled_ybr.dcm'), classFixture('jpeg_rgb_stream_labelled_ybr').bytes);
  writeFileSync(join(dir, 'labelled_ybr_copy.dcm'), classFixture('jpeg_rgb_stream_labelled_ybr').bytes);
  writeFileSync(join(dir, 'rgb_mf3.dcm'), mf.bytes);
  const { config } = loadConfig(null, { 'sources.paths': [join(dir, '*.dcm')], 'preprocess.target': '16x16', 'preprocess.voi': 'minmax', 'preprocess.channels': 3 });
  const warnings: ErrorRecord[] = [];
  const errors: ErrorRecord[] = [];
  const pipeline = createPipeline(config, { onWarning: (r) => warnings.push(r), onError: (r) => errors.push(r) });
  let frames = 0;
  for await (const _ of pipeline.samples()) frames++;
  await pipeline.close();
  t.equal(frames, 5, 'every frame delivered');
  t.same(errors, []);
  t.equal(warnings.length, 2, 'one warning per disagreeing file');
  for (const w of warnings) t.match(w, { code: 'DF_WARN_COLOR_MODEL', severity: 'warning', stage: 'decode', frame: 0, file: /labelled_ybr/ });
  t.match(warnings[0]!.message, /stream holds RGB \(Adobe marker, transform 0\) but PhotometricInterpretation is YBR_FULL_422/);
});
