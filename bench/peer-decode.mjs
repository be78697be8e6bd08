#!/usr/bin/env node
// dicomflow against the conventional peer (pydicom + GDCM, bench/peer/pydicom_peer.py,
// multiprocessing.Pool) on files compressed by GDCM, not by dicomflow's own encoders:
//
//   jpegls-2048-to-256  JPEG-LS lossless 2048x2048 12-bit radiographs -> 256x256
//   j2k-2048-to-256     J2K lossless 2048x2048 radiographs -> 256x256 (dicomflow decodes
//                       at sub-resolution, decode.subResolution true, the default)
//   j2k-512-full        J2K lossless 512x512 CT at full resolution (target 512x512)
//
// Both sides do the same preprocessing: modality LUT, area resize when shrinking, VOI from
// the file's window, 1 channel float32, batches of 8, N workers each (default 2). Per case:
// dicomflow's pipeline frames/s (bench/lib/pipeline-run.mjs, its own process), the peer's
// frames/s, ratio = dicomflow / peer, and the single-thread codec-only throughput
// (bench/lib/codec-run.mjs: frames over the sum of their decode times, at the same resolution
// the pipeline decodes at; run right before and right after the pipeline, their geometric
// mean), so that
// efficiency = pipeline / (N x codec-only). Every case runs dicomflow twice, with its own
// build of the codec and the cornerstone build: DICOMFLOW_OPENJPEG=own (the SIMD build, the
// default) and =cornerstone for J2K, DICOMFLOW_CHARLS=own (CharLS 2.0.0 with dicomflow's
// patch, the default) and =cornerstone for JPEG-LS. The must-hold lines are about the default builds.
// The machine is shared and noisy: every round measures every side of every case, in an
// order reversed every other round, ratios are taken within a round, and medians of
// rounds are reported.
//
// The corpus: phantoms from bench/lib/corpus.mjs (own J2K lossless), decompressed with
// `gdcmconv --raw` and recompressed with `gdcmconv --jpegls` / `gdcmconv --j2k` (lossless:
// GDCM is lossy only with --lossy, -q, -r or --irreversible), into <corpus>/gdcm/, reused
// while the source file and the GDCM version are the same. Each converted file is checked:
// gdcminfo must report the wanted transfer syntax, and dicomflow's decode of it must equal
// its decode of the source pixel for pixel. One more file per case (not timed) warms up the
// peer's workers. dicomflow's sides are timed at steady state: codec-run.mjs first decodes
// every frame once untimed, and pipeline-run.mjs runs one untimed pass per worker, so each
// decoding thread has seen about the same frames before timing starts on either side.
//
//   node bench/peer-decode.mjs [--corpus DIR] [--count 32] [--rounds 3] [--workers 2]
//                              [--cases jpegls-2048-to-256,j2k-2048-to-256,j2k-512-full]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCorpus } from './lib/corpus.mjs';
import { peerAvailable, runPeer } from './lib/peer.mjs';
import { DEFAULT_CORPUS, child, machine, median, readCorpus, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { readDicom } = await import('../dist/dicom/reader.js');
const { codecFor } = await import('../dist/codecs/index.js');

const CASES = [
  { name: 'jpegls-2048-to-256', kind: 'radiograph', prefix: 'cxr2048', syntax: '1.2.840.10008.1.2.4.80', gdcm: '--jpegls', target: '256x256', atLeast: null, j2k: false },
  { name: 'j2k-2048-to-256', kind: 'radiograph', prefix: 'cxr2048', syntax: '1.2.840.10008.1.2.4.90', gdcm: '--j2k', target: '256x256', atLeast: '256x256', j2k: true },
  { name: 'j2k-512-full', kind: 'ct', prefix: 'ct512', syntax: '1.2.840.10008.1.2.4.90', gdcm: '--j2k', target: '512x512', atLeast: null, j2k: true },
];
const VOI = 'file';
const BATCH = 8; // pipeline-run.mjs's batch size; the peer gets the same
/** Bump when the same source and GDCM version would give different files. */
const GDCM_CACHE_VERSION = 1;

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    count: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    cases: { type: 'string', default: CASES.map((c) => c.name).join(',') },
  },
});
const usage = (message) => {
  console.error(`peer-decode: ${message}`);
  console.error('usage: node bench/peer-decode.mjs [--corpus DIR] [--count N] [--rounds R] [--workers N] [--cases a,b,c]');
  process.exit(2);
};
const count = Number(values.count);
const rounds = Number(values.rounds);
const workers = Number(values.workers);
if (!Number.isInteger(count) || count < 1) usage(`--count must be a positive integer (got ${values.count})`);
if (!Number.isInteger(rounds) || rounds < 1) usage(`--rounds must be a positive integer (got ${values.rounds})`);
if (!Number.isInteger(workers) || workers < 1) usage(`--workers must be a positive integer (got ${values.workers})`);
const cases = values.cases.split(',').map((name) => CASES.find((c) => c.name === name) ?? usage(`unknown case ${name} (cases: ${CASES.map((c) => c.name).join(', ')})`));

const peer = peerAvailable();
if (!peer.ok) {
  console.error(`peer-decode: the pydicom + GDCM peer cannot run: ${peer.why}`);
  process.exit(2);
}
// "gdcmconv: gdcm 3.0.21 $Date$" -> "gdcm 3.0.21"
const gdcmVersion = run('gdcmconv', ['--version']).replace(/^gdcmconv:\s*/, '').replace(/\s*\$Date\$\s*$/, '').trim();
const started = performance.now();
const loadAtStart = loadavg().map((v) => Number(v.toFixed(2)));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} could not run (${r.error.message}); GDCM's tools are in the Debian package libgdcm-tools`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

// ------------------------------------------------------------------ corpus

/** The description and first frame's encoded bytes of a file. */
async function firstFrame(path) {
  const r = readDicom([readFileSync(path)], { file: path });
  const d = await r.header();
  for await (const f of r.frames()) return { d, bytes: f.bytes };
  throw new Error(`${path} has no frame`);
}

/** Stored values of the first frame, decoded by dicomflow (full resolution). */
async function storedPixels(path) {
  const { d, bytes } = await firstFrame(path);
  const codec = codecFor(d.transferSyntax);
  if (!codec) throw new Error(`${path}: dicomflow has no codec for ${d.transferSyntax}`);
  return (await codec.decode(bytes.slice(), d)).pixels;
}

function samePixels(a, b) {
  if (a.length !== b.length) return `${a.length} samples, source ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `sample ${i} is ${a[i]}, source ${b[i]}`;
  return null;
}

/**
 * GDCM-compressed copies of the source entries in <corpus>/gdcm/, made or reused;
 * returns their paths in entry order.
 */
async function gdcmCorpus(corpus, c, entries) {
  const dir = join(corpus, 'gdcm');
  mkdirSync(dir, { recursive: true });
  const manifestPath = join(dir, 'gdcm.json');
  let manifest = {};
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    manifest = {};
  }
  const tag = c.gdcm.replace(/^--/, '');
  const paths = [];
  let made = 0;
  for (const e of entries) {
    const file = `${c.prefix}_gdcm-${tag}_${String(e.index).padStart(4, '0')}.dcm`;
    const path = join(dir, file);
    const key = createHash('sha1').update(JSON.stringify({ v: GDCM_CACHE_VERSION, source: e.key, flag: c.gdcm, gdcm: gdcmVersion })).digest('hex');
    const old = manifest[file];
    paths.push(path);
    if (old && old.key === key && existsSync(path) && statSync(path).size === old.bytes) continue;
    const source = join(corpus, e.file);
    const raw = `${path}.raw-${process.pid}`;
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      run('gdcmconv', ['--raw', source, raw]);
      run('gdcmconv', [c.gdcm, raw, tmp]);
      const info = run('gdcminfo', [tmp]);
      const found = /^TransferSyntax is (\S+)/m.exec(info)?.[1];
      if (found !== c.syntax) throw new Error(`gdcmconv ${c.gdcm} wrote transfer syntax ${found ?? '(none reported by gdcminfo)'}, ${c.syntax} wanted`);
      const diff = samePixels(await storedPixels(tmp), await storedPixels(source));
      if (diff) throw new Error(`gdcmconv ${c.gdcm} ${file} is not lossless: ${diff}`);
      renameSync(tmp, path);
    } finally {
      rmSync(raw, { force: true });
      rmSync(tmp, { force: true });
    }
    manifest[file] = { key, source: e.file, transferSyntax: c.syntax, gdcm: gdcmVersion, bytes: statSync(path).size, checked: 'gdcminfo transfer syntax; pixels equal to the source' };
    made++;
    writeFileSync(`${manifestPath}.tmp-${process.pid}`, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(`${manifestPath}.tmp-${process.pid}`, manifestPath);
    process.stderr.write(`peer-decode: gdcmconv ${c.gdcm} ${file} (${(manifest[file].bytes / 1e6).toFixed(2)} MB, ${ts(c.syntax)}, lossless checked)\n`);
  }
  if (made === 0) process.stderr.write(`peer-decode: ${c.name}: ${entries.length} GDCM file(s) cached in ${dir}\n`);
  return paths;
}

function ts(uid) {
  return uid === '1.2.840.10008.1.2.4.90' ? 'J2K lossless' : uid === '1.2.840.10008.1.2.4.80' ? 'JPEG-LS lossless' : uid;
}

// ------------------------------------------------------------------ codestreams

const MARKERS = { 0xff50: 'CAP', 0xff51: 'SIZ', 0xff52: 'COD', 0xff53: 'COC', 0xff55: 'TLM', 0xff57: 'PLM', 0xff58: 'PLT', 0xff5c: 'QCD', 0xff5d: 'QCC', 0xff5e: 'RGN', 0xff5f: 'POC', 0xff60: 'PPM', 0xff61: 'PPT', 0xff63: 'CRG', 0xff64: 'COM', 0xff90: 'SOT', 0xff93: 'SOD' };
const PROGRESSIONS = ['LRCP', 'RLCP', 'RPCL', 'PCRL', 'CPRL'];

/** What a J2K codestream's headers say: progression order, layers, levels, code-blocks, and which markers it has. */
function j2kFacts(cs) {
  const u16 = (i) => (cs[i] << 8) | cs[i + 1];
  const u32 = (i) => u16(i) * 65536 + u16(i + 2);
  if (u16(0) !== 0xff4f) throw new Error('not a J2K codestream (no SOC)');
  const facts = { mainHeaderMarkers: [], tilePartHeaderMarkers: [], tileParts: 0 };
  const name = (m) => MARKERS[m] ?? `0x${m.toString(16)}`;
  let i = 2;
  while (i + 4 <= cs.length) {
    const m = u16(i);
    if (m === 0xffd9) break;
    const L = u16(i + 2);
    const s = i + 4;
    if (m === 0xff90) {
      facts.tileParts++;
      const psot = u32(s + 2);
      for (let j = i + 2 + L; u16(j) !== 0xff93; j += 2 + u16(j + 2)) if (!facts.tilePartHeaderMarkers.includes(name(u16(j)))) facts.tilePartHeaderMarkers.push(name(u16(j)));
      if (!psot) break;
      i += psot;
      continue;
    }
    if (!facts.mainHeaderMarkers.includes(name(m))) facts.mainHeaderMarkers.push(name(m));
    if (m === 0xff51) {
      Object.assign(facts, { size: `${u32(s + 2)}x${u32(s + 6)}`, tile: `${u32(s + 18)}x${u32(s + 22)}`, components: u16(s + 34), precision: (cs[s + 36] & 0x7f) + 1, signed: (cs[s + 36] & 0x80) !== 0 });
    } else if (m === 0xff52) {
      Object.assign(facts, {
        progression: PROGRESSIONS[cs[s + 1]] ?? cs[s + 1],
        layers: u16(s + 2),
        decompositions: cs[s + 5],
        codeBlock: `${2 ** (cs[s + 6] + 2)}x${2 ** (cs[s + 7] + 2)}`,
        codeBlockStyle: cs[s + 8],
        wavelet: cs[s + 9] === 1 ? '5/3 reversible' : '9/7 irreversible',
        precincts: (cs[s] & 1) !== 0,
        sop: (cs[s] & 2) !== 0,
        eph: (cs[s] & 4) !== 0,
      });
    } else if (m === 0xff64) {
      facts.comment = Buffer.from(cs.subarray(s + 2, i + 2 + L)).toString('latin1');
    }
    i += 2 + L;
  }
  const all = [...facts.mainHeaderMarkers, ...facts.tilePartHeaderMarkers];
  facts.plt = all.includes('PLT');
  facts.tlm = all.includes('TLM');
  facts.plm = all.includes('PLM');
  return facts;
}

/** SOF55, LSE and SOS of a JPEG-LS codestream. */
function jlsFacts(cs) {
  const u16 = (i) => (cs[i] << 8) | cs[i + 1];
  const facts = {};
  for (let i = 2; i + 4 <= cs.length; ) {
    const m = u16(i);
    const L = u16(i + 2);
    const s = i + 4;
    if (m === 0xfff7) Object.assign(facts, { precision: cs[s], size: `${u16(s + 3)}x${u16(s + 1)}`, components: cs[s + 5] });
    else if (m === 0xfff8 && cs[s] === 1) Object.assign(facts, { maxval: u16(s + 1), t1: u16(s + 3), t2: u16(s + 5), t3: u16(s + 7), reset: u16(s + 9) });
    else if (m === 0xffda) {
      const ns = cs[s];
      Object.assign(facts, { near: cs[s + 1 + 2 * ns], interleave: cs[s + 2 + 2 * ns] });
      break;
    }
    i += 2 + L;
  }
  return facts;
}

function describe(f, j2k) {
  if (j2k) {
    return `${f.progression}, ${f.layers} layer(s), ${f.decompositions} decomposition levels, ${f.codeBlock} code-blocks, ${f.wavelet}, tile ${f.tile} (${f.tileParts} tile-part(s)), SIZ precision ${f.precision}${f.signed ? ' signed' : ''}, PLT ${f.plt ? 'yes' : 'no'}, TLM ${f.tlm ? 'yes' : 'no'}, markers ${[...f.mainHeaderMarkers, ...f.tilePartHeaderMarkers].join(' ')}${f.comment ? `, COM "${f.comment}"` : ''}`;
  }
  return `SOF55 precision ${f.precision}, NEAR ${f.near}, interleave ${f.interleave}${f.maxval !== undefined ? `, LSE MAXVAL ${f.maxval} (T1 ${f.t1} T2 ${f.t2} T3 ${f.t3} RESET ${f.reset})` : ', no LSE'}`;
}

// ------------------------------------------------------------------ prepare

const prepared = [];
for (const c of cases) {
  // count timed files plus one for the peer's warm-up
  await makeCorpus({ out: values.corpus, kinds: [c.kind], codecs: ['j2k'], modes: ['lossless'], count: count + 1, log: () => {} });
  const entries = readCorpus(values.corpus)
    .files.filter((e) => e.kind === c.kind && e.codec === 'j2k' && e.mode === 'lossless' && e.index <= count + 1)
    .sort((a, b) => a.index - b.index);
  if (entries.length !== count + 1) throw new Error(`corpus has ${entries.length} ${c.kind} files, ${count + 1} wanted`);
  const paths = await gdcmCorpus(values.corpus, c, entries);
  const first = await firstFrame(paths[0]);
  const codestream = c.j2k ? j2kFacts(first.bytes) : jlsFacts(first.bytes);
  const bytes = paths.slice(0, count).reduce((n, p) => n + statSync(p).size, 0);
  prepared.push({ ...c, files: paths.slice(0, count), warmup: paths[count], bytes, codestream, description: { rows: first.d.rows, columns: first.d.columns, bitsStored: first.d.bitsStored, signed: first.d.pixelRepresentation === 1 } });
}

const variantsOf = (c) =>
  c.j2k
    ? [
        { build: 'own', decoder: 'OpenJPEG, own SIMD build', env: { DICOMFLOW_OPENJPEG: 'own' } },
        { build: 'cornerstone', decoder: 'OpenJPEG, cornerstone build', env: { DICOMFLOW_OPENJPEG: 'cornerstone' } },
      ]
    : [
        { build: 'own', decoder: "CharLS 2.0.0 + dicomflow's patch, own build (the default)", env: { DICOMFLOW_CHARLS: 'own' } },
        { build: 'cornerstone', decoder: 'CharLS 2.4.4, cornerstone build', env: { DICOMFLOW_CHARLS: 'cornerstone' } },
      ];

// ------------------------------------------------------------------ measure

/** Reads the files once so that neither side pays for a cold page cache. */
function warmCache(files) {
  for (const f of files) readFileSync(f);
}

function codecOnly(c, v) {
  warmCache(c.files);
  const args = ['--repeat', '1', ...(c.atLeast ? ['--at-least', c.atLeast] : []), ...c.files];
  return child('./codec-run.mjs', args, { env: v.env }).throughputFramesPerSecond;
}

/**
 * The pipeline is timed over whole passes of at least this long: one pass of 96 J2K frames
 * at 256x256 takes about 0.5 s, and its rate swung from 0.80 to 0.90 of codec-only between
 * two rounds of the same code on a quiet machine.
 */
const PIPELINE_MIN_SECONDS = 3;

function pipeline(c, v) {
  const r = child('./pipeline-run.mjs', ['--workers', String(workers), '--target', c.target, '--subres', 'on', '--voi', VOI, '--min-seconds', String(PIPELINE_MIN_SECONDS), ...c.files], { env: v.env });
  if (r.errors) throw new Error(`${c.name}: dicomflow pipeline (${v.build}) had ${r.errors} error(s)`);
  if (r.frames !== r.passes * c.files.length) throw new Error(`${c.name}: dicomflow pipeline (${v.build}) gave ${r.frames} frames in ${r.passes} pass(es), ${r.passes * c.files.length} expected`);
  return r.framesPerSecond;
}

async function peerRun(c) {
  warmCache([...c.files, c.warmup]);
  const r = await runPeer({ sources: c.files, workers, target: c.target, voi: VOI, batchSize: BATCH, warmup: c.warmup });
  if (r.errors) throw new Error(`${c.name}: the peer had ${r.errors} error(s):\n${r.stderr.trim()}`);
  if (r.frames !== c.files.length) throw new Error(`${c.name}: the peer gave ${r.frames} frames, ${c.files.length} expected`);
  peerVersions = { gdcm: r.gdcm, pydicom: r.pydicom };
  return r.framesPerSecond;
}

let peerVersions = null;
const perRound = [];
const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
for (let round = 0; round < rounds; round++) {
  const t0 = performance.now();
  const data = {};
  for (const c of prepared) {
    const d = { peer: null, codecOnly: {}, pipeline: {} };
    const steps = [];
    // Codec-only right before and right after each pipeline run, their geometric mean the
    // reference: the host's speed drifts from minute to minute, and one codec-only run next to
    // the pipeline put efficiencies anywhere from 0.68 to 1.25 on a slow afternoon.
    const brackets = {};
    for (const v of variantsOf(c)) {
      brackets[v.build] = [];
      steps.push(async () => brackets[v.build].push(codecOnly(c, v)));
      steps.push(async () => (d.pipeline[v.build] = pipeline(c, v)));
      steps.push(async () => brackets[v.build].push(codecOnly(c, v)));
    }
    steps.push(async () => (d.peer = await peerRun(c)));
    if (round % 2 === 1) steps.reverse(); // drift on a shared machine must not favour one side
    for (const step of steps) await step();
    for (const v of variantsOf(c)) d.codecOnly[v.build] = Math.sqrt(brackets[v.build][0] * brackets[v.build][1]);
    d.codecOnlyRuns = brackets;
    data[c.name] = d;
    const parts = variantsOf(c).map((v) => `${v.build}: codec-only ${fmt(d.codecOnly[v.build])} (${d.codecOnlyRuns[v.build].map(fmt).join(" / ")}), pipeline ${fmt(d.pipeline[v.build])} (x${(d.pipeline[v.build] / d.peer).toFixed(2)}, eff ${(d.pipeline[v.build] / (workers * d.codecOnly[v.build])).toFixed(3)})`);
    process.stderr.write(`peer-decode: round ${round + 1}/${rounds} ${c.name}: peer ${fmt(d.peer)} frames/s; ${parts.join('; ')}\n`);
  }
  const seconds = (performance.now() - t0) / 1000;
  perRound.push({ seconds, data });
  if (round === 0 && rounds > 1) process.stderr.write(`peer-decode: round 1 took ${seconds.toFixed(0)} s; ${rounds} rounds about ${((seconds * rounds) / 60).toFixed(1)} min\n`);
}

// ------------------------------------------------------------------ report

const r3 = (v) => Number(v.toFixed(3));
const results = [];
for (const c of prepared) {
  const rs = perRound.map((r) => r.data[c.name]);
  for (const v of variantsOf(c)) {
    const ratios = rs.map((r) => r.pipeline[v.build] / r.peer);
    const eff = rs.map((r) => r.pipeline[v.build] / (workers * r.codecOnly[v.build]));
    results.push({
      case: c.name,
      build: v.build,
      decoder: v.decoder,
      env: v.env,
      codecOnlyFramesPerSecond: median(rs.map((r) => r.codecOnly[v.build])),
      codecOnlyBeforeAfterPerRound: rs.map((r) => r.codecOnlyRuns[v.build].map(r3)),
      pipelineFramesPerSecond: median(rs.map((r) => r.pipeline[v.build])),
      peerFramesPerSecond: median(rs.map((r) => r.peer)),
      ratio: median(ratios),
      ratioPerRound: ratios.map(r3),
      efficiency: median(eff),
      efficiencyPerRound: eff.map(r3),
    });
  }
}

const find = (name, build) => results.find((r) => r.case === name && r.build === build);
const MUST = [
  { line: 'jpegls-2048-to-256 ratio >= 2 (default build)', case: 'jpegls-2048-to-256', build: 'own', field: 'ratio', min: 2 },
  { line: 'j2k-2048-to-256 ratio >= 30 (own build)', case: 'j2k-2048-to-256', build: 'own', field: 'ratio', min: 30 },
  { line: 'j2k-512-full ratio >= 1.0 (own build)', case: 'j2k-512-full', build: 'own', field: 'ratio', min: 1 },
  { line: 'efficiency >= 0.85 at 512: j2k-512-full (own build)', case: 'j2k-512-full', build: 'own', field: 'efficiency', min: 0.85 },
  { line: 'efficiency >= 0.85 at 2048: jpegls-2048-to-256 (default build)', case: 'jpegls-2048-to-256', build: 'own', field: 'efficiency', min: 0.85 },
  { line: 'efficiency >= 0.85 at 2048: j2k-2048-to-256 (own build)', case: 'j2k-2048-to-256', build: 'own', field: 'efficiency', min: 0.85 },
];
const mustHold = MUST.map((m) => {
  const r = find(m.case, m.build);
  if (!r) return { line: m.line, value: null, verdict: 'n/a (case not run)' };
  return { line: m.line, value: r3(r[m.field]), verdict: r[m.field] >= m.min ? 'PASS' : 'FAIL' };
});

const seconds = (performance.now() - started) / 1000;
const path = writeResult('peer-decode', {
  corpus: values.corpus,
  count,
  rounds,
  workers,
  voi: VOI,
  batchSize: BATCH,
  loadAverageAtStart: loadAtStart,
  gdcmconv: gdcmVersion,
  peer: peerVersions,
  cases: prepared.map((c) => ({ name: c.name, transferSyntax: c.syntax, gdcmconv: `gdcmconv ${c.gdcm}`, target: c.target, subResolution: true, codecOnlyAtLeast: c.atLeast, files: c.files.length, megabytes: Number((c.bytes / 1e6).toFixed(1)), image: c.description, codestream: c.codestream })),
  results,
  mustHold,
  perRound,
  seconds,
});

const m = machine();
console.log(`peer-decode: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node}; load average at start ${loadAtStart.join(' ')}`);
console.log(`peer: pydicom ${peerVersions?.pydicom} + GDCM ${peerVersions?.gdcm}, ${workers} processes; dicomflow: ${workers} decode workers; ${count} files per case, ${rounds} round(s), VOI ${VOI}, batches of ${BATCH}`);
console.log(`corpus: GDCM-compressed (${gdcmVersion}) in ${join(values.corpus, 'gdcm')}; lossless checked pixel for pixel against the source`);
for (const c of prepared) console.log(`  ${c.name}: ${ts(c.syntax)} ${c.description.columns}x${c.description.rows} BitsStored ${c.description.bitsStored}${c.description.signed ? ' signed' : ''}, ${(c.bytes / 1e6 / c.files.length).toFixed(2)} MB/file; ${describe(c.codestream, c.j2k)}`);
console.log('');
console.log(
  table(
    ['case', 'dicomflow decoder', `codec-only 1 thread (frames/s)`, `dicomflow pipeline, ${workers} workers (frames/s)`, `peer, ${workers} processes (frames/s)`, 'ratio dicomflow/peer', 'ratio per round', `efficiency pipeline/(${workers} x codec-only)`, 'efficiency per round'],
    results.map((r) => [r.case, r.decoder, fmt(r.codecOnlyFramesPerSecond), fmt(r.pipelineFramesPerSecond), fmt(r.peerFramesPerSecond), r.ratio.toFixed(2), r.ratioPerRound.map((v) => v.toFixed(2)).join(' '), r.efficiency.toFixed(3), r.efficiencyPerRound.map((v) => v.toFixed(3)).join(' ')]),
  ),
);
console.log('\nframes/s: medians of rounds; ratio and efficiency: medians of per-round ratios. codec-only: throughput (frames over the sum of their decode times), the geometric mean of a run right before and one right after the pipeline, at the resolution the pipeline decodes at (sub-resolution for j2k-2048-to-256).');
console.log('\nmust hold:');
for (const h of mustHold) console.log(`  ${h.verdict === 'PASS' || h.verdict === 'FAIL' ? h.verdict : 'n/a '}  ${h.line}${h.value !== null ? ` (${h.value})` : ` ${h.verdict}`}`);
console.log(`\n${seconds.toFixed(0)} s in all. JSON: ${path}`);
