/**
 * dicomflow's own CharLS build (wasm/own/charls-own.*) against the cornerstone
 * build: the same samples and planar layout on every JPEG-LS fixture and on
 * JPEG-LS files DCMTK's dcmcjpls writes here in every interleave mode,
 * lossless and near-lossless, at 8, 12 and 16 bits, grey and colour (the
 * lossless ones also equal to their source); CharLS's own error for a
 * damaged stream, with the next frame decoding as before; and the choice of
 * build follows DICOMFLOW_CHARLS (the own build by default). The 16-bit test
 * covers what wasm/own/charls-decoder.patch changes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { charls, charlsBuild, charlsCornerstone, charlsOwn } from '../../src/codecs/charls.js';
import { codecFor } from '../../src/codecs/index.js';
import type { DecodedFrame } from '../../src/preprocess/types.js';
import { TransferSyntax } from '../../src/dicom/transfer-syntax.js';
import { writePart10 } from '../../src/synth/part10.js';
import { restoreEnvAfter } from '../helpers/env.js';
import { encodedFrames } from '../helpers/decode.js';
import { fixtureBytes, fixtureNames, sidecar } from '../helpers/fixtures.js';

const JLS = new Set(['1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81']);

function same(a: DecodedFrame, b: DecodedFrame): boolean {
  return (
    a.width === b.width &&
    a.height === b.height &&
    a.planarConfiguration === b.planarConfiguration &&
    a.photometricInterpretation === b.photometricInterpretation &&
    a.pixels.length === b.pixels.length &&
    a.pixels.every((v, k) => v === b.pixels[k])
  );
}

t.test('both builds decode every JPEG-LS fixture to the same samples', async (t) => {
  const names = fixtureNames().filter((n) => JLS.has(sidecar(n).transferSyntax));
  t.ok(names.length >= 5, `${names.length} JPEG-LS fixtures`);
  for (const name of names) {
    const { d, frames } = await encodedFrames(fixtureBytes(name));
    for (const [i, f] of frames.entries()) {
      const a = await charlsOwn.decode(f, d);
      const b = await charlsCornerstone.decode(f, d);
      t.ok(same(a, b), `${name} f${i}: ${a.width}x${a.height}x${a.samplesPerPixel}, same samples`);
    }
  }
});

t.test('DCMTK-written JPEG-LS in every interleave mode, lossless and near-lossless: the same samples, and lossless equals the source', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-charls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sources = ['ct_s16_explicit_le', 'ct_u12_implicit_le', 'sc_u8_odd_explicit_le', 'rgb_u8_explicit_le', 'rgb_u8_pc1_explicit_le', 'us_u8_mf4_explicit_le'];
  let compared = 0;
  for (const src of sources) {
    const input = join(dir, `${src}.dcm`);
    execFileSync('cp', [fixturePath(src), input]);
    const original = await encodedFrames(readFileSync(input));
    const colour = original.d.samplesPerPixel === 3;
    const modes = colour ? ['+in', '+il', '+is'] : ['+il'];
    for (const mode of modes) {
      // dcmcjpls refuses near-lossless for signed pixels ("Unsupported pixel representation").
      const kinds = original.d.pixelRepresentation === 1 ? (['lossless'] as const) : (['lossless', 'near 2'] as const);
      for (const kind of kinds) {
        const flags = kind === 'lossless' ? ['+el'] : ['+en'];
        const out = join(dir, `${src}${mode}${kind.replace(' ', '')}.dcm`);
        execFileSync('dcmcjpls', [...flags, mode, input, out], { stdio: 'pipe' });
        const { d, frames } = await encodedFrames(readFileSync(out));
        t.ok(JLS.has(d.transferSyntax), `${src} ${mode} ${kind}: written as JPEG-LS`);
        for (const [i, f] of frames.entries()) {
          const a = await charlsOwn.decode(f, d);
          const b = await charlsCornerstone.decode(f, d);
          t.ok(same(a, b), `${src} ${mode} ${kind} f${i}: same samples and layout (planar ${a.planarConfiguration})`);
          if (kind === 'lossless') {
            const ref = await codecFor(original.d.transferSyntax)!.decode(original.frames[i]!, original.d);
            const interleave = (x: DecodedFrame) => (x.samplesPerPixel === 3 && x.planarConfiguration === 1 ? toPixelOrder(x) : Array.from(x.pixels));
            t.same(interleave(a), interleave(ref), `${src} ${mode} lossless f${i}: equal to the source`);
          }
          compared++;
        }
      }
    }
  }
  t.ok(compared >= 20, `${compared} frames compared`);
});

t.test('16-bit images of four kinds of statistics, written by dcmcjpls and gdcmconv: the same samples as the cornerstone build and the source', async (t) => {
  // wasm/own/charls-decoder.patch changes how the Golomb parameter k and the unary prefix of each code are
  // counted, and skips the short-code table for k >= 8. Uniform noise drives k to its top (14-15);
  // a smooth ramp keeps k near 0 and runs long; spikes on a flat field make codes past 16 leading
  // zeros (the escape path) right after runs; signed noise crosses zero.
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-charls16-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const w = 97;
  const h = 61;
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / 2 ** 24;
  const images: Array<{ name: string; signed: boolean; value: (i: number) => number }> = [
    { name: 'uniform', signed: false, value: () => Math.floor(rand() * 65536) },
    { name: 'ramp', signed: false, value: (i) => ((i % w) * 300 + Math.floor(i / w) * 7 + (rand() < 0.1 ? 1 : 0)) & 0xffff },
    { name: 'spikes', signed: false, value: () => (rand() < 0.02 ? 60000 + Math.floor(rand() * 5000) : 1000) },
    { name: 'signed', signed: true, value: () => Math.floor(rand() * 65536) - 32768 },
  ];
  let compared = 0;
  for (const img of images) {
    const samples = img.signed ? new Int16Array(w * h) : new Uint16Array(w * h);
    for (let i = 0; i < samples.length; i++) samples[i] = img.value(i);
    const spec = { transferSyntax: TransferSyntax.ExplicitVRLittleEndian, rows: h, columns: w, frames: 1, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: img.signed ? 1 : 0, photometric: 'MONOCHROME2', ids: { patientId: 'JLS16', studyInstanceUid: '2.25.11', seriesInstanceUid: '2.25.12', sopInstanceUid: `2.25.13${compared}` } } as const;
    const input = join(dir, `${img.name}.dcm`);
    writeFileSync(input, writePart10(spec, [new Uint8Array(samples.buffer)]));
    const encoders: Array<[string, string[]]> = [
      ['dcmcjpls', ['dcmcjpls', '+el', input, join(dir, `${img.name}-dcmtk.dcm`)]],
      ['gdcmconv', ['gdcmconv', '--jpegls', input, join(dir, `${img.name}-gdcm.dcm`)]],
    ];
    for (const [tool, [cmd, ...args]] of encoders) {
      execFileSync(cmd!, args, { stdio: 'pipe' });
      const { d, frames } = await encodedFrames(readFileSync(args[args.length - 1]!));
      t.ok(JLS.has(d.transferSyntax), `${img.name} by ${tool}: written as JPEG-LS`);
      const a = await charlsOwn.decode(frames[0]!, d);
      const b = await charlsCornerstone.decode(frames[0]!, d);
      t.ok(same(a, b), `${img.name} by ${tool}: the same samples as the cornerstone build`);
      const stored = img.signed ? new Int16Array(a.pixels.buffer, a.pixels.byteOffset, a.pixels.length) : a.pixels;
      t.ok(stored.length === samples.length && stored.every((v, k) => v === samples[k]), `${img.name} by ${tool}: equal to the source`);
      compared++;
    }
  }
  t.equal(compared, 8);
});

t.test('a damaged stream fails with CharLS own error, and the next frame decodes as before', async (t) => {
  const name = fixtureNames().find((n) => sidecar(n).transferSyntax === '1.2.840.10008.1.2.4.80' && sidecar(n).samplesPerPixel === 1)!;
  const { d, frames } = await encodedFrames(fixtureBytes(name));
  const good = frames[0]!;
  const before = await charlsOwn.decode(good, d);
  // The scan overwritten with marker bytes, the end-of-image marker kept: a structure CharLS reads and then refuses.
  const bad = good.slice();
  const sos = findMarker(bad, 0xda);
  bad.fill(0xff, sos + 20, Math.min(bad.length - 2, sos + 400));
  await t.rejects(charlsOwn.decode(bad, d), { code: 'DF_ERR_DECODE', message: /CharLS failed decoding: \w+/ });
  t.ok(same(await charlsOwn.decode(good, d), before), 'the next frame: the same samples as before');
  // A header CharLS refuses: the frame header's sample precision set to 1.
  const badHeader = good.slice();
  badHeader[findMarker(badHeader, 0xf7) + 4] = 1;
  await t.rejects(charlsOwn.decode(badHeader, d), { code: 'DF_ERR_DECODE' });
});

t.test('the own build is the default; DICOMFLOW_CHARLS=cornerstone chooses the cornerstone one, and a bad value is an error', async (t) => {
  restoreEnvAfter(t, 'DICOMFLOW_CHARLS');
  delete process.env.DICOMFLOW_CHARLS;
  const name = fixtureNames().find((n) => JLS.has(sidecar(n).transferSyntax))!;
  const { d, frames } = await encodedFrames(fixtureBytes(name));
  const decoded = await charls.decode(frames[0]!, d);
  t.same(charlsBuild(), { build: 'own', fallback: null });
  t.equal(decoded.warnings, undefined, 'no fallback warning');
  process.env.DICOMFLOW_CHARLS = 'cornerstone';
  t.same(charlsBuild(), { build: 'cornerstone', fallback: null });
  t.ok(same(await charls.decode(frames[0]!, d), decoded), 'with the cornerstone build chosen, the selecting codec decodes the same samples');
  process.env.DICOMFLOW_CHARLS = 'fast';
  t.throws(() => charlsBuild(), /DICOMFLOW_CHARLS is "fast": expected own, cornerstone or auto/);
  await t.rejects(charls.decode(frames[0]!, d), { code: 'DF_ERR_CONFIG' });
});

function fixturePath(name: string): string {
  return new URL(`../fixtures/${name}.dcm`, import.meta.url).pathname;
}

function findMarker(b: Uint8Array, code: number): number {
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0xff && b[i + 1] === code) return i;
  throw new Error(`marker FF${code.toString(16)} not found`);
}

function toPixelOrder(f: DecodedFrame): number[] {
  const n = f.width * f.height;
  const out: number[] = new Array(n * 3);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = f.pixels[c * n + p]!;
  return out;
}
