/**
 * A damaged frame after a good one of the same size, for every codec, through
 * the command line: `decode` and `ingest` report the damaged frame and never
 * write the good one's pixels in its place (test/helpers/damaged.ts makes the files).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { writeDamagedFiles } from '../helpers/damaged.js';

const damaged = await writeDamagedFiles();

t.test('decode: frame 0 written, frame 1 reported as DF_ERR_DECODE, exit 1, for every codec', async (t) => {
  t.equal(damaged.files.length, 7, 'openjpeg, charls, libjpeg-turbo, jpeg-js, jpeg-lossless, rle, openjph');
  for (const f of damaged.files) {
    const out = mkdtempSync(join(tmpdir(), 'dicomflow-damaged-npy-'));
    const r = runCli(['decode', f.path, '--out', out]);
    t.equal(r.status, 1, `${f.codec}: exit 1`);
    t.same(r.stdout.trim().split('\n').map((p) => basename(p)), [`${f.codec}.dcm.f0.npy`], `${f.codec}: only frame 0 written`);
    t.notOk(existsSync(join(out, `${f.codec}.dcm.f1.npy`)), `${f.codec}: no .npy for the damaged frame`);
    t.match(r.stderr, new RegExp(`error: .*${f.codec}\\.dcm frame 1: DF_ERR_DECODE: `), `${f.codec}: the damaged frame is named on stderr`);
    t.notMatch(r.stderr, /internal error|\n\s+at /);
  }
});

t.test('decode --partial allow: a codec that can decode part of a frame writes it with a warning, and it is not frame 0', async (t) => {
  for (const f of damaged.files) {
    const out = mkdtempSync(join(tmpdir(), 'dicomflow-damaged-npy-'));
    const r = runCli(['decode', f.path, '--out', out, '--partial', 'allow']);
    const f1 = join(out, `${f.codec}.dcm.f1.npy`);
    if (!existsSync(f1)) {
      // CharLS and libjpeg-turbo only ever fail on a cut-short stream.
      t.equal(r.status, 1, `${f.codec}: cannot decode part of a frame, exit 1`);
      t.match(r.stderr, /frame 1: DF_ERR_DECODE/);
      continue;
    }
    t.equal(r.status, 0, `${f.codec}: exit 0 with the partial frame written`);
    t.match(r.stderr, new RegExp(`warning: .*frame 1: DF_WARN_PARTIAL_DECODE`), `${f.codec}: with a warning`);
    const f0 = readFileSync(join(out, `${f.codec}.dcm.f0.npy`));
    t.notSame(readFileSync(f1), f0, `${f.codec}: the partial frame is not frame 0`);
  }
});

t.test('ingest over the damaged files: every good frame delivered, one DF_ERR_DECODE record per damaged frame, exit 1', async (t) => {
  const cfg = join(damaged.dir, 'pipeline.config.json');
  writeFileSync(cfg, JSON.stringify({ sources: { paths: [join(damaged.dir, '*.dcm')], manifest: null }, preprocess: { target: '16x16', voi: 'minmax' }, pipeline: { batchSize: 2 } }));
  const r = runCli(['ingest', '--config', cfg, '--workers', '2'], { cwd: damaged.dir });
  t.equal(r.status, 1, r.stderr);
  t.match(r.stdout, /^ingest: 7 frames from 7 file\(s\) .* 7 error\(s\)/m);
  const records = readFileSync(join(damaged.dir, 'errors.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(records.length, 7);
  for (const rec of records) t.match(rec, { frame: 1, code: 'DF_ERR_DECODE', severity: 'error', stage: 'decode' });
  t.same(new Set(records.map((x) => basename(x.file))).size, 7, 'one per file');
});

t.test('the good frame decoded by the CLI is what NumPy reads back (an independent .npy reader)', async (t) => {
  const f = damaged.files.find((x) => x.codec === 'openjpeg')!;
  const out = mkdtempSync(join(tmpdir(), 'dicomflow-damaged-npy-'));
  runCli(['decode', f.path, '--out', out]);
  const py = spawnSync('/usr/bin/python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(join(out, 'openjpeg.dcm.f0.npy'))}); print(a.dtype, a.shape)`], { encoding: 'utf8' });
  t.equal(py.stdout.trim(), 'int16 (64, 80)');
});
