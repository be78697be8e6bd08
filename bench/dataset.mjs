#!/usr/bin/env node
/**
 * Decode once, read many times: what a dataset written by `ingest --out`
 * saves every later epoch. Per round, on the same files and configuration,
 * interleaved so the machine's drift hits all three alike:
 *   decode   the sources through the decode pool to batches (`ingest`: what every epoch costs without a dataset)
 *   write    `writeDataset` to fresh shards (the one-off cost: decode + write)
 *   read     the shards back into the same batches (`datasetPipeline`: what every later epoch costs)
 *   cache    `ingest` with pipeline.cache: epoch 1 (an empty cache, filled as it decodes) and epoch 2 (read from it)
 * and then, unless --no-train, the sample task trained twice one after the other (`dicomflow train`,
 * the package's configuration): with a fresh cache and without one, per epoch images/s and data wait.
 * Prints frames/s (median over rounds) and the read/decode ratio measured
 * in each round; JSON in bench/results/dataset.json.
 *
 *   node bench/dataset.mjs [--kinds ct|radiograph|ct,radiograph] [--count N] [--repeat R] [--workers W] [--target HxW] [--format webdataset|tfrecord]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCorpus } from './lib/corpus.mjs';
import { DEFAULT_CORPUS, median, readCorpus, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    kinds: { type: 'string', default: 'ct' },
    count: { type: 'string', default: '48' },
    repeat: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    target: { type: 'string', default: '256x256' },
    format: { type: 'string', default: 'webdataset' },
    'no-train': { type: 'boolean', default: false },
  },
  strict: true,
});
const { loadConfig } = await import('../dist/config/load.js');
const { ingest } = await import('../dist/pipeline/ingest.js');
const { writeDataset } = await import('../dist/dataset/writer.js');
const { datasetPipeline } = await import('../dist/dataset/pipeline.js');

const kinds = values.kinds.split(',');
const count = Number(values.count);
await makeCorpus({ out: values.corpus, kinds, codecs: ['j2k'], modes: ['lossless'], count });
const results = [];
for (const kind of kinds) {
  const files = readCorpus(values.corpus)
    .files.filter((e) => e.kind === kind && e.codec === 'j2k' && e.mode === 'lossless' && e.index <= count)
    .map((e) => `${values.corpus}/${e.file}`);
  const { config } = loadConfig(null, {
    'sources.paths': files,
    'preprocess.target': values.target,
    'preprocess.voi': 'minmax',
    'decode.workers': Number(values.workers),
    'decode.subResolution': false,
    'pipeline.shuffleBuffer': 0,
  });
  const rounds = [];
  for (let r = 0; r < Number(values.repeat); r++) {
    process.stderr.write(`dataset: ${kind} round ${r + 1}/${values.repeat}\n`);
    const decoded = await ingest(config);
    const dir = mkdtempSync(join(tmpdir(), 'dicomflow-bench-dataset-'));
    const w0 = performance.now();
    const written = await writeDataset(config, { out: dir, format: values.format, shardFiles: 16 });
    const writeSeconds = (performance.now() - w0) / 1000;
    const read = datasetPipeline(config, dir, { shuffle: false });
    const r0 = performance.now();
    let frames = 0;
    for await (const b of read.epoch(1)) frames += b.shape[0];
    const readSeconds = (performance.now() - r0) / 1000;
    rmSync(dir, { recursive: true, force: true });
    const cacheDir = mkdtempSync(join(tmpdir(), 'dicomflow-bench-cache-'));
    const cached = { ...config, pipeline: { ...config.pipeline, cache: cacheDir } };
    const epoch1 = await ingest(cached);
    const epoch2 = await ingest(cached);
    rmSync(cacheDir, { recursive: true, force: true });
    if (epoch2.cacheHits !== files.length) throw new Error(`epoch 2 read ${epoch2.cacheHits} of ${files.length} files from the cache`);
    rounds.push({
      cacheEpoch1Fps: epoch1.framesPerSecond,
      cacheEpoch2Fps: epoch2.framesPerSecond,
      cacheRatio: epoch2.framesPerSecond / epoch1.framesPerSecond,
      decodeFps: decoded.framesPerSecond,
      writeFps: written.samples / writeSeconds,
      readFps: frames / readSeconds,
      frames,
      ratio: frames / readSeconds / decoded.framesPerSecond,
    });
  }
  results.push({
    kind,
    files: files.length,
    frames: rounds[0].frames,
    decodeFps: median(rounds.map((x) => x.decodeFps)),
    writeFps: median(rounds.map((x) => x.writeFps)),
    readFps: median(rounds.map((x) => x.readFps)),
    ratio: median(rounds.map((x) => x.ratio)),
    cacheEpoch1Fps: median(rounds.map((x) => x.cacheEpoch1Fps)),
    cacheEpoch2Fps: median(rounds.map((x) => x.cacheEpoch2Fps)),
    cacheRatio: median(rounds.map((x) => x.cacheRatio)),
    rounds,
  });
}
/** One `dicomflow train` of the sample task; its per-epoch lines parsed. */
function trainRun(extra) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)), 'train', '--json', ...extra], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`train ${extra.join(' ')} failed: ${r.stderr}`);
  const epochs = [...r.stderr.matchAll(/^epoch (\d+)\/\d+: .*val AUC ([\d.]+).*, ([\d.]+) images\/s, data wait ([\d.]+)%/gm)].map((m) => ({ epoch: Number(m[1]), valAuc: Number(m[2]), imagesPerSecond: Number(m[3]), dataWait: Number(m[4]) / 100 }));
  return { summary: JSON.parse(r.stdout.trim().split('\n').at(-1)), epochs };
}
let training = null;
if (!values['no-train']) {
  process.stderr.write('dataset: the sample task, with a cache and without\n');
  const cacheDir = mkdtempSync(join(tmpdir(), 'dicomflow-bench-train-cache-'));
  const withCache = trainRun(['--cache', cacheDir]);
  const without = trainRun([]);
  rmSync(cacheDir, { recursive: true, force: true });
  const later = (run) => run.epochs.filter((e) => e.epoch > 1);
  training = {
    withCache,
    without,
    laterEpochs: {
      withCache: { imagesPerSecond: median(later(withCache).map((e) => e.imagesPerSecond)), dataWait: median(later(withCache).map((e) => e.dataWait)) },
      without: { imagesPerSecond: median(later(without).map((e) => e.imagesPerSecond)), dataWait: median(later(without).map((e) => e.dataWait)) },
    },
  };
}
const path = writeResult('dataset', { workers: Number(values.workers), target: values.target, format: values.format, results, training });
console.log(
  table(
    ['image', 'files', 'decode to batches', 'write shards', 'read shards to batches', 'read / decode', 'cache: epoch 1', 'cache: epoch 2', 'epoch 2 / epoch 1'],
    results.map((r) => [
      r.kind === 'ct' ? 'CT 512x512 J2K lossless' : 'radiograph 2048x2048 J2K lossless',
      r.files,
      r.decodeFps.toFixed(1),
      r.writeFps.toFixed(1),
      r.readFps.toFixed(1),
      `${r.ratio.toFixed(1)}x`,
      r.cacheEpoch1Fps.toFixed(1),
      r.cacheEpoch2Fps.toFixed(1),
      `${r.cacheRatio.toFixed(1)}x`,
    ]),
  ),
);
console.log('\nframes/s, medians over rounds; ratios are medians of the ratios measured within each round.');
if (training) {
  console.log('\nThe sample task (dicomflow train, the package configuration), epochs 2 and later, medians:\n');
  console.log(
    table(
      ['run', 'epoch 1 images/s', 'epoch 1 data wait', 'later images/s', 'later data wait', 'validation AUC'],
      [
        ['with the cache', training.withCache.epochs[0].imagesPerSecond, `${(training.withCache.epochs[0].dataWait * 100).toFixed(1)}%`, training.laterEpochs.withCache.imagesPerSecond, `${(training.laterEpochs.withCache.dataWait * 100).toFixed(1)}%`, training.withCache.summary.valAuc],
        ['without', training.without.epochs[0].imagesPerSecond, `${(training.without.epochs[0].dataWait * 100).toFixed(1)}%`, training.laterEpochs.without.imagesPerSecond, `${(training.laterEpochs.without.dataWait * 100).toFixed(1)}%`, training.without.summary.valAuc],
      ],
    ),
  );
}
console.log(`JSON: ${path}`);
