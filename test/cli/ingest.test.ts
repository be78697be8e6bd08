import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { dirWithCorruptFile } from '../helpers/corpus-dir.js';

function configFile(dir: string, paths: string[]): string {
  const f = join(dir, 'pipeline.config.json');
  writeFileSync(f, JSON.stringify({ sources: { paths, manifest: null }, preprocess: { target: '32x32', voi: 'minmax' }, pipeline: { batchSize: 2 } }));
  return f;
}

t.test('ingest over a folder with a corrupt codestream: exit 1, a summary line, one error record', async (t) => {
  const { dir, corrupt } = dirWithCorruptFile();
  const cfg = configFile(dir, [join(dir, '*.dcm')]);
  const r = runCli(['ingest', '--config', cfg, '--workers', '2'], { cwd: dir });
  t.equal(r.status, 1, r.stderr);
  t.match(r.stdout, /^ingest: 7 frames from 3 file\(s\) of .*\*\.dcm \(configuration\) in [\d.]+ s with 2 worker\(s\): [\d.]+ frames\/s, [\d.]+ MB\/s read \([\d.]+ (B|KiB|MiB) per frame(; \d+ frame\(s\) read in part, [\d.]+ (B|KiB|MiB) left unread)?\), [\d.]+ Mpx\/s decoded, 1 error\(s\) \(see errors\.jsonl\)$/m);
  const records = readFileSync(join(dir, 'errors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(records.length, 1);
  t.match(records[0], { file: corrupt, frame: 0, code: 'DF_ERR_DECODE' });
  t.match(r.stderr, /b\.dcm frame 0: DF_ERR_DECODE/);
});

t.test('ingest --json gives the final object; a clean run exits 0 and writes no error file', async (t) => {
  const { dir } = dirWithCorruptFile();
  const cfg = configFile(dir, [join(dir, 'a.dcm'), join(dir, 'c.dcm')]);
  const r = runCli(['ingest', '--config', cfg, '--json', '--limit', '5', '--target', '16x16'], { cwd: dir });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.match(out, { frames: 5, errors: 0, errorsFile: null });
  for (const k of ['frames', 'framesPerSecond', 'bytesRead', 'errors']) t.ok(k in out, k);
  t.notOk(existsSync(join(dir, 'errors.jsonl')));
});

t.test('ingest usage and config errors exit 2', async (t) => {
  let r = runCli(['ingest', '--target', '256by256']);
  t.equal(r.status, 2);
  t.match(r.stderr, /preprocess\.target must be a size "HxW" such as "256x256", or null \(got "256by256"\)/);
  r = runCli(['ingest', '--voi', 'window:40']);
  t.equal(r.status, 2);
  t.match(r.stderr, /preprocess\.voi needs 2 comma-separated numbers/);
  r = runCli(['ingest', '--voi', 'lungs']);
  t.equal(r.status, 2);
  t.match(r.stderr, /preset \(lung, /);
  // A codec build that does not exist: said once, before any frame is read.
  const fixture = new URL('../fixtures/ct_s16_jls_lossless.dcm', import.meta.url).pathname;
  for (const name of ['DICOMFLOW_CHARLS', 'DICOMFLOW_OPENJPEG', 'DICOMFLOW_LIBJPEG_TURBO']) {
    r = runCli(['ingest', fixture], { env: { ...process.env, [name]: 'fastest' } });
    t.equal(r.status, 2, `${name}=fastest exits 2`);
    t.match(r.stderr, new RegExp(`${name} is "fastest": expected own, cornerstone or auto`));
    t.notMatch(r.stderr, /frame 0/, 'not as a frame error');
  }
});

t.test('decode writes one .npy per frame that NumPy reads back as the stored values', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'dicomflow-npy-'));
  const fixture = new URL('../fixtures/ct_s16_mf3_j2k_lossless.dcm', import.meta.url).pathname;
  let r = runCli(['decode', fixture, '--out', out]);
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n').map((p) => p.split('/').pop()), [0, 1, 2].map((i) => `ct_s16_mf3_j2k_lossless.dcm.f${i}.npy`));
  const ref = new Int16Array(readFileSync(new URL('../fixtures/ct_s16_mf3_j2k_lossless.raw', import.meta.url)).buffer.slice(0));
  const py = (file: string, expr: string) => runCliPython(`import numpy as np; a = np.load(${JSON.stringify(file)}); print(${expr})`);
  const f1 = join(out, 'ct_s16_mf3_j2k_lossless.dcm.f1.npy');
  t.equal(py(f1, 'a.dtype, a.shape'), 'int16 (64, 80)');
  const frame1 = Array.from(ref.subarray(64 * 80, 2 * 64 * 80));
  t.equal(py(f1, 'int(a.astype(np.int64).sum()), int(a[0,0]), int(a[63,79])'), `${frame1.reduce((s, v) => s + v, 0)} ${frame1[0]} ${frame1[64 * 80 - 1]}`);
  r = runCli(['decode', new URL('../fixtures/ct_u12_implicit_le.dcm', import.meta.url).pathname, '--out', out, '--modality']);
  t.equal(r.status, 0, r.stderr);
  t.equal(py(join(out, 'ct_u12_implicit_le.dcm.f0.npy'), 'a.dtype, a.shape, float(a.min()) < -900'), 'float32 (128, 112) True', 'HU after the intercept of -1024');
  r = runCli(['decode', new URL('../fixtures/rgb_u8_jpeg_baseline_ybr422.dcm', import.meta.url).pathname, '--out', out, '--frame', '0']);
  t.equal(py(join(out, 'rgb_u8_jpeg_baseline_ybr422.dcm.f0.npy'), 'a.dtype, a.shape'), 'uint8 (96, 128, 3)');
  r = runCli(['decode', fixture, '--out', out, '--frame', '9']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--frame 9 is past the last frame \(2\)/);
});

/** Debian's python3 with python3-numpy (installed by .ci/run): an independent .npy reader. */
function runCliPython(code: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`/usr/bin/python3 failed (apt-get install python3-numpy): ${r.stderr}`);
  return r.stdout.trim();
}

t.test('codec log lines (OpenJPEG [INFO]) never reach stdout; a missing codec binary is one clear error', async (t) => {
  const { dir } = dirWithCorruptFile();
  const cfg = configFile(dir, [new URL('../fixtures/', import.meta.url).pathname + '*j2k*.dcm']);
  let r = runCli(['ingest', '--config', cfg, '--workers', '1'], { cwd: dir });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.split('\n').filter(Boolean).length, 1, 'stdout holds the summary line only');
  t.notMatch(r.stdout + r.stderr, /\[INFO\]/);
  r = runCli(['ingest', '--config', cfg, '--workers', '1'], { cwd: dir, env: { ...process.env, DICOMFLOW_DEBUG: '1' } });
  t.match(r.stderr, /\[codec\] \[INFO\]/, 'they exist, and DICOMFLOW_DEBUG=1 shows them on stderr');
  t.notMatch(r.stdout, /\[INFO\]/);
  const empty = mkdtempSync(join(tmpdir(), 'dicomflow-nowasm-'));
  r = runCli(['ingest', '--config', cfg], { cwd: dir, env: { ...process.env, DICOMFLOW_WASM_DIR: empty } });
  t.equal(r.status, 1);
  t.match(r.stderr, /DF_ERR_CODEC_MISSING: codec binaries missing: .*openjpegwasm\.wasm is missing \(DICOMFLOW_WASM_DIR is set.*charlswasm\.wasm is missing/);
  t.equal(r.stdout, '');
});

t.test('sources on the command line replace the configuration\'s, the built-in sample included', async (t) => {
  const { dir, corrupt } = dirWithCorruptFile();
  // The package's own configuration reads the sample task; named sources are read instead, alone.
  let r = runCli(['ingest', join(dir, 'a.dcm'), join(dir, 'c.dcm'), '--json', '--target', '16x16'], { cwd: dir });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.match(out, { frames: 7, files: 2, errors: 0 });
  t.match(out.sources, /a\.dcm, .*c\.dcm \(command line\)$/, 'the summary names what was read');
  r = runCli(['ingest', join(dir, '*.dcm'), '--target', '16x16'], { cwd: dir });
  t.equal(r.status, 1);
  t.match(r.stdout, /^ingest: 7 frames from 3 file\(s\) of .*\*\.dcm \(command line\)/m);
  t.match(r.stderr, new RegExp(`${corrupt.split('/').pop()} frame 0: DF_ERR_DECODE`));
});

t.test('ingest /does/not/exist exits non-zero without reading anything else', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-nothing-'));
  const r = runCli(['ingest', '/does/not/exist', '--json'], { cwd: dir });
  t.equal(r.status, 1);
  t.match(JSON.parse(r.stdout), { frames: 0, files: 0, errors: 1, sources: '/does/not/exist (command line)' });
  t.match(readFileSync(join(dir, 'errors.jsonl'), 'utf8'), /"file":"\/does\/not\/exist".*"code":"DF_ERR_SOURCE"/);
});

t.test('start takes no source arguments; an unexpected one is a usage error', async (t) => {
  const r = runCli(['start', 'extra']);
  t.equal(r.status, 2);
  t.match(r.stderr, /start takes no arguments \(got "extra"\)/);
});

t.test('decode.wasmDir: the codec binaries from a folder of your own, in the workers too; one missing there is a clear error', async (t) => {
  const { createRequire } = await import('node:module');
  const { copyFileSync } = await import('node:fs');
  const require = createRequire(import.meta.url);
  const wasm = mkdtempSync(join(tmpdir(), 'dicomflow-wasmdir-'));
  for (const [spec, file] of [
    ['@cornerstonejs/codec-openjpeg/wasm', 'openjpegwasm.wasm'],
    ['@cornerstonejs/codec-openjph/wasm', 'openjphjs.wasm'],
    ['@cornerstonejs/codec-charls/wasm', 'charlswasm.wasm'],
    ['@cornerstonejs/codec-libjpeg-turbo-8bit/wasm', 'libjpegturbowasm.wasm'],
  ]) copyFileSync(require.resolve(spec!), join(wasm, file!));
  const { dir } = dirWithCorruptFile();
  const cfg = join(dir, 'wasm.json');
  writeFileSync(cfg, JSON.stringify({ sources: { paths: [join(dir, 'a.dcm'), join(dir, 'c.dcm')] }, preprocess: { target: '16x16' }, decode: { wasmDir: wasm } }));
  let r = runCli(['ingest', '--config', cfg, '--json'], { cwd: dir });
  t.equal(r.status, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { frames: 7, errors: 0 });
  // The workers really load from there: a broken OpenJPEG binary fails the J2K frames (and only those).
  writeFileSync(join(wasm, 'openjpegwasm.wasm'), 'not wasm');
  r = runCli(['ingest', '--config', cfg, '--json'], { cwd: dir });
  t.equal(r.status, 1);
  t.match(JSON.parse(r.stdout), { frames: 4, errors: 3 }, "c.dcm's 4 JPEG-LS frames decode, a.dcm's 3 J2K frames fail");
  t.match(readFileSync(join(dir, 'errors.jsonl'), 'utf8'), /DF_ERR_CODEC_MISSING.*openjpegwasm\.wasm is not a usable WebAssembly module/);
  writeFileSync(cfg, JSON.stringify({ sources: { paths: [join(dir, 'a.dcm')] }, decode: { wasmDir: dir } }));
  r = runCli(['ingest', '--config', cfg], { cwd: dir });
  t.equal(r.status, 1);
  t.match(r.stderr, /DF_ERR_CODEC_MISSING: .*openjpegwasm\.wasm is missing \(decode\.wasmDir is set to /);
});
