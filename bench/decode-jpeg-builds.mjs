#!/usr/bin/env node
// dicomflow's own libjpeg-turbo build against the cornerstone build: decode
// only, one thread, each run in its own process (bench/lib/codec-run.mjs with
// DICOMFLOW_LIBJPEG_TURBO=own or cornerstone, one untimed pass first), in
// interleaved rounds (own, cornerstone, own, cornerstone, ...) so that load
// from elsewhere on the machine falls on both. The frames are real JPEG baseline streams made
// by DCMTK's dcmcjpeg (+eb, quality 90; colour as YBR_FULL_422, its default)
// from synthetic 8-bit radiographs, grey and RGB, 512x512 and 2048x2048.
//
//   node bench/decode-jpeg-builds.mjs [--rounds 5] [--repeat 5] [--images 2] [--corpus DIR]
//
// Prints, per case, the median ms/frame of each build in every round and the
// ratio own/cornerstone of the medians across rounds; writes
// bench/results/decode-jpeg-builds.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CORPUS, child, median, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: join(DEFAULT_CORPUS, 'jpeg8') },
    rounds: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '5' },
    images: { type: 'string', default: '2' },
  },
});
const rounds = Number(values.rounds);
const images = Number(values.images);
const { radiograph, writePart10, makeUid } = await import('../dist/synth/index.js');

const CASES = [
  { name: 'grey 512', size: 512, samples: 1 },
  { name: 'RGB 512', size: 512, samples: 3 },
  { name: 'grey 2048', size: 2048, samples: 1 },
  { name: 'RGB 2048', size: 2048, samples: 3 },
];

/** Writes an uncompressed 8-bit file and has dcmcjpeg make it JPEG baseline (kept between runs). */
function jpegFile(c, index) {
  const out = join(values.corpus, `${c.samples === 1 ? 'grey' : 'rgb'}${c.size}-${index}.dcm`);
  if (existsSync(out)) return out;
  mkdirSync(values.corpus, { recursive: true });
  const n = c.size * c.size;
  const g = radiograph({ width: c.size, height: c.size, bits: 8, seed: 100 + index });
  let pixels = Uint8Array.from(g);
  if (c.samples === 3) {
    // Colour that follows the anatomy, as in a rendered or tinted image: the channels correlate.
    const h = radiograph({ width: c.size, height: c.size, bits: 8, seed: 200 + index });
    pixels = new Uint8Array(3 * n);
    for (let i = 0; i < n; i++) {
      pixels[3 * i] = g[i];
      pixels[3 * i + 1] = Math.round(0.75 * g[i] + 0.25 * h[i]);
      pixels[3 * i + 2] = Math.round(0.5 * g[i] + 0.5 * (255 - h[i]));
    }
  }
  const raw = `${out}.raw.dcm`;
  const ids = { patientId: 'BENCH-JPEG', studyInstanceUid: makeUid('st'), seriesInstanceUid: makeUid('se'), sopInstanceUid: makeUid('in') };
  const spec = { transferSyntax: '1.2.840.10008.1.2.1', rows: c.size, columns: c.size, samplesPerPixel: c.samples, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, photometric: c.samples === 1 ? 'MONOCHROME2' : 'RGB', ids };
  if (c.samples === 3) spec.planarConfiguration = 0;
  writeFileSync(raw, writePart10(spec, [pixels]));
  execFileSync('dcmcjpeg', ['+eb', '+q', '90', raw, out], { stdio: 'pipe' });
  rmSync(raw);
  return out;
}

const files = new Map(CASES.map((c) => [c.name, Array.from({ length: images }, (_, i) => jpegFile(c, i))]));
const perRound = new Map(CASES.map((c) => [c.name, { own: [], cornerstone: [] }]));
const started = performance.now();
for (let r = 0; r < rounds; r++) {
  for (const c of CASES) {
    for (const build of ['own', 'cornerstone']) {
      const res = child('./codec-run.mjs', ['--repeat', values.repeat, ...files.get(c.name)], { env: { DICOMFLOW_LIBJPEG_TURBO: build } });
      perRound.get(c.name)[build].push(res.medianMs);
    }
  }
  process.stderr.write(`decode-jpeg-builds: round ${r + 1}/${rounds} done\n`);
}
const round2 = (x) => Number(x.toFixed(2));
const results = CASES.map((c) => {
  const { own, cornerstone } = perRound.get(c.name);
  const ratio = median(own) / median(cornerstone);
  return { case: c.name, ownMs: own.map(round2), cornerstoneMs: cornerstone.map(round2), ownMedianMs: round2(median(own)), cornerstoneMedianMs: round2(median(cornerstone)), ratio: Number(ratio.toFixed(3)) };
});
const path = writeResult('decode-jpeg-builds', { rounds, repeat: Number(values.repeat), images, seconds: round2((performance.now() - started) / 1000), encoder: 'dcmcjpeg +eb +q 90', results });
console.log(
  table(
    ['frames', 'own ms/frame per round', 'cornerstone ms/frame per round', 'median own', 'median cornerstone', 'own/cornerstone'],
    results.map((r) => [r.case, r.ownMs.join(' '), r.cornerstoneMs.join(' '), r.ownMedianMs, r.cornerstoneMedianMs, r.ratio.toFixed(3)]),
  ),
);
console.log(`\nJSON: ${path}`);
