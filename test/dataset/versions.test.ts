/**
 * What a dataset and the sample cache record of the codecs: the cornerstone
 * packages' versions, the SHA-256 of dicomflow's own builds as shipped, and
 * the build each DICOMFLOW_* variable asks for (so that switching builds,
 * or a rebuilt own binary, is another key, not a cache hit from another decoder).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { codecVersions } from '../../src/dataset/versions.js';
import { restoreEnvAfter } from '../helpers/env.js';

const sums = Object.fromEntries(
  readFileSync(new URL('../../wasm/own/SHA256SUMS', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/).reverse()),
);

t.test('the own builds are recorded by the SHA-256 of the files shipped, the cornerstone packages by version', async (t) => {
  const v = codecVersions();
  t.match(v['@cornerstonejs/codec-openjpeg'], /^\d+\.\d+\.\d+/);
  const own = Object.keys(v).filter((k) => k.startsWith('wasm/own/'));
  t.same(own.map((k) => k.slice('wasm/own/'.length)).sort(), Object.keys(sums).sort(), 'every file of wasm/own/SHA256SUMS, and no other');
  for (const k of own) {
    const file = k.slice('wasm/own/'.length);
    const actual = createHash('sha256').update(readFileSync(new URL(`../../wasm/own/${file}`, import.meta.url))).digest('hex');
    t.equal(v[k], `sha256:${actual}`, `${file}: the hash of the file itself`);
    t.equal(actual, sums[file], `${file}: as SHA256SUMS says`);
  }
});

t.test('the build choice is part of the record, read at each call', async (t) => {
  for (const name of ['DICOMFLOW_OPENJPEG', 'DICOMFLOW_CHARLS', 'DICOMFLOW_LIBJPEG_TURBO']) {
    restoreEnvAfter(t, name);
    delete process.env[name];
  }
  const auto = codecVersions();
  t.same([auto.DICOMFLOW_OPENJPEG, auto.DICOMFLOW_CHARLS, auto.DICOMFLOW_LIBJPEG_TURBO], ['auto', 'auto', 'auto']);
  process.env.DICOMFLOW_OPENJPEG = 'cornerstone';
  const v = codecVersions();
  t.equal(v.DICOMFLOW_OPENJPEG, 'cornerstone');
  t.not(JSON.stringify(v), JSON.stringify(auto), 'another build, another key');
  process.env.DICOMFLOW_CHARLS = 'own';
  t.equal(codecVersions().DICOMFLOW_CHARLS, 'own');
});
