/**
 * The fuzz pass: seeded mutants of every fixture through the reader (what
 * `inspect` does) and through the whole decode pool (what `ingest` does, with
 * decoders reused across frames and files), with differential checks:
 * - every frame the pool delivers equals the same frame decoded alone by a
 *   fresh decoder (a WebAssembly instance of its own, no earlier frame behind it);
 * - two different codestreams with byte-identical output are confirmed by fresh decoders;
 * - every mutant gives frames or DF_ERR_* records naming file and stage (and frame
 *   where a frame failed); never DF_ERR_INTERNAL, an exception, a dead worker or a hang.
 * Used by test/fuzz/fuzz.test.ts (a seeded pass in CI) and bench/fuzz.mjs (10,000+).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshCodecFor } from '../../../dist/codecs/index.js';
import { defaults } from '../../../dist/config/schema.js';
import { preprocessSpec } from '../../../dist/config/preprocess.js';
import { decodeFrame } from '../../../dist/decode/decode-frame.js';
import { DecodePool } from '../../../dist/decode/pool.js';
import { readDicom } from '../../../dist/dicom/reader.js';
import { createPipeline } from '../../../dist/pipeline/index.js';
import { listFiles } from '../../../dist/sources/files.js';
import { scanItem } from '../../../dist/dicom/scan.js';
import { encodeFrame } from '../../../dist/synth/encode.js';
import { writePart10 } from '../../../dist/synth/part10.js';
import { TransferSyntax } from '../../../dist/dicom/transfer-syntax.js';
import { mutate } from './mutate.mjs';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** Stored values as float32 at full size (colour as luma): what the pool and the fresh decoder are compared on. */
function fuzzConfig(workers, timeoutMs) {
  const config = defaults();
  config.decode.workers = workers;
  config.decode.timeoutMs = timeoutMs;
  Object.assign(config.preprocess, { target: null, voi: 'none', modalityLut: false, invertMonochrome1: false, output: 'float32', channels: 1 });
  config.pipeline.shuffleBuffer = 0;
  return config;
}

/** Small HTJ2K files made with the project's own OpenJPH encoder and writer: no independent tool writes HTJ2K. */
async function htj2kSeeds() {
  const out = [];
  for (const [frames, w, h] of [
    [1, 48, 40],
    [2, 33, 17],
  ]) {
    const layout = { width: w, height: h, bitsStored: 12, signed: false, samples: 1 };
    const fr = [];
    for (let f = 0; f < frames; f++) fr.push(await encodeFrame(Uint16Array.from({ length: w * h }, (_, i) => (i * 31 + f * 977 + ((i * i) % 89)) & 0xfff), layout, 'htj2k', { lossless: true }));
    const ids = { patientId: 'FUZZ', studyInstanceUid: '2.25.1', seriesInstanceUid: '2.25.2', sopInstanceUid: `2.25.3${frames}` };
    const bytes = writePart10(
      { transferSyntax: TransferSyntax.HTJ2KLossless, rows: h, columns: w, frames, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, photometric: 'MONOCHROME2', ids },
      fr,
    );
    out.push({ name: `htj2k_u12_mf${frames}`, bytes });
  }
  return out;
}

/** Every committed fixture (test/fixtures and test/fixtures/classes) plus the HTJ2K seeds. */
export async function seedFiles() {
  const seeds = [];
  for (const dir of ['test/fixtures', 'test/fixtures/classes']) {
    let names = [];
    try {
      names = readdirSync(join(ROOT, dir)).filter((n) => n.endsWith('.dcm')).sort();
    } catch {
      continue;
    }
    for (const n of names) seeds.push({ name: n.replace(/\.dcm$/, ''), bytes: new Uint8Array(readFileSync(join(ROOT, dir, n))) });
  }
  return [...seeds, ...(await htj2kSeeds())];
}

/** Writes mutants 0..count-1 (round-robin over the seeds) into `dir`; returns their provenance. */
export function writeMutants(seeds, { seed, count, first = 0, dir }) {
  mkdirSync(dir, { recursive: true });
  const made = [];
  for (let i = first; i < first + count; i++) {
    const s = seeds[i % seeds.length];
    const m = mutate(s.bytes, seed, i);
    const file = join(dir, `m${String(i).padStart(6, '0')}-${s.name}.dcm`);
    writeFileSync(file, m.bytes);
    made.push({ file, seed: s.name, mutations: m.mutations });
  }
  return made;
}

const sha = (data) => createHash('sha1').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(Object.assign(new Error(`hang: ${what} took over ${ms} ms`), { hang: true })), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/** A record is well-formed when it is typed, says where, and is not an internal error. */
function recordProblem(r) {
  if (typeof r.code !== 'string' || !/^DF_(ERR|WARN)_[A-Z0-9_]+$/.test(r.code)) return `untyped code ${r.code}`;
  if (r.code === 'DF_ERR_INTERNAL') return `internal error: ${r.message}`;
  if (!r.file) return 'no file';
  if (!r.stage) return 'no stage';
  if (r.stage === 'decode' && typeof r.frame !== 'number') return 'a decode record without its frame';
  return null;
}

/** A report with every counter at zero: one pass's, or the sum of many (bench/fuzz.mjs). */
export function emptyReport(mutants = 0) {
  return {
    mutants,
    reader: { ok: 0, failed: 0, byCode: {} },
    pool: { frames: 0, framesFromFiles: 0, failedFiles: 0, errors: 0, warnings: 0, byCode: {} },
    differential: { compared: 0, mismatches: 0, identicalOutputsFromDifferentCodestreams: 0, identicalConfirmedByFreshDecoder: 0 },
    crashes: 0,
    hangs: 0,
    problems: [],
  };
}

/**
 * Runs the pass over the mutants in `dir`. Returns counts; `problems` lists
 * everything that broke a rule (empty when the pass is clean).
 */
export async function fuzzPass({ dir, workers = 2, timeoutMs = 10_000, hangMs = 60_000, onProgress = () => {} }) {
  const listing = await listFiles([dir]);
  const items = listing.items;
  const report = emptyReport(items.length);
  const count = (o, code) => (o[code] = (o[code] ?? 0) + 1);

  // 1. The reader, as inspect runs it.
  const parse = defaults().parse;
  for (const [i, item] of items.entries()) {
    try {
      const r = await withTimeout(scanItem(item, parse), hangMs, `reading ${item.id}`);
      if (r.error) {
        report.reader.failed++;
        count(report.reader.byCode, r.error.code);
        const p = recordProblem({ code: r.error.code, message: r.error.message, file: r.error.where.file, stage: r.error.where.stage ?? 'parse', frame: r.error.where.frame ?? null });
        if (p) report.problems.push(`reader, ${item.id}: ${p}`);
      } else report.reader.ok++;
    } catch (err) {
      if (err.hang) report.hangs++;
      else report.crashes++;
      report.problems.push(`reader, ${item.id}: ${err.hang ? '' : 'uncaught '}${err.message}`);
    }
    if (i % 100 === 99) onProgress(`reader ${i + 1}/${items.length}`);
  }

  // 2. The decode pool, as ingest runs it: several files at once, decoders reused.
  const config = fuzzConfig(workers, timeoutMs);
  const spec = preprocessSpec(config.preprocess);
  const records = new Map(items.map((it) => [it.id, []]));
  const delivered = new Map(items.map((it) => [it.id, []]));
  const pool = new DecodePool({ workers, timeoutMs });
  const onRecord = (r) => {
    records.get(r.file)?.push(r);
    const p = recordProblem(r);
    if (p) report.problems.push(`pool, ${r.file}: ${p}`);
    if (r.code === 'DF_ERR_DECODE_WORKER') report.crashes++;
    if (r.code === 'DF_ERR_DECODE_TIMEOUT') report.hangs++;
  };
  const pipeline = createPipeline(config, { items, pool, onError: onRecord, onWarning: onRecord });
  try {
    let n = 0;
    await withTimeout(
      (async () => {
        for await (const s of pipeline.samples()) {
          delivered.get(s.id.file).push({ frame: s.id.frame, hash: sha(s.data), shape: s.shape.join('x') });
          if (++n % 200 === 0) onProgress(`pool ${n} frames`);
        }
      })(),
      hangMs * 10,
      'the pool pass',
    );
  } catch (err) {
    if (err.hang) report.hangs++;
    else report.crashes++;
    report.problems.push(`pool: ${err.hang ? '' : 'uncaught '}${err.message}`);
  } finally {
    await pool.close();
  }
  for (const it of items) {
    const recs = records.get(it.id);
    const frames = delivered.get(it.id);
    report.pool.frames += frames.length;
    if (frames.length > 0) report.pool.framesFromFiles++;
    for (const r of recs) {
      if (r.severity === 'warning') report.pool.warnings++;
      else report.pool.errors++;
      count(report.pool.byCode, r.code);
    }
    if (frames.length === 0 && !recs.some((r) => r.severity !== 'warning')) report.problems.push(`pool, ${it.id}: no frame and no error record`);
    if (recs.some((r) => r.severity !== 'warning') && frames.length === 0) report.pool.failedFiles++;
  }

  // 3. Differential: each delivered frame decoded alone by a fresh decoder.
  const byHash = new Map();
  let done = 0;
  for (const it of items) {
    const frames = delivered.get(it.id);
    if (frames.length === 0) continue;
    const want = new Map(frames.map((f) => [f.frame, f]));
    const reader = readDicom([new Uint8Array(readFileSync(it.id))], { file: it.id });
    let compared = 0;
    try {
      const d = await reader.header();
      for await (const f of reader.frames()) {
        const got = want.get(f.index);
        if (!got) continue;
        compared++;
        const codestream = sha(f.bytes);
        const task = { bytes: f.bytes, description: d, spec, frameIndex: f.index, file: it.id, subResolution: false, partial: 'error' };
        const fresh = await decodeFrame(task, freshCodecFor(d.transferSyntax));
        report.differential.compared++;
        const freshHash = fresh.ok ? sha(fresh.data) : `error ${fresh.error.code}`;
        if (freshHash !== got.hash) {
          report.differential.mismatches++;
          report.problems.push(`differential, ${it.id} frame ${f.index}: the pool gave ${got.hash.slice(0, 12)}, a fresh decoder ${freshHash.slice(0, 18)}`);
        }
        const seen = byHash.get(got.hash);
        if (seen && seen.codestream !== codestream) {
          report.differential.identicalOutputsFromDifferentCodestreams++;
          if (freshHash === got.hash && seen.freshHash === got.hash) report.differential.identicalConfirmedByFreshDecoder++;
          else report.problems.push(`differential, ${it.id} frame ${f.index} and ${seen.where}: identical output from different codestreams, not what fresh decoders give`);
        } else if (!seen) byHash.set(got.hash, { codestream, freshHash, where: `${it.id} frame ${f.index}` });
      }
    } catch {
      // A damaged file fails after its good frames, here as in the pool; those were compared.
    } finally {
      await reader.close();
    }
    if (compared !== frames.length) report.problems.push(`differential, ${it.id}: the pool delivered ${frames.length} frame(s), reading the file again gave ${compared} of them`);
    if (++done % 200 === 0) onProgress(`differential ${done} files`);
  }
  return report;
}
