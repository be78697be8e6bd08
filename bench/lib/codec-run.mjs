// One process, one thread: decodes the frames of the given files with the
// codec alone (no preprocessing, no pool), `repeat` times, and prints the
// median time per frame. Usage: codec-run.mjs --repeat R file...
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readDicom } from '../../dist/dicom/reader.js';
import { codecFor } from '../../dist/codecs/index.js';
import { median } from './common.mjs';

const { values, positionals } = parseArgs({ options: { repeat: { type: 'string', default: '3' } }, allowPositionals: true });
const frames = [];
for (const file of positionals) {
  const r = readDicom([readFileSync(file)], { file });
  const d = await r.header();
  for await (const f of r.frames()) frames.push({ d, bytes: f.bytes });
}
const codec = codecFor(frames[0].d.transferSyntax);
await codec.decode(frames[0].bytes.slice(), frames[0].d); // warm-up: WASM instantiation and JIT
const perFrame = [];
for (let rep = 0; rep < Number(values.repeat); rep++) {
  for (const f of frames) {
    const t = performance.now();
    await codec.decode(f.bytes.slice(), f.d);
    perFrame.push(performance.now() - t);
  }
}
const ms = median(perFrame);
const px = frames[0].d.rows * frames[0].d.columns;
console.log(JSON.stringify({ codec: codec.name, transferSyntax: frames[0].d.transferSyntax, frames: frames.length, medianMs: ms, framesPerSecond: 1000 / ms, mpxPerSecond: px / 1e3 / ms }));
