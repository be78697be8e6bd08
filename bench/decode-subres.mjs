#!/usr/bin/env node
// Decoding at the model's resolution: 2048x2048 J2K / HTJ2K lossless to
// 256x256, full decode + area resize against decodeSubResolution + resize,
// timed the same way (decodeFrame, one thread), with the PSNR between the two
// 256x256 results (peak = 4095, 12-bit).
//
//   node bench/decode-subres.mjs [--corpus DIR] [--count N] [--repeat R] [--target 256]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { makeCorpus } from './lib/corpus.mjs';
import { DEFAULT_CORPUS, median, readCorpus, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { decodeFrame } = await import('../dist/decode/decode-frame.js');
const { readDicom } = await import('../dist/dicom/reader.js');
const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    count: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '3' },
    target: { type: 'string', default: '256' },
  },
});
const size = Number(values.target);
await makeCorpus({ out: values.corpus, kinds: ['radiograph'], codecs: ['j2k', 'htj2k'], modes: ['lossless'], count: Number(values.count) });
const entries = readCorpus(values.corpus).files.filter((e) => e.index <= Number(values.count) && e.kind === 'radiograph' && e.mode === 'lossless' && (e.codec === 'j2k' || e.codec === 'htj2k'));
const spec = { target: { height: size, width: size }, resize: 'stretch', padValue: 0, channels: 1, modalityLut: true, voi: { mode: 'none' }, invertMonochrome1: false, output: 'float32' };

const byCodec = new Map();
for (const e of entries) {
  const r = readDicom([readFileSync(`${values.corpus}/${e.file}`)]);
  const d = await r.header();
  let bytes;
  for await (const f of r.frames()) bytes = f.bytes;
  const run = async (subResolution) => decodeFrame({ bytes: bytes.slice(), description: d, spec, frameIndex: 0, file: e.file, subResolution });
  await run(false); // warm-up
  await run(true);
  const full = [];
  const sub = [];
  let a;
  let b;
  for (let i = 0; i < Number(values.repeat); i++) {
    let t = performance.now();
    a = await run(false);
    full.push(performance.now() - t);
    t = performance.now();
    b = await run(true);
    sub.push(performance.now() - t);
  }
  if (!a.ok || !b.ok) throw new Error(`decode failed: ${JSON.stringify(a.ok ? b.error : a.error)}`);
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i] - b.data[i]) ** 2;
  const psnr = 10 * Math.log10((4095 * 4095) / (se / a.data.length));
  const row = { file: e.file, fullMs: median(full), subMs: median(sub), speedup: median(full) / median(sub), psnrDb: psnr, decodedAt: `${b.decodedWidth}x${b.decodedHeight}` };
  if (!byCodec.has(e.codec)) byCodec.set(e.codec, []);
  byCodec.get(e.codec).push(row);
  process.stderr.write(`decode-subres: ${e.file} full ${row.fullMs.toFixed(0)} ms, sub ${row.subMs.toFixed(1)} ms, ${row.speedup.toFixed(1)}x, ${psnr.toFixed(1)} dB\n`);
}
const summary = [...byCodec].map(([codec, rows]) => ({
  codec,
  files: rows.length,
  fullMs: median(rows.map((r) => r.fullMs)),
  subMs: median(rows.map((r) => r.subMs)),
  speedup: median(rows.map((r) => r.speedup)),
  minPsnrDb: Math.min(...rows.map((r) => r.psnrDb)),
  decodedAt: rows[0].decodedAt,
  rows,
}));
const path = writeResult('decode-subres', { corpus: values.corpus, target: `${size}x${size}`, repeat: Number(values.repeat), results: summary });
console.log(
  table(
    ['codec (2048x2048 lossless -> ' + size + 'x' + size + ')', 'full decode + resize (median ms)', 'sub-resolution + resize (median ms)', 'decoded at', 'speedup', 'min PSNR'],
    summary.map((s) => [s.codec, s.fullMs.toFixed(0), s.subMs.toFixed(1), s.decodedAt, `${s.speedup.toFixed(1)}x`, `${s.minPsnrDb.toFixed(1)} dB`]),
  ),
);
console.log(`\nJSON: ${path}`);
