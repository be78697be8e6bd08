// One process: runs the whole pipeline (read, parse, decode pool, preprocess,
// batch) over the given files with N workers and prints frames/s.
// Usage: pipeline-run.mjs --workers N [--target HxW] [--subres on|off] [--voi MODE] [--warmup P] [--min-seconds S] file...
//
// Warm-up: P untimed passes first (default: one per worker), so that each decode
// worker has decoded about as many frames as codec-run.mjs's warm-up pass gives its
// one thread before timing starts: workers start, codecs instantiate, V8 tiers the
// codec's WebAssembly and the main thread's JavaScript up to optimised code, and the
// files enter the page cache. One pass was not enough on 2 workers: the CPU time per
// frame of pass 2 was 12.4-15.0 ms, against 10.9-11.9 ms in passes 3-6 (J2K 2048x2048
// -> 256x256, measured in one process).
// The pass after the warm-up is timed, or with --min-seconds S as many whole passes as take
// S seconds (a 0.5 s pass swings by 10% on this shared machine); frames/s is over all of them.
// The warm-up passes' rates are printed too.
import { parseArgs } from 'node:util';
import { loadConfig } from '../../dist/config/load.js';
import { createPipeline } from '../../dist/pipeline/index.js';

const { values, positionals } = parseArgs({
  options: {
    workers: { type: 'string' },
    target: { type: 'string', default: '512x512' },
    subres: { type: 'string', default: 'off' },
    voi: { type: 'string', default: 'minmax' },
    warmup: { type: 'string' },
    'min-seconds': { type: 'string', default: '0' },
  },
  allowPositionals: true,
});
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a positive integer (got ${values.workers})`);
const warmup = values.warmup === undefined ? workers : Number(values.warmup);
if (!Number.isInteger(warmup) || warmup < 1) throw new Error(`--warmup must be a positive integer (got ${values.warmup})`);
const minSeconds = Number(values['min-seconds']);
if (!(minSeconds >= 0)) throw new Error(`--min-seconds must be a number of seconds >= 0 (got ${values['min-seconds']})`);
const { config } = loadConfig(null, {
  'sources.paths': positionals,
  'decode.workers': workers,
  'decode.subResolution': values.subres === 'on',
  'preprocess.target': values.target,
  'preprocess.voi': values.voi,
  'pipeline.batchSize': 8,
});
const p = createPipeline(config);
const warmupFramesPerSecond = [];
for (let i = 0; i < warmup; i++) {
  const f0 = p.stats.frames;
  const t = performance.now();
  for await (const _ of p) void _;
  warmupFramesPerSecond.push(Number(((p.stats.frames - f0) / ((performance.now() - t) / 1000)).toFixed(1)));
}
const before = { ...p.stats };
const t0 = performance.now();
let passes = 0;
do {
  for await (const _ of p) void _;
  passes++;
} while ((performance.now() - t0) / 1000 < minSeconds);
const seconds = (performance.now() - t0) / 1000;
await p.close();
const frames = p.stats.frames - before.frames;
const bytes = p.stats.bytesRead - before.bytesRead;
console.log(JSON.stringify({ workers: p.workers, passes, frames, errors: p.stats.errors, seconds, framesPerSecond: frames / seconds, mbPerSecond: bytes / 1e6 / seconds, warmupPasses: warmup, warmupFramesPerSecond }));
