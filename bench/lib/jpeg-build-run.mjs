// One process, one thread: decodes the frames of the given files with one
// build of libjpeg-turbo (dicomflow's own or cornerstone's, named, not chosen
// through DICOMFLOW_LIBJPEG_TURBO), codec only, `repeat` times, and prints the
// median time per frame. Usage: jpeg-build-run.mjs --build own|cornerstone --repeat R file...
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readDicom } from '../../dist/dicom/reader.js';
import { libjpegTurboCornerstone, libjpegTurboOwn } from '../../dist/codecs/libjpeg-turbo.js';
import { median } from './common.mjs';

const { values, positionals } = parseArgs({ options: { build: { type: 'string' }, repeat: { type: 'string', default: '5' } }, allowPositionals: true });
const codec = { own: libjpegTurboOwn, cornerstone: libjpegTurboCornerstone }[values.build];
if (!codec) throw new Error(`--build must be own or cornerstone (got ${values.build})`);
const frames = [];
for (const file of positionals) {
  const r = readDicom([readFileSync(file)], { file });
  const d = await r.header();
  for await (const f of r.frames()) frames.push({ d, bytes: f.bytes });
}
await codec.decode(frames[0].bytes.slice(), frames[0].d); // warm-up: WASM instantiation and JIT
const perFrame = [];
for (let rep = 0; rep < Number(values.repeat); rep++) {
  for (const f of frames) {
    const t = performance.now();
    await codec.decode(f.bytes.slice(), f.d);
    perFrame.push(performance.now() - t);
  }
}
console.log(JSON.stringify({ build: values.build, frames: frames.length, decodes: perFrame.length, medianMs: median(perFrame) }));
