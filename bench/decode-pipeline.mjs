#!/usr/bin/env node
// Pipeline throughput at 1..N workers against N x the single-thread codec-only
// rate, on CT-like 512x512 J2K lossless: efficiency = pipeline / (N x single).
// Each measurement is its own process. Sub-resolution decoding is off, so both
// sides do the same decoding work and the ratio shows what the pool, reading,
// parsing, transfers, preprocessing (VOI from the file; resize to 256x256 or
// none at 512x512) and batching cost.
//
//   node bench/decode-pipeline.mjs [--corpus DIR] [--count N] [--repeat R] [--max-workers N] [--codec j2k] [--targets 512x512,256x256]
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
    targets: { type: 'string', default: '512x512,256x256' },
  },
});
await makeCorpus({ out: values.corpus, kinds: ['ct'], codecs: [values.codec], modes: ['lossless'], count: Number(values.count) });
const entries = readCorpus(values.corpus).files.filter((e) => e.index <= Number(values.count) && e.kind === 'ct' && e.codec === values.codec && e.mode === 'lossless');
const files = entries.map((e) => `${values.corpus}/${e.file}`);
const repeat = Number(values.repeat);
const maxWorkers = Number(values['max-workers']);
const targets = values.targets.split(',');

// This machine is shared and noisy: single-thread and pipeline runs are interleaved,
// round after round, and efficiency is computed per round (a ratio measured in one
// run), then the median over rounds is reported.
const rounds = [];
for (let round = 0; round < repeat; round++) {
  const single = child('./codec-run.mjs', ['--repeat', '1', ...files]).throughputFramesPerSecond;
  const pipeline = {};
  for (const target of targets) {
    for (let n = 1; n <= maxWorkers; n++) {
      const r = child('./pipeline-run.mjs', ['--workers', String(n), '--target', target, '--subres', 'off', '--voi', 'file', ...files]);
      pipeline[`${target}/${n}`] = r.framesPerSecond;
      if (r.errors) throw new Error(`pipeline run had ${r.errors} error(s)`);
    }
  }
  rounds.push({ single, pipeline });
  process.stderr.write(`decode-pipeline: round ${round + 1}/${repeat}: single ${single.toFixed(2)} frames/s; ${Object.entries(pipeline).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}\n`);
}
const singleFps = median(rounds.map((r) => r.single));
const rows = [];
for (const target of targets) {
  for (let n = 1; n <= maxWorkers; n++) {
    const key = `${target}/${n}`;
    rows.push({
      target,
      workers: n,
      framesPerSecond: median(rounds.map((r) => r.pipeline[key])),
      efficiency: median(rounds.map((r) => r.pipeline[key] / (n * r.single))),
      efficiencyPerRound: rounds.map((r) => Number((r.pipeline[key] / (n * r.single)).toFixed(3))),
    });
  }
}
const path = writeResult('decode-pipeline', { corpus: values.corpus, files: files.length, codec: values.codec, repeat, singleThreadFramesPerSecond: singleFps, rounds, results: rows });
console.log(`single-thread codec-only: ${singleFps.toFixed(2)} frames/s (median of ${repeat} rounds; ${files.length} CT 512x512 ${values.codec} lossless frames, full decode)\n`);
console.log(
  table(
    ['target', 'workers', 'pipeline frames/s (median)', 'efficiency (median of per-round ratios)', 'per round'],
    rows.map((r) => [r.target, r.workers, r.framesPerSecond.toFixed(2), r.efficiency.toFixed(3), r.efficiencyPerRound.join(' ')]),
  ),
);
console.log(`\nJSON: ${path}`);
