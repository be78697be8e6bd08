/**
 * dicomflow's own OpenJPEG build (wasm/own/) against the cornerstone build:
 * the same pixels on every JPEG 2000 fixture (made by GDCM and DCMTK, and the
 * JP2-wrapped classes made by opj_compress), at full resolution and at every
 * sub-resolution level; the binaries are the ones the build script made; and
 * the choice of build follows DICOMFLOW_OPENJPEG.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { openjpegBuild, openjpegCornerstone, openjpegOwn, openjpeg } from '../../src/codecs/openjpeg.js';
import { readJ2kHeader, sizeAtLevel, unwrapJp2 } from '../../src/codecs/j2k-header.js';
import { classFixture, classFixtures } from '../helpers/classes.js';
import { restoreEnvAfter } from '../helpers/env.js';
import { encodedFrames } from '../helpers/decode.js';
import { fixtureBytes, fixtureNames, sidecar } from '../helpers/fixtures.js';

const J2K = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']);

t.test('both builds decode every J2K fixture to the same pixels, whole and at every level', async (t) => {
  const inputs: [string, Uint8Array][] = [
    ...fixtureNames().filter((n) => J2K.has(sidecar(n).transferSyntax)).map((n): [string, Uint8Array] => [n, fixtureBytes(n)]),
    ...classFixtures().filter((n) => classFixture(n).class === 'jpeg2000-jp2').map((n): [string, Uint8Array] => [n, classFixture(n).bytes]),
  ];
  t.ok(inputs.length >= 6, `${inputs.length} J2K files`);
  let compared = 0;
  for (const [name, bytes] of inputs) {
    const { d, frames } = await encodedFrames(bytes);
    for (const [i, f] of frames.entries()) {
      const h = readJ2kHeader(unwrapJp2(f).codestream);
      for (let level = 0; level <= Math.min(h.decompositions, 3); level++) {
        const s = sizeAtLevel(h, level);
        const atLeast = level === 0 ? null : { width: Math.floor(h.width / 2 ** level), height: Math.floor(h.height / 2 ** level) };
        if (atLeast && (atLeast.width < 1 || atLeast.height < 1)) continue;
        const a = await openjpegOwn.decode(f, d, { atLeast });
        const b = await openjpegCornerstone.decode(f, d, { atLeast });
        t.same([a.width, a.height], [b.width, b.height], `${name} f${i} level ${level}: ${s.width}x${s.height}`);
        t.ok(a.pixels.length === b.pixels.length && a.pixels.every((v, k) => v === b.pixels[k]), `${name} f${i} level ${level}: same pixels`);
        compared++;
      }
    }
  }
  t.ok(compared >= 12, `${compared} decodes compared`);
});

t.test('the committed binaries are those wasm/own/SHA256SUMS lists', async (t) => {
  const dir = fileURLToPath(new URL('../../wasm/own/', import.meta.url));
  const lines = readFileSync(`${dir}SHA256SUMS`, 'utf8').trim().split('\n');
  t.equal(lines.length, 6, 'OpenJPEG, CharLS and libjpeg-turbo, glue and binary');
  for (const line of lines) {
    const [sum, file] = line.split(/\s+/);
    t.equal(createHash('sha256').update(readFileSync(`${dir}${file}`)).digest('hex'), sum, `${file}`);
  }
});

t.test('the own build is the default; DICOMFLOW_OPENJPEG chooses, and a bad value is an error', async (t) => {
  restoreEnvAfter(t, 'DICOMFLOW_OPENJPEG');
  delete process.env.DICOMFLOW_OPENJPEG;
  await openjpeg.init();
  t.same(openjpegBuild(), { build: 'own', fallback: null });
  process.env.DICOMFLOW_OPENJPEG = 'cornerstone';
  t.equal(openjpegBuild().build, 'cornerstone');
  process.env.DICOMFLOW_OPENJPEG = 'fast';
  t.throws(() => openjpegBuild(), /DICOMFLOW_OPENJPEG is "fast": expected own, cornerstone or auto/);
});

t.test('a codestream cut short: strict by default, partial with decode.partial allow', async (t) => {
  const name = fixtureNames().find((n) => sidecar(n).transferSyntax === '1.2.840.10008.1.2.4.90')!;
  const { d, frames } = await encodedFrames(fixtureBytes(name));
  const cut = frames[0]!.subarray(0, Math.floor(frames[0]!.length * 0.6));
  await t.rejects(openjpegOwn.decode(cut, d), { code: 'DF_ERR_DECODE' });
  const kept = await openjpegOwn.decode(cut, d, { partial: 'allow' });
  t.equal(kept.width, d.columns);
  t.ok(kept.warnings?.some((w) => w.code === 'DF_WARN_PARTIAL_DECODE'), 'kept, with a partial-decode warning');
});
