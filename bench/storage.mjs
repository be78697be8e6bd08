#!/usr/bin/env node
// What does a storage setup deliver to training? One corpus (CT 512x512 J2K
// lossless: decode-bound) and one pipeline configuration run through each setup:
//   local-cold  local SSD, the corpus's pages evicted before every pass (vmtouch -e)
//   local-warm  local SSD from the page cache
//   http-*      an HTTP object store in a network namespace the bench creates,
//               shaped with tc tbf, time-to-first-byte latency added at the server
//   dicomweb    a real PACS: Orthanc + its DICOMweb plugin on loopback (WADO-RS frames)
//   path / url  what the user gives (--path DIR, --url URL)
// For each: frames/s, MB/s, p50/p99 per-file latency, CPU, the storage and decode
// limits beside it and which one binds; an MLPerf-Storage-style training feed
// (emulated accelerators, utilisation = compute / wall); and a pydicom + GDCM
// peer on the same files, in the same run.
//
//   node bench/storage.mjs [--quick] [--json] [--path DIR]... [--url URL]... [--dicomweb URL]
//        [--count N] [--repeat R] [--workers N] [--target HxW] [--voi V] [--batch-size B]
//        [--compute-ms M] [--setups a,b] [--no-peer] [--no-orthanc] [--subres] [--corpus DIR] [--results DIR]
//
// Results: bench/results/storage.json, storage.md, storage.svg. Everything the
// bench starts is removed on exit, also on Ctrl-C.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { makeCorpus } from './lib/corpus.mjs';
import { DEFAULT_CORPUS, median, readCorpus, requireBuild, writeResult } from './lib/common.mjs';
import { decodeLimit, fioSequentialRead, pageCacheRead } from './lib/storage/limits.mjs';
import { createNetns, netnsSupport } from './lib/storage/netns.mjs';
import { markdown, svgChart } from './lib/storage/report.mjs';
import { runSetup } from './lib/storage/setup-run.mjs';
import { defineSetups } from './lib/storage/setups.mjs';

requireBuild();
const usage = (msg) => {
  process.stderr.write(`bench storage: ${msg} (see dicomflow bench storage --help)\n`);
  process.exit(2);
};
let values;
try {
  ({ values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    path: { type: 'string', multiple: true, default: [] },
    url: { type: 'string', multiple: true, default: [] },
    dicomweb: { type: 'string', multiple: true, default: [] },
    count: { type: 'string' },
    repeat: { type: 'string' },
    workers: { type: 'string', default: String(availableParallelism()) },
    target: { type: 'string', default: '256x256' },
    voi: { type: 'string', default: 'file' },
    'batch-size': { type: 'string', default: '8' },
    // The wasm training step of the sample model (small CNN) at 256x256, batch 8,
    // on the project's 2-core machine: 0.87 s (bench/lib/train-run.mjs --size 256 --batch 8).
    'compute-ms': { type: 'string', default: '870' },
    'file-concurrency': { type: 'string', default: '8' },
    setups: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
    'no-orthanc': { type: 'boolean', default: false },
    subres: { type: 'boolean', default: false },
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    results: { type: 'string' },
  },
  }));
} catch (err) {
  usage(err.message);
}
const quick = values.quick;
const o = {
  count: Number(values.count ?? (quick ? 48 : 160)),
  repeat: Number(values.repeat ?? (quick ? 3 : 5)),
  workers: Number(values.workers),
  target: values.target,
  voi: values.voi,
  batchSize: Number(values['batch-size']),
  computeMs: Number(values['compute-ms']),
  fileConcurrency: Number(values['file-concurrency']),
  accelRepeat: quick ? 3 : 4,
  subres: values.subres,
};
for (const k of ['count', 'repeat', 'workers', 'batchSize', 'computeMs', 'fileConcurrency']) {
  if (!Number.isInteger(o[k]) || o[k] < 1) usage(`${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive integer (got ${JSON.stringify(values[k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)])})`);
}
const started = performance.now();
const log = (s) => process.stderr.write(`bench storage: ${s}\n`);

// The corpus: one more file than measured, for the warm-up.
await makeCorpus({ out: values.corpus, kinds: ['ct'], codecs: ['j2k'], modes: ['lossless'], count: o.count + 1, log: () => {} });
const entries = readCorpus(values.corpus)
  .files.filter((e) => e.kind === 'ct' && e.codec === 'j2k' && e.mode === 'lossless' && e.index <= o.count + 1)
  .sort((a, b) => a.index - b.index);
const warmup = `${values.corpus}/${entries[0].file}`;
const files = entries.slice(1).map((e) => `${values.corpus}/${e.file}`);
const corpusBytes = entries.slice(1).reduce((a, e) => a + e.bytes, 0);
const meanFileMB = corpusBytes / files.length / 1e6;
log(`corpus: ${files.length} CT 512x512 J2K lossless files, ${(corpusBytes / 1e6).toFixed(1)} MB, in ${values.corpus}`);

// Limits measured beside the setups. The decode limit is measured again in every
// round: on this shared machine the speed of a core drifts between rounds.
const decodeSample = files.slice(0, quick ? 8 : 24);
// With --subres the pipeline decodes J2K at the level the target needs; so does the limit it is held against.
const [targetH, targetW] = o.target.split('x');
const measureDecode = () => decodeLimit(decodeSample, o.workers, o.subres ? `${targetW}x${targetH}` : null);
const fio = fioSequentialRead(values.corpus, quick ? 128 : 1024);
log(`local disk: ${fio.mbPerSecond === null ? fio.why : `${fio.mbPerSecond.toFixed(0)} MB/s (${fio.tool})`}`);
const cache = pageCacheRead(files);
log(`page cache: ${cache.mbPerSecond.toFixed(0)} MB/s`);

const netns = netnsSupport();
if (!netns.ok) log(`skipping the network-namespace setups: ${netns.why}`);
const ns = netns.ok ? createNetns() : null;
const server = ns ? await ns.startFileServer(values.corpus, 0) : null;

const setups = await defineSetups({ values, quick, files, meanFileMB, fio, cache, ns, server, log });
const chosen = values.setups ? setups.filter((s) => values.setups.split(',').includes(s.name)) : setups;
if (chosen.length === 0) {
  log(`no setup to run (known: ${setups.map((s) => s.name).join(', ')})`);
  process.exit(2);
}

const peerMod = values['no-peer'] ? null : await import('./lib/peer.mjs');
const peerOk = peerMod ? peerMod.peerAvailable() : { ok: false, why: '--no-peer' };
if (!peerOk.ok) log(`no peer: ${peerOk.why}`);

const common = { ...o, warmup, peer: peerOk.ok ? peerMod : null, log };
const results = [];
// Rounds: every setup once per round, so ratios between setups come from runs
// made side by side on this shared, noisy machine.
const rounds = [];
for (let r = 0; r < o.repeat; r++) {
  const round = {};
  const decode = measureDecode();
  log(`round ${r + 1}/${o.repeat}: decode limit ${decode.singleThread.toFixed(1)} frames/s codec-only on one thread x ${o.workers} worker(s) = ${decode.framesPerSecond.toFixed(1)} frames/s`);
  for (const s of chosen) {
    round[s.name] = { ...(await runSetup.throughput(s, common)), decode };
    log(`round ${r + 1}/${o.repeat}: ${s.name}: ${round[s.name].ours.framesPerSecond.toFixed(1)} frames/s${round[s.name].peer ? `, peer ${round[s.name].peer.framesPerSecond.toFixed(1)}` : ''}`);
  }
  rounds.push(round);
}
for (const s of chosen) results.push(await runSetup.summarise(s, rounds.map((r) => r[s.name]), common));
for (const s of chosen) await s.stop?.();
ns?.destroy();

const byName = Object.fromEntries(results.map((s) => [s.name, s]));
const ratioPerRound = (a, b) => (byName[a] && byName[b] ? rounds.map((r) => r[a].ours.framesPerSecond / r[b].ours.framesPerSecond) : null);
const http1g = ratioPerRound('http-1g-20ms', 'local-warm');
const result = {
  title: `Storage to training: CT 512x512 J2K lossless, ${o.workers} decode worker(s), target ${o.target}`,
  subtitle: `${files.length} files, ${o.repeat} round(s), medians; machine: ${availableParallelism()} cores`,
  peerName: results.find((s) => s.peer)?.peer.name ?? 'peer',
  quick,
  options: o,
  corpus: { dir: values.corpus, files: files.length, bytes: corpusBytes, kind: 'CT 512x512 signed 16-bit, J2K lossless (OpenJPEG)' },
  limits: { decodePerRound: rounds.map((r) => Object.values(r)[0].decode), localDisk: fio, pageCache: cache },
  setups: results,
  peer: peerOk.ok
    ? { name: results.find((s) => s.peer)?.peer.name, workers: o.workers, perSetup: Object.fromEntries(results.filter((s) => s.peer).map((s) => [s.name, { framesPerSecond: s.peer.framesPerSecond, oursOverPeer: s.oursOverPeer }])) }
    : { skipped: peerOk.why },
  httpOverLocalWarm: http1g ? { median: median(http1g), perRound: http1g.map((v) => Number(v.toFixed(3))) } : null,
  seconds: (performance.now() - started) / 1000,
};
const jsonPath = writeResult('storage', result, ...(values.results ? [values.results] : []));
const md = markdown(result);
writeFileSync(jsonPath.replace(/\.json$/, '.md'), `${md}\n`);
writeFileSync(jsonPath.replace(/\.json$/, '.svg'), svgChart(result));
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`${result.title}\n${result.subtitle}\n\n${md}\n`);
  if (result.httpOverLocalWarm) process.stdout.write(`\nHTTP 1 Gbit/s + 20 ms over local warm: ${result.httpOverLocalWarm.median.toFixed(3)} (median of per-round ratios: ${result.httpOverLocalWarm.perRound.join(' ')})\n`);
  process.stdout.write(`\n${results.map((s) => `${s.label}: ${s.explanation}`).join('\n')}\n\nJSON: ${jsonPath}\nchart: ${jsonPath.replace(/\.json$/, '.svg')}\ntotal ${result.seconds.toFixed(0)} s\n`);
}
