#!/usr/bin/env node
// Generates a benchmark corpus of synthetic DICOM files: chest CT slices
// (512x512, signed 16-bit HU) and chest radiographs (2048x2048, 12-bit), each
// encoded with every requested codec, plus corpus.json describing them.
// The pixels of file N of a kind are the same for every codec, so codecs are
// compared on identical images. Files already made with the same parameters
// are kept (corpus.json records a key per file), so reruns are fast.
//
//   node bench/lib/corpus.mjs --out DIR [--kind ct|radiograph|both] [--codec j2k|htj2k|jpegls|all]
//                             [--count N] [--seed S] [--mode lossless|lossy|both]
//
// Needs the build (npx tsc -p .): it imports dist/synth/index.js.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/** Bump when the same parameters would produce different files (phantom, encoder or writer changes). */
export const CORPUS_VERSION = 1;
export const KINDS = ['ct', 'radiograph'];
export const CODECS = ['j2k', 'htj2k', 'jpegls'];
export const MODES = ['lossless', 'lossy'];

let synth;
async function loadSynth() {
  if (synth) return synth;
  const url = new URL('../../dist/synth/index.js', import.meta.url);
  if (!existsSync(url)) throw new Error('bench/lib/corpus: dist/synth/index.js is missing; build first (npx tsc -p .)');
  const { syntaxInfo } = await import(new URL('../../dist/dicom/transfer-syntax.js', import.meta.url).href);
  synth = { ...(await import(url.href)), syntaxName: (uid) => syntaxInfo(uid)?.name ?? uid };
  return synth;
}

/**
 * What one kind of image is: its pixels for a seed, and how it is described.
 * Half the images get a lesion (label 1), so the corpus can feed a training
 * run as well as a decode benchmark.
 */
function kindSpec(s, kind, size) {
  if (kind === 'ct') {
    return {
      prefix: `ct${size}`,
      layout: { width: size, height: size, bitsStored: 16, signed: true, samples: 1 },
      part10: { bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, rescaleIntercept: 0, rescaleSlope: 1, windowCenter: 40, windowWidth: 400, modality: 'CT' },
      make(seed) {
        const rng = s.createRandom(s.deriveSeed(seed, 'corpus-lesion'));
        const lesion = s.randomLungLesion(rng, size, { probability: 0.5, radius: [5, 14], contrastHU: [800, 900] });
        return { pixels: s.ctSlice({ size, seed, lesion }), lesion };
      },
    };
  }
  return {
    prefix: `cxr${size}`,
    layout: { width: size, height: size, bitsStored: 12, signed: false, samples: 1 },
    part10: { bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, windowCenter: 2048, windowWidth: 4096, modality: 'DX' },
    make(seed) {
      const rng = s.createRandom(s.deriveSeed(seed, 'corpus-lesion'));
      const side = rng.next() < 0.5 ? -1 : 1;
      const lesion =
        rng.next() < 0.5
          ? { x: (0.5 + side * 0.22 + rng.range(-0.05, 0.05)) * size, y: rng.range(0.3, 0.55) * size, radius: rng.range(0.01, 0.025) * size, contrast: rng.range(150, 300) }
          : null;
      return { pixels: s.radiograph({ width: size, height: size, bits: 12, seed, lesion }), lesion };
    },
  };
}

const round = (n, d = 3) => Number(n.toFixed(d));

/**
 * Makes (or reuses) the corpus in `out` and returns this run's entries.
 * corpus.json lists every file the generator has made in `out`.
 *
 * @example
 *   const files = await makeCorpus({ out: '/tmp/corpus', kinds: ['radiograph'], codecs: ['htj2k'], count: 2 });
 *   files[0].file; // 'cxr2048_htj2k_lossless_0001.dcm'
 */
export async function makeCorpus({
  out,
  kinds = KINDS,
  codecs = CODECS,
  modes = ['lossless'],
  count = 4,
  seed = 1,
  ctSize = 512,
  cxrSize = 2048,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  const s = await loadSynth();
  if (!out) throw new Error('makeCorpus: out (the corpus folder) is required');
  mkdirSync(out, { recursive: true });
  const manifestPath = join(out, 'corpus.json');
  const previous = readManifest(manifestPath);

  const plan = [];
  for (const kind of kinds) {
    const spec = kindSpec(s, kind, kind === 'ct' ? ctSize : cxrSize);
    for (let i = 1; i <= count; i++) {
      for (const codec of codecs) {
        for (const mode of modes) plan.push({ kind, spec, index: i, codec, mode });
      }
    }
  }

  const entries = [];
  const images = new Map(); // one phantom per kind and index, shared by its codecs
  let made = 0;
  for (const [n, p] of plan.entries()) {
    const pixelSeed = s.deriveSeed(seed, `${p.kind}/${p.index}`);
    const options = p.mode === 'lossless' ? { lossless: true } : p.codec === 'jpegls' ? { lossless: false, nearLossless: 2 } : { lossless: false, ratio: 10 };
    const file = `${p.spec.prefix}_${p.codec}_${p.mode}_${String(p.index).padStart(4, '0')}.dcm`;
    const key = createHash('sha1')
      .update(JSON.stringify({ v: CORPUS_VERSION, kind: p.kind, layout: p.spec.layout, part10: p.spec.part10, codec: p.codec, options, pixelSeed }))
      .digest('hex');
    const path = join(out, file);
    const old = previous.get(file);
    const progress = `corpus: [${n + 1}/${plan.length}] ${file}`;
    if (old && old.key === key && existsSync(path) && statSync(path).size === old.bytes) {
      entries.push(old);
      log(`${progress} cached`);
      continue;
    }

    const imageKey = `${p.kind}/${p.index}`;
    let image = images.get(imageKey);
    let phantomMs = 0;
    if (!image) {
      const t = performance.now();
      image = p.spec.make(pixelSeed);
      phantomMs = performance.now() - t;
      images.clear(); // keep one image in memory: the plan visits all codecs of an image in a row
      images.set(imageKey, image);
    }
    const encodingPlan = s.planEncoding(p.spec.layout, p.codec, options);
    const t = performance.now();
    const codestream = await s.encodeFrame(image.pixels, p.spec.layout, p.codec, options);
    const encodeMs = performance.now() - t;
    const { width, height, bitsStored, signed } = p.spec.layout;
    const ids = {
      patientId: `SYN-${p.kind.toUpperCase()}-${String(p.index).padStart(4, '0')}`,
      studyInstanceUid: s.makeUid(`corpus/${pixelSeed}/study`),
      seriesInstanceUid: s.makeUid(`corpus/${pixelSeed}/series/${p.codec}/${p.mode}`),
      sopInstanceUid: s.makeUid(`corpus/${key}`),
    };
    const tmp = `${path}.tmp-${process.pid}`;
    // Write then rename: an interrupted run leaves no half file that looks finished.
    const bytes = await s.writePart10File(
      tmp,
      { ...p.spec.part10, transferSyntax: encodingPlan.transferSyntax, rows: height, columns: width, samplesPerPixel: 1, photometric: encodingPlan.photometric, patientName: 'Synthetic^Phantom', ids },
      [codestream],
    );
    renameSync(tmp, path);
    const nativeBytes = width * height * 2;
    const entry = {
      file,
      kind: p.kind,
      codec: p.codec,
      mode: p.mode,
      index: p.index,
      transferSyntax: encodingPlan.transferSyntax,
      transferSyntaxName: s.syntaxName(encodingPlan.transferSyntax),
      rows: height,
      columns: width,
      bitsStored,
      signed,
      photometric: encodingPlan.photometric,
      bytes,
      encodedBytes: codestream.length,
      nativeBytes,
      ratio: round(nativeBytes / codestream.length),
      pixelSeed,
      label: image.lesion ? 1 : 0,
      // Unrounded, so ctSlice/radiograph({ seed: pixelSeed, lesion }) regenerates the exact pixels.
      lesion: image.lesion,
      key,
    };
    entries.push(entry);
    made++;
    const mb = (bytes / 1e6).toFixed(2);
    log(`${progress} ${mb} MB, ratio ${entry.ratio} (${phantomMs ? `phantom ${(phantomMs / 1000).toFixed(2)} s, ` : ''}encode ${(encodeMs / 1000).toFixed(2)} s)`);
  }

  // The manifest keeps entries of earlier runs whose files are still there.
  const all = new Map([...previous].filter(([file]) => existsSync(join(out, file))));
  for (const e of entries) all.set(e.file, e);
  const manifest = {
    corpus: 'dicomflow-synth',
    version: CORPUS_VERSION,
    note: 'synthetic phantoms; ratio = 16-bit native bytes / codestream bytes; label 1 = has a lesion',
    files: [...all.values()].sort((a, b) => a.file.localeCompare(b.file)),
  };
  writeFileSync(`${manifestPath}.tmp-${process.pid}`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${manifestPath}.tmp-${process.pid}`, manifestPath);
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  log(`corpus: ${entries.length} files (${made} made, ${entries.length - made} cached), ${(total / 1e6).toFixed(1)} MB in ${resolve(out)}; listed in corpus.json`);
  return entries;
}

function readManifest(path) {
  if (!existsSync(path)) return new Map();
  try {
    const m = JSON.parse(readFileSync(path, 'utf8'));
    if (m.version !== CORPUS_VERSION || !Array.isArray(m.files)) return new Map();
    return new Map(m.files.map((e) => [e.file, e]));
  } catch {
    return new Map(); // unreadable: regenerate everything
  }
}

function parseCli(argv) {
  const fail = (message) => {
    throw Object.assign(new Error(message), { usage: true });
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        kind: { type: 'string', default: 'both' },
        codec: { type: 'string', default: 'all' },
        mode: { type: 'string', default: 'lossless' },
        count: { type: 'string', default: '4' },
        seed: { type: 'string', default: '1' },
      },
    }));
  } catch (err) {
    fail(err.message); // unknown flag, missing value
  }
  if (!values.out) fail('--out DIR is required');
  const pick = (flag, value, all, allWord) => {
    if (value === allWord) return all;
    if (!all.includes(value)) fail(`--${flag} must be one of ${[...all, allWord].join(', ')} (got ${value})`);
    return [value];
  };
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1) fail(`--count must be a positive integer (got ${values.count})`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be a non-negative integer (got ${values.seed})`);
  return {
    out: values.out,
    kinds: pick('kind', values.kind, KINDS, 'both'),
    codecs: pick('codec', values.codec, CODECS, 'all'),
    modes: pick('mode', values.mode, MODES, 'both'),
    count,
    seed,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await makeCorpus(parseCli(process.argv.slice(2)));
  } catch (err) {
    process.stderr.write(`bench/lib/corpus: ${err.message}\n`);
    if (err.usage) process.stderr.write('usage: node bench/lib/corpus.mjs --out DIR [--kind ct|radiograph|both] [--codec j2k|htj2k|jpegls|all] [--count N] [--seed S] [--mode lossless|lossy|both]\n');
    process.exit(err.usage ? 2 : 1);
  }
}
