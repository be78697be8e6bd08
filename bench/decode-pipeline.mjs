#!/usr/bin/env node
// Pipeline throughput at 1..N workers against N x the single-thread codec-only
// rate, on CT-like 512x512 J2K lossless: efficiency = pipeline / (N x single).
// Each measurement is its own process; each is repeated and the median kept.
// The pipeline decodes at full resolution here (target 512x512, sub-resolution
// off), so both sides do the same decoding work and the ratio shows what the
// pool, parsing, transfers, preprocessing and batching cost.
//
//   node bench/decode-pipeline.mjs [--corpus DIR] [--count N] [--repeat R] [--max-workers N] [--codec j2k]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { makeCorpus } from './lib/corpus.mjs';
import { DEFAULT_CORPUS, child, median, readCorpus, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    count: { type: 'string', default: '48' },
    repeat: { type: 'string', default: '3' },
    'max-workers': { type: 'string', default: String(availableParallelism()) },
    codec: { type: 'string', default: 'j2k' },
  },
});
await makeCorpus({ out: values.corpus, kinds: ['ct'], codecs: [values.codec], modes: ['lossless'], count: Number(values.count) });
const entries = readCorpus(values.corpus).files.filter((e) => e.index <= Number(values.count) && e.kind === 'ct' && e.codec === values.codec && e.mode === 'lossless');
const files = entries.map((e) => `${values.corpus}/${e.file}`);
const repeat = Number(values.repeat);

const single = [];
for (let i = 0; i < repeat; i++) single.push(child('./codec-run.mjs', ['--repeat', '1', ...files]).framesPerSecond);
const singleFps = median(single);
process.stderr.write(`decode-pipeline: single-thread codec-only ${singleFps.toFixed(2)} frames/s\n`);

const rows = [];
for (let n = 1; n <= Number(values['max-workers']); n++) {
  const runs = [];
  for (let i = 0; i < repeat; i++) runs.push(child('./pipeline-run.mjs', ['--workers', String(n), '--target', '512x512', '--subres', 'off', ...files]));
  const fps = median(runs.map((r) => r.framesPerSecond));
  rows.push({ workers: n, framesPerSecond: fps, runs: runs.map((r) => r.framesPerSecond), efficiency: fps / (n * singleFps), errors: runs[0].errors });
  process.stderr.write(`decode-pipeline: ${n} worker(s) ${fps.toFixed(2)} frames/s\n`);
}
const path = writeResult('decode-pipeline', { corpus: values.corpus, files: files.length, codec: values.codec, repeat, singleThreadFramesPerSecond: singleFps, singleThreadRuns: single, results: rows });
console.log(`single-thread codec-only: ${singleFps.toFixed(2)} frames/s (median of ${repeat}; ${files.length} CT 512x512 ${values.codec} lossless frames)\n`);
console.log(table(['workers', 'pipeline frames/s (median)', 'N x single', 'efficiency'], rows.map((r) => [r.workers, r.framesPerSecond.toFixed(2), (r.workers * singleFps).toFixed(2), r.efficiency.toFixed(3)])));
console.log(`\nJSON: ${path}`);
