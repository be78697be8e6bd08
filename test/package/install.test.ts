/**
 * dicomflow installed as a dependency: the packed tarball in a fresh project,
 * offline, with install scripts off. The README's runnable examples run there
 * as written, and so does `npx dicomflow ingest`.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixtureNames, FIXTURES } from '../helpers/fixtures.js';
import { installConsumer, packTarball, run, runnableReadmeBlocks } from '../helpers/consumer.js';

const pack = packTarball();

t.test('the tarball ships what users run: dist, the package config, the README; no test, fixture or bench file', async (t) => {
  t.ok(pack.files.includes('dist/index.js') && pack.files.includes('dist/index.d.ts') && pack.files.includes('dist/cli/main.js'));
  t.ok(pack.files.includes('pipeline.config.json') && pack.files.includes('README.md') && pack.files.includes('package.json'));
  const stray = pack.files.filter((f) => /^(test|bench|src)\/|fixtures|\.dcm$|\.map$|\.tap\//.test(f));
  t.same(stray, [], 'no tests, fixtures, benches, sources or source maps');
  // dicomflow's own builds (wasm/own/, packed: OpenJPEG about 100 kB, CharLS 75 kB, libjpeg-turbo 52 kB) ship with it; the codec packages' binaries do not.
  t.ok(['wasm/own/openjpeg-simd.wasm', 'wasm/own/openjpeg-simd.cjs', 'wasm/own/SHA256SUMS'].every((f) => pack.files.includes(f)), 'the own OpenJPEG build is in the tarball');
  t.ok(['wasm/own/libjpeg-turbo-own.wasm', 'wasm/own/libjpeg-turbo-own.cjs'].every((f) => pack.files.includes(f)), 'the own libjpeg-turbo build is in the tarball');
  // A budget, not an exact size: the code and README grow; a stray binary or corpus would blow through it.
  t.ok(pack.size < 640_000, `${pack.size} bytes packed`);
  t.comment(`tarball: ${pack.files.length} files, ${pack.size} bytes`);
});

const consumer = installConsumer(pack.tgz);

t.test('npm ci --offline --ignore-scripts installs it; no codec binary was staged', async (t) => {
  t.equal(consumer.status, 0, consumer.output);
  const pkgDir = join(consumer.dir, 'node_modules', 'dicomflow');
  t.ok(existsSync(join(pkgDir, 'dist', 'index.js')));
  t.same(
    readdirSync(join(pkgDir, 'wasm')).filter((f) => f.endsWith('.wasm')),
    [],
    'the package holds no .wasm: the codecs come from their own packages at run time',
  );
});

t.test("the README's runnable examples run as written in the consumer project", async (t) => {
  const blocks = runnableReadmeBlocks();
  t.ok(blocks.length >= 2, `${blocks.length} runnable blocks`);
  const scans = join(consumer.dir, 'scans');
  mkdirSync(scans, { recursive: true });
  for (const name of ['ct_s16_mf3_j2k_lossless', 'us_u8_mf4_jls_lossless_emptybot', 'mr_u16_mf4_rle_bot']) {
    t.ok(fixtureNames().includes(name));
    copyFileSync(join(FIXTURES, `${name}.dcm`), join(scans, `${name}.dcm`));
  }
  for (const [i, code] of blocks.entries()) {
    const file = join(consumer.dir, `readme-${i}.mjs`);
    writeFileSync(file, code);
    const r = run(process.execPath, [file], consumer.dir);
    t.equal(r.status, 0, `block ${i} exits 0: ${r.stderr.slice(0, 2000)}`);
    t.notMatch(r.stderr, /DF_ERR_|Error/, `block ${i}: nothing failed`);
    t.ok(r.stdout.trim().length > 0, `block ${i} printed: ${r.stdout.trim().split('\n').slice(-2).join(' | ')}`);
  }
});

t.test('npx dicomflow ingest runs in the consumer project on a fixture', async (t) => {
  const cfg = join(consumer.dir, 'ingest.json');
  writeFileSync(cfg, JSON.stringify({ sources: { paths: [join(FIXTURES, 'ct_s16_mf3_j2k_lossless.dcm'), join(FIXTURES, 'rgb_u8_jpeg_baseline_ybr422.dcm')] }, preprocess: { target: '32x32' } }));
  const r = run('npx', ['--no-install', 'dicomflow', 'ingest', '--config', cfg, '--json'], consumer.dir);
  t.equal(r.status, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { frames: 4, files: 2, errors: 0 });
  const missing = run('npx', ['--no-install', 'dicomflow', 'ingest', '--config', cfg], consumer.dir, { ...process.env, DICOMFLOW_WASM_DIR: join(consumer.dir, 'nowhere') });
  t.equal(missing.status, 1);
  t.match(missing.stderr, /DF_ERR_CODEC_MISSING: .*DICOMFLOW_WASM_DIR is set/, 'an explicit override that holds no binary is an error, not a silent fallback');
});
