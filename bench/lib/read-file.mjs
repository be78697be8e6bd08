// Reads one file through the public API and prints timings as JSON:
// when the header arrived, when frame 0 arrived, and the whole run.
import { createReadStream, statSync } from 'node:fs';
import { readDicom } from '../../dist/index.js';

const [path, chunk = '1048576'] = process.argv.slice(2);
const size = statSync(path).size;
let read = 0;
const source = (async function* () {
  for await (const c of createReadStream(path, { highWaterMark: Number(chunk) })) {
    read += c.length;
    yield c;
  }
})();
const t0 = performance.now();
const file = readDicom(source, { file: path, totalBytes: size });
const d = await file.header();
const headerMs = performance.now() - t0;
let firstFrameMs = null;
let bytesReadAtFirstFrame = null;
let frames = 0;
let frameBytes = 0;
for await (const f of file.frames()) {
  if (frames === 0) {
    firstFrameMs = performance.now() - t0;
    bytesReadAtFirstFrame = read;
  }
  frames++;
  frameBytes += f.bytes.length;
}
const totalMs = performance.now() - t0;
console.log(JSON.stringify({ size, frames, declaredFrames: d.frames, frameBytes, headerMs, firstFrameMs, bytesReadAtFirstFrame, totalMs }));
