import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';

t.test('npm start trains the built-in sample task from scratch to validation AUC >= 0.9', async (t) => {
  // A fresh cache: the sample is generated, then streamed, decoded and trained on, as on a new machine.
  const cache = mkdtempSync(join(tmpdir(), 'dicomflow-start-'));
  const r = runCli(['start', '--json'], { env: { ...process.env, DICOMFLOW_CACHE: cache }, cwd: cache });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  for (const k of ['backend', 'epochs', 'trainImages', 'imagesPerSecond', 'dataWaitFraction', 'valAuc', 'valAccuracy']) t.ok(k in out, k);
  t.equal(out.backend, 'wasm', 'auto picks wasm where tfjs-node cannot install');
  t.equal(out.epochs, 10);
  t.ok(out.valAuc >= 0.9, `validation AUC ${out.valAuc}`);
  t.match(r.stderr, /backend: wasm \(@tensorflow\/tfjs-node is not installed; wasm with dicomflow's training kernels\); registered Conv2DBackpropFilter/);
  t.match(r.stderr, /split: \d+ training, \d+ validation file\(s\), by PatientID/);
  t.match(r.stderr, /epoch 10\/10: loss [\d.]+, val loss [\d.]+, val AUC [\d.]+, val accuracy [\d.]+, [\d.]+ images\/s, data wait [\d.]+%/);
});

t.test('train: --backend and --epochs flags, checkpoints and --resume, usage errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-train-cli-'));
  const cfg = join(dir, 'c.json');
  writeFileSync(cfg, JSON.stringify({ sources: { sample: true }, preprocess: { target: '32x32', voi: 'lung' }, decode: { workers: 1 }, train: { epochs: 1, validationFraction: 0.2 } }));
  const env = { ...process.env, DICOMFLOW_CACHE: join(dir, 'cache') };
  let r = runCli(['train', '--config', cfg, '--json', '--checkpoints', join(dir, 'ck')], { env });
  t.equal(r.status, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { epochs: 1, checkpoint: /epoch-0001$/ });
  r = runCli(['train', '--config', cfg, '--json', '--epochs', '2', '--resume', join(dir, 'ck')], { env });
  t.equal(r.status, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { epochs: 2, checkpoint: /epoch-0002$/ });
  t.match(r.stderr, /resumed from .*epoch-0001 after epoch 1/);
  r = runCli(['train', '--config', cfg, '--backend', 'gpu'], { env });
  t.equal(r.status, 2);
  t.match(r.stderr, /train\.backend must be one of "auto", "node", "wasm", "cpu" \(got "gpu"\)/);
  r = runCli(['train', '--config', cfg, '--backend', 'node'], { env });
  t.equal(r.status, 2);
  t.match(r.stderr, /train\.backend "node": @tensorflow\/tfjs-node is not installed/);
  // A DICOMFLOW_WINOGRAD value that means nothing stops the run before any backend starts
  // (it never falls back to cpu quietly).
  r = runCli(['train', '--config', cfg, '--json'], { env: { ...env, DICOMFLOW_WINOGRAD: 'yes' } });
  t.equal(r.status, 2, r.stderr);
  t.match(r.stderr, /DICOMFLOW_WINOGRAD must be "on" or "off" \(got "yes"\)/);
});

t.test("train --manifest F trains on F's files only, not the configuration's sample task too", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-train-manifest-'));
  const fixtures = new URL('../fixtures/', import.meta.url).pathname;
  const rows = [
    ['ct_s16_explicit_le', 0, 'train'],
    ['ct_s16_rle', 1, 'train'],
    ['ct_s16_jls_lossless', 0, 'train'],
    ['ct_u12_j2k_lossless', 1, 'train'],
    ['ct_s16_jpeg_lossless_sv1', 0, 'val'],
    ['ct_u12_implicit_le', 1, 'val'],
  ];
  const manifest = join(dir, 'mine.csv');
  writeFileSync(manifest, `path,label,split\n${rows.map(([n, l, s]) => `${fixtures}${n}.dcm,${l},${s}`).join('\n')}\n`);
  // The package's configuration (sources.sample: true) is the default: named sources must replace it.
  const r = runCli(['train', '--manifest', manifest, '--json', '--epochs', '1', '--target', '32x32', '--workers', '1'], { cwd: dir, env: { ...process.env, DICOMFLOW_CACHE: join(dir, 'cache') } });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.equal(out.trainFiles + out.valFiles, 6, 'the 6 listed files and nothing else');
  t.equal(out.trainImages, 4);
  t.match(out.sources, /manifest .*mine\.csv \(command line\)/);
  t.match(r.stderr, /sources: manifest .*mine\.csv \(command line\)/);
  t.notMatch(r.stderr, /generating the sample task/);
});

t.test('train --dataset DIR: trains from shards written by ingest --out, with no decoding, split by group', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-train-dataset-'));
  const fixtures = new URL('../fixtures/', import.meta.url).pathname;
  const names = ['ct_s16_explicit_le', 'ct_s16_rle', 'ct_s16_jls_lossless', 'ct_u12_j2k_lossless', 'ct_s16_jpeg_lossless_sv1', 'ct_u12_implicit_le', 'ct_s16_mf3_j2k_lossless', 'mr_u16_mf4_rle_bot'];
  const manifest = join(dir, 'labels.csv');
  writeFileSync(manifest, `path,label\n${names.map((n, i) => `${fixtures}${n}.dcm,${i % 2}`).join('\n')}\n`);
  const env = { ...process.env, DICOMFLOW_CACHE: join(dir, 'cache'), DICOMFLOW_GROUP_KEY: 'train-dataset-test' };
  const ds = join(dir, 'ds');
  let r = runCli(['ingest', '--manifest', manifest, '--out', ds, '--target', '32x32', '--voi', 'minmax', '--shard-files', '3', '--json'], { cwd: dir, env });
  t.equal(r.status, 0, r.stderr);
  const made = JSON.parse(r.stdout);
  t.equal(made.samples, 13, '6 single-frame files, a 3-frame and a 4-frame one');
  r = runCli(['train', '--dataset', ds, '--json', '--epochs', '2', '--target', '32x32', '--batch-size', '4'], { cwd: dir, env });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.match(out, { epochs: 2, sources: /dataset .*ds \(command line\)$/ });
  t.equal(out.trainFiles + out.valFiles, names.length, 'every file on one side of the split');
  t.match(r.stderr, /split: dataset .*by group \(keyed hash of PatientID\).*no decoding/);
  t.notMatch(r.stderr, /decode: \d+ worker/, 'no decode pool');
  r = runCli(['train', '--dataset', ds, '--json', '--epochs', '1', '--target', '64x64'], { cwd: dir, env });
  t.equal(r.status, 2);
  t.match(r.stderr, /the dataset .* was made with preprocess\.target "32x32", this run wants "64x64"/);
  r = runCli(['ingest', '--config', join(dir, 'nope.json')], { cwd: dir });
  t.equal(r.status, 2, 'a missing config file is a config error');
});
