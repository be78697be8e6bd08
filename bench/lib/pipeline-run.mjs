// One process: runs the whole pipeline (read, parse, decode pool, preprocess,
// batch) over the given files with N workers and prints frames/s.
// Usage: pipeline-run.mjs --workers N [--target HxW] [--subres on|off] file...
import { parseArgs } from 'node:util';
import { loadConfig } from '../../dist/config/load.js';
import { createPipeline } from '../../dist/pipeline/index.js';

const { values, positionals } = parseArgs({
  options: { workers: { type: 'string' }, target: { type: 'string', default: '512x512' }, subres: { type: 'string', default: 'off' }, voi: { type: 'string', default: 'minmax' } },
  allowPositionals: true,
});
const { config } = loadConfig(null, {
  'sources.paths': positionals,
  'decode.workers': Number(values.workers),
  'decode.subResolution': values.subres === 'on',
  'preprocess.target': values.target,
  'preprocess.voi': values.voi,
  'pipeline.batchSize': 8,
});
const p = createPipeline(config);
// Pass 1 warms up (workers start, codecs instantiate, files enter the page cache); pass 2 is timed.
for await (const _ of p) void _;
const before = { ...p.stats };
const t0 = performance.now();
for await (const _ of p) void _;
const seconds = (performance.now() - t0) / 1000;
await p.close();
const frames = p.stats.frames - before.frames;
const bytes = p.stats.bytesRead - before.bytesRead;
console.log(JSON.stringify({ workers: p.workers, frames, errors: p.stats.errors, seconds, framesPerSecond: frames / seconds, mbPerSecond: bytes / 1e6 / seconds }));
