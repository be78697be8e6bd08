/**
 * dicomflow's own libjpeg-turbo build (wasm/own/libjpeg-turbo-own.*) against
 * the cornerstone build: the same samples, photometric interpretation and
 * warnings on every 8-bit JPEG fixture, and on files DCMTK's dcmcjpeg and
 * libjpeg-turbo's cjpeg (wrapped by DCMTK's img2dcm) write here: baseline,
 * extended 8-bit, spectral selection and full progression, grey and colour,
 * 4:4:4, 4:2:2, 4:2:0 and 4:1:1, YCbCr and RGB streams, restart markers, odd
 * sizes; the same outcome (the same error code, the same partial flag) on
 * cut-short and damaged streams, under either decode.partial; the binaries
 * are the ones the build script made; and the choice of build follows
 * DICOMFLOW_LIBJPEG_TURBO (the own build by default).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { assertCodecsInstalled } from '../../src/codecs/index.js';
import { readJpegHeader, SOF } from '../../src/codecs/jpeg-header.js';
import { libjpegTurbo, libjpegTurboBuild, libjpegTurboCornerstone, libjpegTurboOwn } from '../../src/codecs/libjpeg-turbo.js';
import type { Codec, DecodeOptions } from '../../src/codecs/types.js';
import type { PixelDescription } from '../../src/dicom/description.js';
import { radiograph } from '../../src/synth/phantom.js';
import type { DecodedFrame } from '../../src/preprocess/types.js';
import { classFixture, classFixtures } from '../helpers/classes.js';
import { decodeFixture, encodedFrames, interleaved } from '../helpers/decode.js';
import { restoreEnvAfter } from '../helpers/env.js';
import { FIXTURES, fixtureBytes, fixtureNames, sidecar } from '../helpers/fixtures.js';

const BASELINE = '1.2.840.10008.1.2.4.50';
const EXTENDED = '1.2.840.10008.1.2.4.51';

/** What a decode gave, in a form t.same compares: the samples by hash, and every field beside them. */
function summary(f: DecodedFrame) {
  return {
    width: f.width,
    height: f.height,
    samplesPerPixel: f.samplesPerPixel,
    planarConfiguration: f.planarConfiguration,
    photometricInterpretation: f.photometricInterpretation,
    type: f.pixels.constructor.name,
    pixels: createHash('sha256').update(new Uint8Array(f.pixels.buffer, f.pixels.byteOffset, f.pixels.byteLength)).digest('hex'),
    warnings: (f.warnings ?? []).map((w) => [w.code, w.message]),
  };
}

/** A decode's outcome: the frame as above, or the error's code and whether it is a partial-decode error. */
async function outcome(codec: Codec, bytes: Uint8Array, d: PixelDescription, options: DecodeOptions = {}) {
  try {
    return { ok: summary(await codec.decode(bytes.slice(), d, options)) };
  } catch (err) {
    const e = err as { code?: string; message: string; details?: { partial?: boolean } };
    return { error: e.code ?? 'untyped', partial: e.details?.partial === true, message: e.message };
  }
}

async function sameOnBoth(t: Test, label: string, bytes: Uint8Array, d: PixelDescription): Promise<void> {
  const own = summary(await libjpegTurboOwn.decode(bytes.slice(), d));
  const cornerstone = summary(await libjpegTurboCornerstone.decode(bytes.slice(), d));
  t.same(own, cornerstone, `${label}: ${own.width}x${own.height}x${own.samplesPerPixel} ${own.photometricInterpretation}, same samples${own.warnings.length ? ` and warnings (${own.warnings.map((w) => w[0]).join(', ')})` : ''}`);
}

t.test('both builds decode every 8-bit JPEG fixture to the same samples, photometric and warnings', async (t) => {
  const inputs: [string, Uint8Array][] = [
    ...fixtureNames()
      .filter((n) => (sidecar(n).transferSyntax === BASELINE || sidecar(n).transferSyntax === EXTENDED) && sidecar(n).bitsStored <= 8)
      .map((n): [string, Uint8Array] => [n, fixtureBytes(n)]),
    ...classFixtures().filter((n) => classFixture(n).class === 'jpeg-rgb').map((n): [string, Uint8Array] => [n, classFixture(n).bytes]),
  ];
  t.ok(inputs.length >= 10, `${inputs.length} files`);
  let frames = 0;
  let warned = 0;
  for (const [name, bytes] of inputs) {
    const e = await encodedFrames(bytes);
    for (const [i, f] of e.frames.entries()) {
      await sameOnBoth(t, `${name} f${i}`, f, e.d);
      if ((await libjpegTurboOwn.decode(f.slice(), e.d)).warnings) warned++;
      frames++;
    }
  }
  t.ok(frames >= 15, `${frames} frames compared`);
  t.ok(warned >= 1, `${warned} frame(s) with a warning (a stream its label contradicts), compared too`);
});

/** dcmcjpeg writes the progressive processes as retired syntaxes (4.53, 4.55) that dicomflow does not read; in the field such frames come labelled 4.50. */
function relabelAsBaseline(file: string): void {
  const b = readFileSync(file);
  for (const retired of ['1.2.840.10008.1.2.4.53', '1.2.840.10008.1.2.4.55']) {
    const at = b.indexOf(retired);
    if (at >= 0 && at < 512) b.write(BASELINE, at, 'latin1'); // same length: no element length changes
  }
  writeFileSync(file, b);
}

t.test('files written by DCMTK and cjpeg in every 8-bit process and sampling: the same samples on both builds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-ljt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const made: { label: string; file: string; sof: number; sampling?: string }[] = [];
  const PROCESSES = [
    ['+eb', SOF.baseline],
    ['+ee', SOF.extended],
    ['+es', SOF.progressive],
    ['+ep', SOF.progressive],
  ] as const;
  const dcmcjpeg = (src: string, flags: string[], sof: number, sampling?: string) => {
    const file = join(dir, `${src}${flags.join('')}.dcm`);
    execFileSync('dcmcjpeg', [...flags, '+q', '85', join(FIXTURES, `${src}.dcm`), file], { stdio: 'pipe' });
    relabelAsBaseline(file);
    made.push({ label: `${src} dcmcjpeg ${flags.join(' ')}`, file, sof, sampling });
  };
  for (const src of ['sc_u8_odd_explicit_le', 'us_u8_mf4_explicit_le']) for (const [p, sof] of PROCESSES) dcmcjpeg(src, [p], sof);
  // +s2 4:2:2 (dcmcjpeg's default), +s4 4:4:4, +n1 DCMTK's "4:1:1" (2x2: what is now called 4:2:0), +cr an RGB stream (no colour transform).
  const SAMPLING = [
    ['+s2', '2x1,1x1,1x1'],
    ['+s4', '1x1,1x1,1x1'],
    ['+n1', '2x2,1x1,1x1'],
    ['+cr', '1x1,1x1,1x1'],
  ] as const;
  for (const [p, sof] of PROCESSES) for (const [s, sampling] of SAMPLING) dcmcjpeg('rgb_u8_explicit_le', [p, s], sof, sampling);
  for (const src of ['rgb_u8_pc1_explicit_le', 'ybr_full_u8_explicit_le']) {
    dcmcjpeg(src, ['+eb', '+s2'], SOF.baseline, '2x1,1x1,1x1');
    dcmcjpeg(src, ['+ep', '+s4'], SOF.progressive, '1x1,1x1,1x1');
  }
  // cjpeg for what dcmcjpeg does not write: 4:1:1, 4:4:0, restart markers; on an odd-sized radiograph and the RGB fixture.
  const grey = Uint8Array.from(radiograph({ width: 257, height: 191, bits: 8, seed: 5 }));
  writeFileSync(join(dir, 'grey.pgm'), Buffer.concat([Buffer.from('P5\n257 191\n255\n'), grey]));
  const rgb = await decodeFixture('rgb_u8_explicit_le');
  writeFileSync(join(dir, 'rgb.ppm'), Buffer.concat([Buffer.from(`P6\n${rgb.d.columns} ${rgb.d.rows}\n255\n`), Uint8Array.from(interleaved(rgb.frames[0]!))]));
  const CJPEG: [string, string[], number, string?][] = [
    ['rgb.ppm', ['-sample', '2x2'], SOF.baseline, '2x2,1x1,1x1'],
    ['rgb.ppm', ['-sample', '2x2', '-progressive'], SOF.progressive, '2x2,1x1,1x1'],
    ['rgb.ppm', ['-sample', '2x2', '-restart', '1'], SOF.baseline, '2x2,1x1,1x1'],
    ['rgb.ppm', ['-sample', '4x1'], SOF.baseline, '4x1,1x1,1x1'],
    ['rgb.ppm', ['-sample', '1x2', '-progressive'], SOF.progressive, '1x2,1x1,1x1'],
    ['grey.pgm', ['-restart', '1'], SOF.baseline],
    ['grey.pgm', ['-progressive', '-optimize'], SOF.progressive],
  ];
  for (const [i, [src, flags, sof, sampling]] of CJPEG.entries()) {
    const jpg = join(dir, `cjpeg${i}.jpg`);
    const file = join(dir, `cjpeg${i}.dcm`);
    execFileSync('cjpeg', ['-quality', '85', ...flags, '-outfile', jpg, join(dir, src)], { stdio: 'pipe' });
    execFileSync('img2dcm', ['-k', 'PatientID=DICOMFLOW-LJT', jpg, file], { stdio: 'pipe' });
    relabelAsBaseline(file);
    made.push({ label: `${src} cjpeg ${flags.join(' ')}`, file, sof, sampling });
  }
  let compared = 0;
  for (const m of made) {
    const { d, frames } = await encodedFrames(readFileSync(m.file));
    const h = readJpegHeader(frames[0]!);
    t.equal(h.sof, m.sof, `${m.label}: written with SOF 0x${m.sof.toString(16)}`);
    if (m.sampling) t.equal(h.components.map((c) => `${c.h}x${c.v}`).join(','), m.sampling, `${m.label}: sampling ${m.sampling}`);
    for (const [i, f] of frames.entries()) {
      await sameOnBoth(t, `${m.label} f${i}`, f, d);
      compared++;
    }
  }
  t.ok(compared >= 40, `${compared} frames compared`);
});

/** Ways a frame gets damaged in storage or transfer, the DICOM structure around it intact. */
function damaged(good: Uint8Array): [string, Uint8Array][] {
  const at = (code: number) => {
    for (let i = 0; i + 1 < good.length; i++) if (good[i] === 0xff && good[i + 1] === code) return i;
    throw new Error(`marker FF${code.toString(16)} not found`);
  };
  const sos = at(0xda);
  const scanStart = sos + 2 + ((good[sos + 2]! << 8) | good[sos + 3]!);
  const edit = (f: (b: Uint8Array) => void) => {
    const b = good.slice();
    f(b);
    return b;
  };
  const cut = good.slice(0, Math.floor(good.length * 0.4) & ~1);
  return [
    ['cut to 40%', cut],
    ['cut to 40%, EOI appended', Uint8Array.from([...cut, 0xff, 0xd9])],
    ['cut inside the header', good.slice(0, sos + 4)],
    ['scan bytes zeroed', edit((b) => b.fill(0, scanStart + 10, Math.min(b.length - 2, scanStart + 60)))],
    ['RST marker inside the scan', edit((b) => b.set([0xff, 0xd3], scanStart + 20))],
    ['0xFF run inside the scan', edit((b) => b.fill(0xff, scanStart + 10, Math.min(b.length - 2, scanStart + 200)))],
    ['Huffman table count corrupted', edit((b) => (b[at(0xc4) + 5] = 0xff))],
    ['garbage before EOI', Uint8Array.from([...good.slice(0, good.length - 2), 0x12, 0x34, 0x56, 0xff, 0xd9])],
  ];
}

t.test('damaged and cut-short streams: the same outcome on both builds, under either decode.partial', async (t) => {
  const names = ['us_u8_mf4_jpeg_baseline', 'rgb_u8_jpeg_baseline_ybr422', 'sc_u8_odd_jpeg_baseline'];
  let failed = 0;
  for (const name of names) {
    const { d, frames } = await encodedFrames(fixtureBytes(name));
    const good = frames[0]!;
    const before = summary(await libjpegTurboOwn.decode(good.slice(), d));
    for (const [how, bytes] of damaged(good)) {
      for (const partial of ['error', 'allow'] as const) {
        const own = await outcome(libjpegTurboOwn, bytes, d, { partial });
        const cornerstone = await outcome(libjpegTurboCornerstone, bytes, d, { partial });
        // The messages differ (the cornerstone build says only "C++ exception <pointer>"); what a caller acts on must not.
        const cls = (o: typeof own) => ('ok' in o ? o : { error: o.error, partial: o.partial });
        t.same(cls(own), cls(cornerstone), `${name}, ${how}, partial ${partial}: ${'ok' in own ? 'decoded, same samples' : `${own.error}${own.partial ? ' (partial)' : ''} on both`}`);
        if ('error' in own) failed++;
      }
    }
    t.same(summary(await libjpegTurboOwn.decode(good.slice(), d)), before, `${name}: the good frame after them decodes as before`);
  }
  t.ok(failed >= 30, `${failed} of ${names.length * 16} damaged decodes failed`);
});

t.test("the own build's errors say what libjpeg said", async (t) => {
  const { d, frames } = await encodedFrames(fixtureBytes('us_u8_mf4_jpeg_baseline'));
  const cases = Object.fromEntries(damaged(frames[0]!));
  // A cut-short stream under decode.partial allow gets past the EOI check: libjpeg's JWRN_JPEG_EOF fails it.
  await t.rejects(libjpegTurboOwn.decode(cases['cut to 40%']!, d, { partial: 'allow' }), { code: 'DF_ERR_DECODE', message: /libjpeg warning.*: Premature end of JPEG file; the frame is not whole/ });
  await t.rejects(libjpegTurboOwn.decode(cases['cut to 40%']!, d), { code: 'DF_ERR_DECODE', details: { partial: true } });
  await t.rejects(libjpegTurboOwn.decode(cases['cut to 40%, EOI appended']!, d), { message: /Corrupt JPEG data: premature end of data segment/ });
  await t.rejects(libjpegTurboOwn.decode(cases['Huffman table count corrupted']!, d), { code: 'DF_ERR_DECODE', message: /libjpeg error: Bogus Huffman table definition/ });
  await t.rejects(libjpegTurboOwn.decode(cases['garbage before EOI']!, d), { message: /Corrupt JPEG data: \d+ extraneous bytes before marker 0xd9/ });
});

t.test('the committed binaries are those wasm/own/SHA256SUMS lists', async (t) => {
  const dir = fileURLToPath(new URL('../../wasm/own/', import.meta.url));
  const sums = new Map(
    readFileSync(`${dir}SHA256SUMS`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/).reverse() as [string, string]),
  );
  for (const file of ['libjpeg-turbo-own.cjs', 'libjpeg-turbo-own.wasm']) {
    t.ok(sums.has(file), `${file} is listed`);
    t.equal(createHash('sha256').update(readFileSync(`${dir}${file}`)).digest('hex'), sums.get(file), file);
  }
});

t.test('the own build is the default; DICOMFLOW_LIBJPEG_TURBO=cornerstone or own chooses one, and a bad value is an error up front', async (t) => {
  restoreEnvAfter(t, 'DICOMFLOW_LIBJPEG_TURBO');
  delete process.env.DICOMFLOW_LIBJPEG_TURBO;
  await libjpegTurbo.init();
  t.same(libjpegTurboBuild(), { build: 'own', fallback: null });
  const { d, frames } = await encodedFrames(fixtureBytes('rgb_u8_jpeg_baseline_ybr422'));
  // Told apart by their messages on a damaged stream: only the own build names libjpeg's warning.
  const cut = frames[0]!.slice(0, frames[0]!.length >> 1);
  await t.rejects(libjpegTurbo.decode(cut, d, { partial: 'allow' }), { message: /Premature end of JPEG file/ }, 'by default, the own build decodes');
  process.env.DICOMFLOW_LIBJPEG_TURBO = 'own';
  t.same(libjpegTurboBuild(), { build: 'own', fallback: null });
  await t.rejects(libjpegTurbo.decode(cut, d, { partial: 'allow' }), { message: /Premature end of JPEG file/ }, 'with own chosen, the own build decodes');
  process.env.DICOMFLOW_LIBJPEG_TURBO = 'cornerstone';
  await t.rejects(libjpegTurbo.decode(cut, d, { partial: 'allow' }), { message: /C\+\+ exception/ }, 'with cornerstone chosen, the cornerstone build decodes');
  process.env.DICOMFLOW_LIBJPEG_TURBO = 'fast';
  t.throws(() => libjpegTurboBuild(), { code: 'DF_ERR_CONFIG', message: /DICOMFLOW_LIBJPEG_TURBO is "fast": expected own, cornerstone or auto/ });
  t.throws(() => assertCodecsInstalled(), { code: 'DF_ERR_CONFIG' }, 'said once, before any frame is read');
  await t.rejects(libjpegTurbo.decode(frames[0]!, d), { code: 'DF_ERR_CONFIG' });
});
