/**
 * dicomflow's own CharLS build (wasm/own/charls-own.*) against the cornerstone
 * build: the same samples and planar layout on every JPEG-LS fixture and on
 * JPEG-LS files DCMTK's dcmcjpls writes here in every interleave mode,
 * lossless and near-lossless, at 8, 12 and 16 bits, grey and colour (the
 * lossless ones also equal to their source); CharLS's own error for a
 * damaged stream, with the next frame decoding as before; and the choice of
 * build follows DICOMFLOW_CHARLS (the cornerstone build by default).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { charls, charlsBuild, charlsCornerstone, charlsOwn } from '../../src/codecs/charls.js';
import { codecFor } from '../../src/codecs/index.js';
import type { DecodedFrame } from '../../src/preprocess/types.js';
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

t.test('the cornerstone build is the default; DICOMFLOW_CHARLS=own chooses the own one, and a bad value is an error', async (t) => {
  restoreEnvAfter(t, 'DICOMFLOW_CHARLS');
  delete process.env.DICOMFLOW_CHARLS;
  await charls.init();
  t.same(charlsBuild(), { build: 'cornerstone', fallback: null });
  process.env.DICOMFLOW_CHARLS = 'own';
  t.same(charlsBuild(), { build: 'own', fallback: null });
  const name = fixtureNames().find((n) => JLS.has(sidecar(n).transferSyntax))!;
  const { d, frames } = await encodedFrames(fixtureBytes(name));
  t.ok(same(await charls.decode(frames[0]!, d), await charlsCornerstone.decode(frames[0]!, d)), 'with the own build chosen, the selecting codec decodes');
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
