#!/usr/bin/env node
/**
 * Fuzz benchmark: seeded mutants of every fixture through the reader and the
 * whole decode pool, with the differential checks of bench/lib/fuzz/run.mjs.
 * Prints crashes, hangs, peak RSS and the count per error code; JSON with --json.
 *
 *   node bench/fuzz.mjs [--count 10000] [--seed 1] [--workers 2] [--chunk 1000] [--timeout-ms 10000] [--json] [--results FILE]
 *
 * Mutants are written in chunks to a temporary folder (removed after each chunk), so
 * disk use stays at one chunk. Exit status: 0 when every rule held, 1 otherwise, 2 usage.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { emptyReport, fuzzPass, seedFiles, writeMutants } from './lib/fuzz/run.mjs';

const HELP = `Usage: node bench/fuzz.mjs [--count N] [--seed S] [--workers W] [--chunk C] [--timeout-ms T] [--json] [--results FILE]

  --count N        mutants in all (default 10000)
  --seed S         mutation seed (default 1): the same seed gives the same mutants
  --workers W      decode workers (default 2)
  --chunk C        mutants per pass (default 1000; bounds disk use)
  --timeout-ms T   decode.timeoutMs for the pool (default 10000)
  --json           print the final report as JSON
  --results FILE   also write the JSON report to FILE`;

let args;
try {
  args = parseArgs({
    options: {
      count: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      workers: { type: 'string', default: '2' },
      chunk: { type: 'string', default: '1000' },
      'timeout-ms': { type: 'string', default: '10000' },
      json: { type: 'boolean', default: false },
      results: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
} catch (err) {
  process.stderr.write(`fuzz: ${err.message}\n${HELP}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const int = (name, min) => {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < min) {
    process.stderr.write(`fuzz: --${name} must be an integer >= ${min} (got ${args[name]})\n`);
    process.exit(2);
  }
  return v;
};
const count = int('count', 1);
const seed = int('seed', 0);
const workers = int('workers', 1);
const chunk = int('chunk', 1);
const timeoutMs = int('timeout-ms', 1);

const seeds = await seedFiles();
const total = { seed, seeds: seeds.length, ...emptyReport(0), peakRssMB: 0, seconds: 0 };
const add = (into, from) => {
  for (const [k, v] of Object.entries(from)) {
    if (typeof v === 'number') into[k] = (into[k] ?? 0) + v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) add((into[k] ??= {}), v);
  }
};
const t0 = performance.now();
let stopping = false;
process.on('SIGINT', () => (stopping = true));
for (let first = 0; first < count && !stopping; first += chunk) {
  const n = Math.min(chunk, count - first);
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-fuzz-'));
  try {
    writeMutants(seeds, { seed, count: n, first, dir });
    const r = await fuzzPass({ dir, workers, timeoutMs });
    const { problems, ...counts } = r;
    add(total, counts);
    total.problems.push(...problems);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  total.peakRssMB = Math.round(rss);
  process.stderr.write(`fuzz: ${first + n}/${count} mutants, ${total.crashes} crash(es), ${total.hangs} hang(s), ${total.problems.length} problem(s), peak RSS ${Math.round(rss)} MB\n`);
}
total.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
// maxRSS covers the whole process: the main thread and every worker thread.
total.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);

if (args.results) writeFileSync(args.results, `${JSON.stringify(total, null, 2)}\n`);
if (args.json) process.stdout.write(`${JSON.stringify(total, null, 2)}\n`);
else {
  const codes = Object.entries({ ...total.pool.byCode })
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `| ${c} | ${total.reader.byCode[c] ?? 0} | ${n} |`);
  process.stdout.write(
    [
      `fuzz: ${total.mutants} mutants of ${total.seeds} seed files (seed ${seed}) in ${total.seconds} s, ${workers} worker(s)`,
      '',
      '| check | result |',
      '| --- | --- |',
      `| crashes (uncaught, dead workers, DF_ERR_INTERNAL) | ${total.crashes} |`,
      `| hangs (reader over 60 s, DF_ERR_DECODE_TIMEOUT) | ${total.hangs} |`,
      `| peak RSS | ${total.peakRssMB} MB |`,
      `| reader: files read / failed | ${total.reader.ok} / ${total.reader.failed} |`,
      `| pool: frames delivered / files with frames | ${total.pool.frames} / ${total.pool.framesFromFiles} |`,
      `| pool: error / warning records | ${total.pool.errors} / ${total.pool.warnings} |`,
      `| differential: frames compared with a fresh decoder / mismatches | ${total.differential.compared} / ${total.differential.mismatches} |`,
      `| identical output from different codestreams / confirmed by fresh decoders | ${total.differential.identicalOutputsFromDifferentCodestreams} / ${total.differential.identicalConfirmedByFreshDecoder} |`,
      `| rule violations | ${total.problems.length} |`,
      '',
      '| code | reader | pool |',
      '| --- | --- | --- |',
      ...codes,
      '',
      ...total.problems.slice(0, 50).map((p) => `problem: ${p}`),
    ].join('\n') + '\n',
  );
}
process.exitCode = total.problems.length === 0 && total.crashes === 0 && total.hangs === 0 ? 0 : 1;
