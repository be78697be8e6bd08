/**
 * `dicomflow explain` as a function: saliency maps for every frame the
 * sources give, with the checkpoint's model and preprocessing, written as
 * OUT/<stem>.f<frame>.<method>.{npy,png}, one line per frame and method in
 * OUT/explain.jsonl, and the contact sheet OUT/index.html. With `check`, the
 * measured checks (pointing game against ground-truth findings, weight
 * randomisation, deletion and insertion) go to OUT/checks.json and the sheet.
 *
 * @example
 *   const { config } = loadConfig(null, { 'sources.sample': true });
 *   const s = await explain(config, { checkpoint: 'runs/a', out: 'explain/', methods: ['gradcam', 'smoe'], check: true, subset: 'validation' });
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PipelineConfig } from '../config/schema.js';
import { ExplainError } from '../errors.js';
import { createPipeline, type Batch, type ErrorRecord } from '../pipeline/index.js';
import { fitInside } from '../preprocess/resize.js';
import { resolveSources } from '../sources/index.js';
import type { SourceItem } from '../sources/item.js';
import { errorRecord } from '../pipeline/samples.js';
import { npyBytes } from '../cli/npy.js';
import { openForScoring } from '../train/predict.js';
import { splitItems } from '../train/split.js';
import { anatomy, type ModelAnatomy } from './anatomy.js';
import { blurImage, deletionInsertion, hits, peakOf, randomizedCopy, randomMap, randomPointHitRate, spearman, type Finding } from './checks.js';
import { DEFAULT_METHOD_OPTIONS, METHODS, saliency, type Method, type MethodOptions } from './methods.js';
import { contactSheet, overlayPng, type SheetFrame } from './render.js';

export interface ExplainLine {
  file: string;
  frame: number;
  label?: string;
  score: number;
  method: Method;
  /** File names inside OUT. */
  map: string;
  png: string;
  /** The map's peak in the source frame's pixels [row, col] (model-input pixels when the frame size is unknown: dataset sources). */
  peak: [number, number];
  /** Milliseconds per image for this method (its batch's time / batch size). */
  ms: number;
  /** "trained", or "randomized" for the maps of the re-initialised model. */
  weights: 'trained' | 'randomized';
}

export interface CheckOptions {
  /** Ground truth: JSON {"files": {"<path>": [{"row", "col", "radius"}]}}, paths relative to the file; default: the sample task's sidecar when sources.sample. */
  truth?: string | null;
  /** Pointing-game tolerance in source-frame pixels, added to each finding's radius. */
  tolerance?: number;
  /** Deletion/insertion steps. */
  steps?: number;
  /** What deleted pixels become: a value, or 'blur' (the blurred image insertion starts from). Default 'blur': zeros (Petsiuk et al.'s choice) make dark holes the model reacts to as to new structure. */
  deletionBaseline?: number | 'blur';
}

export interface ExplainOptions {
  checkpoint: string;
  out: string;
  methods?: readonly Method[];
  methodOptions?: Partial<MethodOptions>;
  /** Also write the maps of the model with every weighted layer re-initialised (top layer down). */
  randomizeWeights?: boolean;
  /** Run the checks (implies computing the randomised maps). */
  check?: boolean | CheckOptions;
  /** 'validation': only the files the checkpoint's training held out (its split recomputed). */
  subset?: 'all' | 'validation';
  /** Grad-CAM's layer by name (default: the last spatial layer with a single path to the output). */
  camLayer?: string | null;
  /** Use the backend already set (inside a training run) instead of selecting train.backend. */
  keepBackend?: boolean;
  /** Seed for the randomised weights (and the random baselines). */
  seed?: number;
  preprocessOverrides?: Partial<PipelineConfig['preprocess']>;
  items?: SourceItem[];
  onLog?(line: string): void;
  onError?(r: ErrorRecord): void;
  onWarning?(r: ErrorRecord): void;
  onProgress?(done: number, total: number): void;
  onResult?(line: ExplainLine): void;
}

export interface MethodFigures {
  /** Median over batches of milliseconds per image. */
  msPerImage: number;
  pointing?: { hits: number; n: number; rate: number };
  /** Spearman rank correlation of trained against randomised maps: mean over frames. */
  spearman?: { mean: number; median: number; n: number };
  deletion?: number;
  insertion?: number;
}

export interface ExplainSummary {
  frames: number;
  errors: number;
  out: string;
  checkpoint: string;
  backend: string;
  methods: Method[];
  camLayer: string;
  scaleLayers: string[];
  figures: Partial<Record<Method, MethodFigures>>;
  baselines?: { centre: { hits: number; n: number; rate: number }; random: { rate: number; n: number }; deletion: number; insertion: number };
  /** Frames with ground truth (positives with findings) the pointing game and curves used. */
  checked?: number;
  tolerance?: number;
}

const median = (v: number[]) => {
  if (v.length === 0) return Number.NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN);

/** Reads a ground-truth file into absolute path -> findings. */
export function readTruth(path: string): Map<string, Finding[]> {
  let json: { files?: Record<string, unknown> };
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ExplainError(`cannot read ground truth ${path}: ${(err as Error).message}`, { stage: 'train', file: path }, { cause: err });
  }
  if (!json || typeof json.files !== 'object' || json.files === null) throw new ExplainError(`ground truth ${path} must be {"files": {"<path>": [{"row", "col", "radius"}]}}`, { stage: 'train', file: path });
  const out = new Map<string, Finding[]>();
  for (const [file, list] of Object.entries(json.files)) {
    if (!Array.isArray(list) || !list.every((f) => f && [f.row, f.col, f.radius].every((v) => typeof v === 'number' && Number.isFinite(v)))) {
      throw new ExplainError(`ground truth ${path}: "${file}" must be a list of {"row", "col", "radius"} numbers`, { stage: 'train', file: path, field: file });
    }
    out.set(isAbsolute(file) || /^https?:/.test(file) ? file : resolve(dirname(path), file), list as Finding[]);
  }
  return out;
}

/** A file-name stem unique within this run: the file's base name, characters outside [A-Za-z0-9._-] replaced. */
function stemmer() {
  const used = new Map<string, string>();
  const taken = new Set<string>();
  return (file: string) => {
    const known = used.get(file);
    if (known) return known;
    const base = (basename(file.split('?')[0]!).replace(/\.dcm$/i, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'frame').slice(0, 80);
    let stem = base;
    for (let n = 2; taken.has(stem); n++) stem = `${base}-${n}`;
    taken.add(stem);
    used.set(file, stem);
    return stem;
  };
}

/** Model-input pixel [row, col] -> source-frame pixel, undoing the resize (stretch or pad). */
function toFramePixels(p: [number, number], model: [number, number], frame: [number, number] | null, fit: string): [number, number] {
  if (!frame) return p;
  const [h, w] = model;
  const [rows, cols] = frame;
  const place = fit === 'pad' ? fitInside(rows, cols, h, w) : { height: h, width: w, top: 0, left: 0 };
  const r = Math.min(place.height - 1, Math.max(0, p[0] - place.top));
  const c = Math.min(place.width - 1, Math.max(0, p[1] - place.left));
  return [((r + 0.5) * rows) / place.height - 0.5, ((c + 0.5) * cols) / place.width - 0.5];
}

function groupOf(label: string | undefined, score: number): SheetFrame['group'] | undefined {
  if (label === undefined) return undefined;
  const y = Number(label);
  if (y !== 0 && y !== 1) return undefined;
  const p = score >= 0.5;
  return y === 1 ? (p ? 'true positive' : 'false negative') : p ? 'false positive' : 'true negative';
}

interface Run {
  a: ModelAnatomy;
  weights: 'trained' | 'randomized';
}

/** Explains every frame; see the file comment. */
export async function explain(config: PipelineConfig, o: ExplainOptions): Promise<ExplainSummary> {
  const log = o.onLog ?? (() => {});
  const methods = [...(o.methods ?? METHODS)];
  for (const m of methods) if (!METHODS.includes(m)) throw new ExplainError(`unknown method "${m}" (methods: ${METHODS.join(', ')})`, { stage: 'config', field: 'method' });
  const mo: MethodOptions = {
    smoothgrad: { ...DEFAULT_METHOD_OPTIONS.smoothgrad, ...(o.methodOptions?.smoothgrad ?? {}) },
    integratedGradients: { ...DEFAULT_METHOD_OPTIONS.integratedGradients, ...(o.methodOptions?.integratedGradients ?? {}) },
    smoeEpsilon: o.methodOptions?.smoeEpsilon ?? DEFAULT_METHOD_OPTIONS.smoeEpsilon,
  };
  const check: CheckOptions | null = o.check ? (o.check === true ? {} : o.check) : null;
  const seed = o.seed ?? 1;
  const { ck, config: c, backend } = await openForScoring(config, o);
  const models: tf.LayersModel[] = [ck.model];
  try {
    // Items: as given, or from the sources; the validation subset recomputes the training split.
    let items = o.items;
    let listingErrors = 0;
    if (!items && c.sources.dataset !== null) throw new ExplainError('explain reads DICOM sources; a dicomflow dataset does not keep the frames\' geometry (name the DICOM files instead)', { stage: 'config', field: 'sources.dataset' });
    if (!items) {
      const listing = await resolveSources(c.sources);
      for (const p of listing.problems) o.onError?.(errorRecord(p, p.where.file ?? ''));
      listingErrors += listing.problems.length;
      items = listing.items;
    }
    if (o.subset === 'validation') {
      const s = ck.state.split ?? { by: c.train.splitBy, fraction: c.train.validationFraction, seed: c.train.seed };
      const split = await splitItems(items, { by: s.by as 'patient' | 'study', fraction: s.fraction, seed: s.seed, parse: c.parse });
      for (const p of split.problems) o.onError?.(errorRecord(p, p.where.file ?? ''));
      listingErrors += split.problems.length;
      log(`subset: the ${split.val.length} validation file(s) of the checkpoint's split (${split.method}${ck.state.split ? '' : '; the checkpoint does not record its split, so the configuration\'s'})`);
      items = split.val;
    }
    let truth: Map<string, Finding[]> | null = null;
    if (check) {
      const path = check.truth ?? (c.sources.sample ? (await import('../synth/sample-task.js').then((m) => m.ensureSampleTask())).lesions : null);
      if (!path) throw new ExplainError('--check needs ground truth: --truth FILE ({"files": {"<path>": [{"row", "col", "radius"}]}}), or the sample task', { stage: 'config', field: 'truth' });
      truth = readTruth(path);
      log(`ground truth: ${path} (${truth.size} file(s))`);
    }

    const trained = anatomy(ck.model, { camLayer: o.camLayer ?? null });
    log(`model: Grad-CAM at ${trained.camLayer}; SMOE at ${trained.scaleLayers.join(', ')}`);
    const runs: Run[] = [{ a: trained, weights: 'trained' }];
    if (o.randomizeWeights || check) {
      const r = await randomizedCopy(ck.model, seed);
      models.push(r);
      runs.push({ a: anatomy(r, { camLayer: o.camLayer ?? null }), weights: 'randomized' });
    }
    mkdirSync(o.out, { recursive: true });
    if (o.randomizeWeights) mkdirSync(join(o.out, 'randomized'), { recursive: true });
    const jsonl: string[] = [];
    const sheet: SheetFrame[] = [];
    const sheetRandom: SheetFrame[] = [];
    const stem = stemmer();
    const [h, w, ch] = trained.input;
    const times = new Map<Method, number[]>(methods.map((m) => [m, []]));
    const pointing = new Map<Method, boolean[]>(methods.map((m) => [m, []]));
    const rho = new Map<Method, number[]>(methods.map((m) => [m, []]));
    const curves = new Map<Method, { deletion: number[]; insertion: number[] }>(methods.map((m) => [m, { deletion: [], insertion: [] }]));
    const base = { centre: [] as boolean[], random: [] as number[], deletion: [] as number[], insertion: [] as number[] };
    const tolerance = check?.tolerance ?? 3;
    const steps = check?.steps ?? 16;
    const deletionBaseline = check?.deletionBaseline ?? 'blur';

    const pipeline = createPipeline(c, { items, ...(o.onError ? { onError: o.onError } : {}), ...(o.onWarning ? { onWarning: o.onWarning } : {}) });
    const labels = new Map(items.map((i) => [i.id, i.label]));
    const total = items.length;
    const files = new Set<string>();
    let frames = 0;
    const onBatch = async (b: Batch) => {
      const xs = tf.tensor4d(b.xs, b.shape);
      try {
        const scores = tf.tidy(() => (ck.model.predict(xs) as tf.Tensor).dataSync());
        // maps[run][method] = Float32Array of N x h x w
        const maps: Map<Method, Float32Array>[] = [];
        for (const run of runs) {
          const per = new Map<Method, Float32Array>();
          for (const m of methods) {
            const t0 = performance.now();
            const t = saliency(run.a, xs, m, mo);
            const data = (await t.data()) as Float32Array;
            t.dispose();
            if (run.weights === 'trained') times.get(m)!.push((performance.now() - t0) / b.shape[0]);
            per.set(m, data);
          }
          maps.push(per);
        }
        const n = h * w;
        for (const [i, id] of b.ids.entries()) {
          const s = stem(id.file);
          const label = labels.get(id.file);
          const frameSize: [number, number] | null = id.rows && id.columns ? [id.rows, id.columns] : null;
          const aspect = c.preprocess.resize === 'pad' || !frameSize ? w / h : frameSize[1] / frameSize[0];
          const image = b.xs.subarray(i * n * ch, (i + 1) * n * ch);
          const findings = truth?.get(id.file) ?? [];
          const checked = check && findings.length > 0;
          // One blurred copy per image, shared by every method's deletion and insertion curves.
          const blurred = checked ? blurImage(image, [h, w, ch]) : undefined;
          for (const [r, run] of runs.entries()) {
            const into = run.weights === 'trained' ? sheet : sheetRandom;
            const row: SheetFrame = { file: id.file, frame: id.frame, score: scores[i]!, pngs: {}, ...(label !== undefined ? { label } : {}) };
            const g = groupOf(label, scores[i]!);
            if (g) row.group = g;
            const write = run.weights === 'trained' || o.randomizeWeights;
            for (const m of methods) {
              const map = maps[r]!.get(m)!.subarray(i * n, (i + 1) * n);
              const peakIn = peakOf(map, w);
              const peak = toFramePixels(peakIn, [h, w], frameSize, c.preprocess.resize);
              if (run.weights === 'trained' && checked) {
                pointing.get(m)!.push(hits(peak, findings, tolerance));
                const cv = deletionInsertion(ck.model, image, [h, w, ch], map, { steps, baseline: deletionBaseline, ...(blurred ? { blurred } : {}) });
                curves.get(m)!.deletion.push(cv.deletion);
                curves.get(m)!.insertion.push(cv.insertion);
              }
              if (run.weights === 'randomized' && check) rho.get(m)!.push(spearman(maps[0]!.get(m)!.subarray(i * n, (i + 1) * n), map));
              if (!write) continue;
              const dir = run.weights === 'trained' ? '' : 'randomized/';
              const name = `${dir}${s}.f${id.frame}.${m}`;
              writeFileSync(join(o.out, `${name}.npy`), npyBytes(new Float32Array(map), [h, w]));
              writeFileSync(join(o.out, `${name}.png`), overlayPng({ image, shape: [h, w, ch], map, aspect, peak: peakIn }));
              // Relative to the sheet's folder (OUT, or OUT/randomized).
              row.pngs[m] = `${s}.f${id.frame}.${m}.png`;
              const line: ExplainLine = {
                file: id.file,
                frame: id.frame,
                ...(label !== undefined ? { label } : {}),
                score: scores[i]!,
                method: m,
                map: `${name}.npy`,
                png: `${name}.png`,
                peak: [Math.round(peak[0] * 10) / 10, Math.round(peak[1] * 10) / 10],
                ms: Math.round(times.get(m)!.at(-1)! * 100) / 100,
                weights: run.weights,
              };
              jsonl.push(JSON.stringify(line));
              o.onResult?.(line);
            }
            if (write) into.push(row);
          }
          if (checked && frameSize) {
            base.centre.push(hits([(frameSize[0] - 1) / 2, (frameSize[1] - 1) / 2], findings, tolerance));
            base.random.push(randomPointHitRate(frameSize[0], frameSize[1], findings, tolerance));
            const cv = deletionInsertion(ck.model, image, [h, w, ch], randomMap(n, seed * 7 + frames), { steps, baseline: deletionBaseline, ...(blurred ? { blurred } : {}) });
            base.deletion.push(cv.deletion);
            base.insertion.push(cv.insertion);
          }
          frames++;
          files.add(id.file);
        }
      } finally {
        xs.dispose();
      }
      o.onProgress?.(files.size, total);
    };
    try {
      for await (const b of pipeline) await onBatch(b);
    } finally {
      await pipeline.close();
    }

    const figures: Partial<Record<Method, MethodFigures>> = {};
    for (const m of methods) {
      const f: MethodFigures = { msPerImage: median(times.get(m)!) };
      if (check) {
        const p = pointing.get(m)!;
        f.pointing = { hits: p.filter(Boolean).length, n: p.length, rate: p.filter(Boolean).length / Math.max(1, p.length) };
        const r = rho.get(m)!.filter((v) => !Number.isNaN(v));
        f.spearman = { mean: mean(r), median: median(r), n: r.length };
        f.deletion = mean(curves.get(m)!.deletion);
        f.insertion = mean(curves.get(m)!.insertion);
      }
      figures[m] = f;
    }
    const summary: ExplainSummary = {
      frames,
      errors: pipeline.stats.errors + listingErrors,
      out: o.out,
      checkpoint: ck.path,
      backend: backend.name,
      methods,
      camLayer: trained.camLayer,
      scaleLayers: trained.scaleLayers,
      figures,
    };
    if (check) {
      summary.baselines = {
        centre: { hits: base.centre.filter(Boolean).length, n: base.centre.length, rate: base.centre.filter(Boolean).length / Math.max(1, base.centre.length) },
        random: { rate: mean(base.random), n: base.random.length },
        deletion: mean(base.deletion),
        insertion: mean(base.insertion),
      };
      summary.checked = base.centre.length;
      summary.tolerance = tolerance;
      if (summary.checked === 0) log('checks: no explained frame has ground-truth findings (pointing game and curves are empty)');
      writeFileSync(join(o.out, 'checks.json'), `${JSON.stringify(summary, null, 2)}\n`);
    }
    writeFileSync(join(o.out, 'explain.jsonl'), jsonl.length ? `${jsonl.join('\n')}\n` : '');
    const table = check ? checksTable(summary) : undefined;
    writeFileSync(
      join(o.out, 'index.html'),
      contactSheet(sheet, { title: 'dicomflow explain', methods, checkpoint: ck.path, ...(table ? { table } : {}), notes: [`${frames} frame(s); Grad-CAM at ${trained.camLayer}; SMOE at ${trained.scaleLayers.join(', ')}.`] }),
    );
    if (o.randomizeWeights) {
      writeFileSync(join(o.out, 'randomized', 'index.html'), contactSheet(sheetRandom, { title: 'dicomflow explain: randomised weights', methods, checkpoint: `${ck.path} (every weighted layer re-initialised, seed ${seed})` }));
    }
    return summary;
  } finally {
    for (const m of models) m.dispose();
  }
}

const fmt = (v: number | undefined, d = 3) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));

/** The checks as table rows (for the sheet, the CLI and the bench). */
export function checksTable(s: ExplainSummary): { head: string[]; rows: string[][] } {
  const head = ['method', 'pointing game', 'randomised Spearman', 'deletion AUC (lower better)', 'insertion AUC (higher better)', 'ms per image'];
  const rows = s.methods.map((m) => {
    const f = s.figures[m]!;
    return [m, f.pointing ? `${fmt(f.pointing.rate, 2)} (${f.pointing.hits}/${f.pointing.n})` : '-', fmt(f.spearman?.mean), fmt(f.deletion), fmt(f.insertion), fmt(f.msPerImage, 1)];
  });
  if (s.baselines) {
    rows.push(['centre point', `${fmt(s.baselines.centre.rate, 2)} (${s.baselines.centre.hits}/${s.baselines.centre.n})`, '-', '-', '-', '-']);
    rows.push(['random point / order', `${fmt(s.baselines.random.rate, 2)} (expected)`, '-', fmt(s.baselines.deletion), fmt(s.baselines.insertion), '-']);
  }
  return { head, rows };
}
