// One process, one thread: decodes the frames of the given files with the
// codec alone (no preprocessing, no pool), `repeat` times, and prints the
// median time per frame (framesPerSecond = 1000 / median), and the throughput: frames over the
// sum of their decode times (throughputFramesPerSecond). The efficiency benches divide by the
// throughput: when frames differ in cost the median frame is not the mean one (J2K 2048x2048
// -> 256x256 on the GDCM corpus: the mean frame took 1.5% longer than the median one).
// Usage: codec-run.mjs --repeat R [--warmup P] [--at-least WxH] file...
// Warm-up: P untimed passes over all the frames first (default 1), so V8 has tiered
// the codec's WebAssembly up to optimised code before timing starts (the first
// 20-30 decodes of a J2K frame took up to 30% more CPU time than later ones);
// pipeline-run.mjs warms each of its workers up about as much.
// --at-least lets wavelet codecs (J2K, HTJ2K) decode straight to the smallest
// resolution still at least WxH, as the pipeline does with sub-resolution
// decoding; without it every frame is decoded in full.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readDicom } from '../../dist/dicom/reader.js';
import { codecFor } from '../../dist/codecs/index.js';
import { median } from './common.mjs';

const { values, positionals } = parseArgs({ options: { repeat: { type: 'string', default: '3' }, warmup: { type: 'string', default: '1' }, 'at-least': { type: 'string' } }, allowPositionals: true });
const [atLeastW, atLeastH] = (values['at-least'] ?? '').split('x').map(Number);
if (values['at-least'] && !(atLeastW >= 1 && atLeastH >= 1)) throw new Error(`--at-least must be WxH, e.g. 256x256 (got ${values['at-least']})`);
const options = values['at-least'] ? { atLeast: { width: atLeastW, height: atLeastH } } : undefined;
const frames = [];
for (const file of positionals) {
  const r = readDicom([readFileSync(file)], { file });
  const d = await r.header();
  for await (const f of r.frames()) frames.push({ d, bytes: f.bytes });
}
const codec = codecFor(frames[0].d.transferSyntax);
const warmup = Number(values.warmup);
if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be a whole number of passes (got ${values.warmup})`);
await codec.decode(frames[0].bytes.slice(), frames[0].d, options); // WASM instantiation
for (let pass = 0; pass < warmup; pass++) for (const f of frames) await codec.decode(f.bytes.slice(), f.d, options);
const perFrame = [];
for (let rep = 0; rep < Number(values.repeat); rep++) {
  for (const f of frames) {
    const t = performance.now();
    await codec.decode(f.bytes.slice(), f.d, options);
    perFrame.push(performance.now() - t);
  }
}
const ms = median(perFrame);
const meanMs = perFrame.reduce((a, b) => a + b, 0) / perFrame.length;
const px = frames[0].d.rows * frames[0].d.columns;
console.log(
  JSON.stringify({ codec: codec.name, transferSyntax: frames[0].d.transferSyntax, frames: frames.length, medianMs: ms, meanMs, framesPerSecond: 1000 / ms, throughputFramesPerSecond: 1000 / meanMs, mpxPerSecond: px / 1e3 / ms }),
);
