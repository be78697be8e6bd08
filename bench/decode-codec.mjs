#!/usr/bin/env node
// Single-thread, codec-only decode throughput per transfer syntax: the limit
// a decode worker cannot beat. Each codec runs in its own process.
//
//   node bench/decode-codec.mjs [--corpus DIR] [--count N] [--repeat R] [--kinds ct,radiograph]
import { parseArgs } from 'node:util';
import { makeCorpus } from './lib/corpus.mjs';
import { DEFAULT_CORPUS, child, readCorpus, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    count: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '3' },
    kinds: { type: 'string', default: 'ct,radiograph' },
  },
});
const kinds = values.kinds.split(',');
await makeCorpus({ out: values.corpus, kinds, codecs: ['j2k', 'htj2k', 'jpegls'], modes: ['lossless', 'lossy'], count: Number(values.count) });
const entries = readCorpus(values.corpus).files.filter((e) => e.index <= Number(values.count) && kinds.includes(e.kind));
const groups = new Map();
for (const e of entries) {
  const key = `${e.kind}|${e.codec}|${e.mode}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(`${values.corpus}/${e.file}`);
}
const results = [];
for (const [key, files] of groups) {
  const [kind, codec, mode] = key.split('|');
  process.stderr.write(`decode-codec: ${kind} ${codec} ${mode} (${files.length} files)\n`);
  const r = child('./codec-run.mjs', ['--repeat', values.repeat, ...files]);
  results.push({ kind, codec, mode, ...r });
}
const path = writeResult('decode-codec', { corpus: values.corpus, repeat: Number(values.repeat), results });
console.log(
  table(
    ['image', 'codec', 'mode', 'transfer syntax', 'median ms/frame', 'frames/s', 'Mpx/s'],
    results.map((r) => [r.kind === 'ct' ? 'CT 512x512 s16' : 'radiograph 2048x2048 u12', r.codec, r.mode, r.transferSyntax, r.medianMs.toFixed(1), r.framesPerSecond.toFixed(2), r.mpxPerSecond.toFixed(2)]),
  ),
);
console.log(`\nJSON: ${path}`);
