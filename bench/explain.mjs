#!/usr/bin/env node
/**
 * Do the saliency maps mean anything, and what do they cost? On the sample
 * task, with the model `npm start` trains (the package's configuration,
 * trained here on the wasm backend unless --checkpoint names one):
 *   1. `explain --check --subset validation --method all`: the pointing game
 *      on the validation positives (the sample generator's nodule sidecar is
 *      the ground truth; the pipeline never reads it) beside a centre-point
 *      and a random-point baseline; Spearman of trained against randomised
 *      maps; deletion and insertion AUC beside a random order;
 *   2. timing: one validation batch, every method in turn, --repeat rounds,
 *      after a warm-up; milliseconds per image (median over rounds) and the
 *      SmoothGrad (25 samples) / SMOE ratio measured in each round;
 *   3. the contact sheet rendered in headless Chromium (bench/results/explain/sheet.png).
 * JSON in bench/results/explain.json, a Markdown table on stdout.
 *
 *   node bench/explain.mjs [--checkpoint DIR] [--repeat R] [--backend wasm|cpu] [--epochs N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string' },
    repeat: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string' },
  },
  strict: true,
});
const tf = await import('@tensorflow/tfjs');
const { loadConfig } = await import('../dist/config/load.js');
const { train } = await import('../dist/train/trainer.js');
const { explain, checksTable } = await import('../dist/explain/explain.js');
const { anatomy } = await import('../dist/explain/anatomy.js');
const { METHODS, saliency } = await import('../dist/explain/methods.js');
const { loadCheckpoint } = await import('../dist/train/checkpoint.js');
const { createPipeline } = await import('../dist/pipeline/index.js');
const { selectBackend } = await import('../dist/train/backend.js');

const packageConfig = fileURLToPath(new URL('../pipeline.config.json', import.meta.url));
const overrides = { 'train.backend': values.backend, ...(values.epochs ? { 'train.epochs': Number(values.epochs) } : {}) };
const { config } = loadConfig(packageConfig, overrides);
const log = (l) => process.stderr.write(`${l}\n`);
const scratch = mkdtempSync(join(tmpdir(), 'dicomflow-bench-explain-'));
let checkpoint = values.checkpoint;
let training = null;
if (!checkpoint) {
  checkpoint = join(scratch, 'checkpoints');
  log(`training the sample task as npm start does (${config.train.epochs} epochs, ${config.train.model}, ${config.preprocess.target}) on ${values.backend}...`);
  const r = await train({ config: { ...config, train: { ...config.train, checkpointDir: checkpoint } }, onLog: log });
  training = { epochs: r.epochs, valAuc: r.valAuc, valAccuracy: r.valAccuracy, imagesPerSecond: r.imagesPerSecond, seconds: r.seconds };
}

const out = fileURLToPath(new URL('./results/explain/', import.meta.url));
rmSync(out, { recursive: true, force: true });
log('explain --check --subset validation --method all ...');
const summary = await explain(config, { checkpoint, out, methods: [...METHODS], check: true, subset: 'validation', onLog: log, onError: (e) => log(`error: ${e.file}: ${e.code}`) });

// Timing: one validation batch, after a warm-up, every method per round.
await selectBackend(values.backend);
const ck = await loadCheckpoint(checkpoint);
tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
const a = anatomy(ck.model);
const timingConfig = { ...config, preprocess: { ...config.preprocess, ...ck.state.preprocess }, pipeline: { ...config.pipeline, shuffleBuffer: 0, limit: 16 } };
const pipe = createPipeline(timingConfig, {});
let batch = null;
for await (const b of pipe) {
  batch = b;
  break;
}
await pipe.close();
const xs = tf.tensor4d(batch.xs, batch.shape);
const n = batch.shape[0];
const rounds = Number(values.repeat);
const ms = Object.fromEntries(METHODS.map((m) => [m, []]));
const ratios = [];
for (let r = -1; r < rounds; r++) {
  const round = {};
  for (const m of METHODS) {
    const t0 = performance.now();
    const map = saliency(a, xs, m);
    await map.data();
    map.dispose();
    round[m] = (performance.now() - t0) / n;
  }
  if (r < 0) continue; // warm-up: kernels compiled, buffers sized
  for (const m of METHODS) ms[m].push(round[m]);
  ratios.push(round.smoothgrad / round.smoe);
}
xs.dispose();
ck.model.dispose();

// The contact sheet in a real browser.
const shot = join(out, 'sheet.png');
const c = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${shot}`, '--window-size=1240,900', `file://${join(out, 'index.html')}`], { encoding: 'utf8', timeout: 120_000 });
const screenshot = c.status === 0 ? shot : null;
if (!screenshot) log(`chromium did not render the sheet: ${c.error?.message ?? c.stderr.split('\n').slice(-3).join(' ')}`);
rmSync(scratch, { recursive: true, force: true });

const figures = Object.fromEntries(
  METHODS.map((m) => [m, { ...summary.figures[m], msPerImage: median(ms[m]), msPerImageRounds: ms[m] }]),
);
const result = {
  backend: values.backend,
  checkpoint: values.checkpoint ?? '(trained by this bench)',
  training,
  frames: summary.frames,
  checked: summary.checked,
  tolerance: summary.tolerance,
  camLayer: summary.camLayer,
  scaleLayers: summary.scaleLayers,
  figures,
  baselines: summary.baselines,
  timing: { batch: n, rounds, smoothgradOverSmoe: median(ratios), smoothgradOverSmoeRounds: ratios },
  screenshot,
};
const path = writeResult('explain', result);
const t = checksTable({ ...summary, figures });
console.log(table(t.head, t.rows));
console.log(`\n${summary.checked} validation positives with a nodule (tolerance ${summary.tolerance} px); ms per image: median of ${rounds} rounds on one batch of ${n}, ${values.backend}.`);
console.log(`SmoothGrad (25 samples) / SMOE: ${median(ratios).toFixed(1)}x (per round: ${ratios.map((x) => x.toFixed(1)).join(', ')})`);
if (training) console.log(`model: trained here, ${training.epochs} epochs, validation AUC ${training.valAuc.toFixed(3)}`);
console.log(`JSON: ${path}${screenshot ? `; sheet: ${screenshot}` : ''}`);
