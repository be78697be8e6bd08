/**
 * `dicomflow predict`: a model trained with checkpoints scores frames, one
 * line per frame, with the preprocessing the checkpoint recorded.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dicomflow-predict-'));
const rows = [
  ['ct_s16_explicit_le', 0, 'train'],
  ['ct_s16_rle', 1, 'train'],
  ['ct_s16_jls_lossless', 0, 'train'],
  ['ct_u12_j2k_lossless', 1, 'train'],
  ['ct_s16_mf3_j2k_lossless', 0, 'val'],
  ['ct_u12_implicit_le', 1, 'val'],
] as const;
const manifest = join(dir, 'labels.csv');
writeFileSync(manifest, `path,label,split\n${rows.map(([n, l, s]) => `${fixtures}${n}.dcm,${l},${s}`).join('\n')}\n`);
const env = { ...process.env, DICOMFLOW_CACHE: join(dir, 'cache') };
const ck = join(dir, 'ck');
const trained = runCli(['train', '--manifest', manifest, '--epochs', '1', '--target', '32x32', '--voi', 'minmax', '--workers', '1', '--checkpoints', ck, '--json'], { cwd: dir, env });

t.test('the checkpoint records the preprocessing it was trained with', async (t) => {
  t.equal(trained.status, 0, trained.stderr);
  const state = JSON.parse(readFileSync(join(ck, 'epoch-0001', 'state.json'), 'utf8'));
  t.match(state.preprocess, { target: '32x32', voi: 'minmax', channels: 1 });
});

t.test('predict: one JSON line per frame, with the label; the same scores every run', async (t) => {
  // The package's configuration says 128x128 and the lung window: the checkpoint's 32x32 and minmax win.
  const r = runCli(['predict', '--checkpoint', ck, '--manifest', manifest, '--json', '--workers', '1'], { cwd: dir, env });
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; frame: number; score: number; label?: string });
  t.equal(lines.length, 8, '5 single-frame files and a 3-frame one');
  for (const l of lines) {
    t.ok(l.score >= 0 && l.score <= 1, `${l.file} frame ${l.frame}: score ${l.score}`);
    t.ok(l.label === '0' || l.label === '1');
  }
  t.same(lines.filter((l) => l.file.endsWith('ct_s16_mf3_j2k_lossless.dcm')).map((l) => l.frame), [0, 1, 2]);
  t.match(r.stderr, /predict: 8 frame\(s\) scored with .*epoch-0001 on wasm \(preprocessing from the checkpoint\)/);
  const again = runCli(['predict', '--checkpoint', ck, '--manifest', manifest, '--json', '--workers', '1'], { cwd: dir, env });
  t.equal(again.stdout, r.stdout, 'deterministic');
  const text = runCli(['predict', '--checkpoint', ck, join(fixtures, 'ct_s16_rle.dcm')], { cwd: dir, env });
  t.match(text.stdout, /^\S+ct_s16_rle\.dcm 0 \d\.\d{6}\n$/, 'text lines: file frame score');
});

t.test('predict: overriding the input size the model takes, and a missing checkpoint, are clear errors', async (t) => {
  let r = runCli(['predict', '--checkpoint', ck, '--manifest', manifest, '--target', '64x64'], { cwd: dir, env });
  t.equal(r.status, 1);
  t.match(r.stderr, /DF_ERR_CHECKPOINT: the model takes 32x32x1 inputs but the preprocessing gives 64x64/);
  r = runCli(['predict', '--checkpoint', join(dir, 'nothing'), '--manifest', manifest], { cwd: dir, env });
  t.equal(r.status, 1);
  t.match(r.stderr, /DF_ERR_CHECKPOINT: no checkpoint in/);
  r = runCli(['predict', '--manifest', manifest], { cwd: dir, env });
  t.equal(r.status, 2);
  t.match(r.stderr, /predict needs --checkpoint DIR/);
});
