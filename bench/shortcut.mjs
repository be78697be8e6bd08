#!/usr/bin/env node
/**
 * The brief's case end to end: a hospital's name burned into its images, and
 * that hospital holding most of the positives (`dicomflow sample --leaky`),
 * against a control where the same name predicts nothing.
 *   1. audit the leaky and the control training sets;
 *   2. train on the leaky set (the package's configuration, wasm): validation
 *      AUC by patient (internal) and on held-out sites (--split-by institution);
 *   3. score the site-flipped test set (MERCY GENERAL now mostly negative);
 *   4. saliency (gradient, Grad-CAM) on the flipped set's images that carry
 *      the text: the share of each map's mass inside the text box (the box's
 *      share of the image is the uniform baseline), and the pointing game on
 *      the nodules;
 *   5. the same trained with --mask text (OCR boxes blanked in the decode
 *      workers; pipeline.cache so each image is read by OCR once).
 * JSON in bench/results/shortcut.json, a Markdown table on stdout.
 *
 *   node bench/shortcut.mjs [--epochs N] [--backend wasm|cpu]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { values } = parseArgs({ options: { epochs: { type: 'string' }, backend: { type: 'string', default: 'wasm' } }, strict: true });
const tf = await import('@tensorflow/tfjs');
const { loadConfig } = await import('../dist/config/load.js');
const { train } = await import('../dist/train/trainer.js');
const { predict } = await import('../dist/train/predict.js');
const { audit } = await import('../dist/audit/audit.js');
const { ensureLeakyTask } = await import('../dist/synth/leaky-task.js');
const { anatomy } = await import('../dist/explain/anatomy.js');
const { saliency } = await import('../dist/explain/methods.js');
const { peakOf, hits } = await import('../dist/explain/checks.js');
const { loadCheckpoint } = await import('../dist/train/checkpoint.js');
const { createPipeline } = await import('../dist/pipeline/index.js');
const { readManifest } = await import('../dist/sources/index.js');
const { rocAuc } = await import('../dist/train/metrics.js');
const { selectBackend } = await import('../dist/train/backend.js');

const log = (l) => process.stderr.write(`${l}\n`);
const packageConfig = fileURLToPath(new URL('../pipeline.config.json', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'dicomflow-bench-shortcut-'));
const t0 = performance.now();
const leaky = await ensureLeakyTask({ variant: 'leaky' });
const control = await ensureLeakyTask({ variant: 'control' });
const base = (over) =>
  loadConfig(packageConfig, { 'sources.sample': false, 'train.backend': values.backend, ...(values.epochs ? { 'train.epochs': Number(values.epochs) } : {}), ...over }).config;

log('audit: leaky and control training sets...');
const audits = {};
for (const [name, t] of [['leaky', leaky], ['control', control]]) {
  const r = await audit(base({ 'sources.manifest': t.train }), { out: join(scratch, `audit-${name}`) });
  audits[name] = { status: r.status, failed: r.failed, withText: r.text.withText, images: r.text.images, sites: r.sites };
  log(`  ${name}: ${r.status}; FAIL: ${r.failed.join('; ') || 'none'}`);
}
// OCR against the generator's record of where text was burned.
const truthText = JSON.parse(readFileSync(leaky.text, 'utf8')).files;
const ocrLines = readFileSync(join(scratch, 'audit-leaky', 'text.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const carry = ocrLines.filter((l) => truthText[`train/${basename(l.file)}`]?.length > 0);
const clean = ocrLines.filter((l) => !(truthText[`train/${basename(l.file)}`]?.length > 0));
const ocr = { withText: carry.length, found: carry.filter((l) => l.tokens.length > 0).length, without: clean.length, falsePositives: clean.filter((l) => l.tokens.length > 0).length };

const lesions = JSON.parse(readFileSync(leaky.lesions, 'utf8')).files;
const flippedItems = (await readManifest(leaky.flipped)).items;

/** Flipped-set AUC, and saliency on its images that carry text: mass in the text box, pointing game on nodules. */
async function evaluate(checkpoint, label) {
  const scores = [];
  const ys = [];
  await predict(base({ 'sources.manifest': leaky.flipped }), { checkpoint, onResult: (p) => { scores.push(p.score); ys.push(Number(p.label)); } });
  const flippedAuc = rocAuc(scores, ys);
  await selectBackend(values.backend);
  const ck = await loadCheckpoint(checkpoint);
  tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
  const a = anatomy(ck.model);
  const hasText = (id) => truthText[`flipped/${basename(id)}`]?.length > 0;
  const pipe = createPipeline({ ...base({}), preprocess: { ...base({}).preprocess, ...ck.state.preprocess }, pipeline: { ...base({}).pipeline, shuffleBuffer: 0 } }, { items: flippedItems });
  const share = { gradient: [], gradcam: [] };
  const pointing = { gradient: [], gradcam: [] };
  const boxShare = [];
  let textImages = 0;
  for await (const b of pipe) {
    const xs = tf.tensor4d(b.xs, b.shape);
    const [, h, w] = b.shape;
    for (const m of ['gradient', 'gradcam']) {
      const t = saliency(a, xs, m);
      const maps = await t.data();
      t.dispose();
      b.ids.forEach((id, i) => {
        const map = maps.subarray(i * h * w, (i + 1) * h * w);
        const f = lesions[`flipped/${basename(id.file)}`];
        if (f.length) {
          const p = peakOf(map, w);
          pointing[m].push(hits([((p[0] + 0.5) * id.rows) / h - 0.5, ((p[1] + 0.5) * id.columns) / w - 0.5], f, 3));
        }
        if (!hasText(id.file)) return;
        const [r0, c0, r1, c1] = truthText[`flipped/${basename(id.file)}`][0];
        const sy = h / id.rows;
        const sx = w / id.columns;
        const [y0, y1, x0, x1] = [Math.floor(r0 * sy), Math.ceil(r1 * sy), Math.floor(c0 * sx), Math.ceil(c1 * sx)];
        let inBox = 0;
        let total = 0;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          const v = map[y * w + x];
          total += v;
          if (y >= y0 && y < y1 && x >= x0 && x < x1) inBox += v;
        }
        share[m].push(total > 0 ? inBox / total : 0);
        if (m === 'gradient') {
          textImages++;
          boxShare.push(((y1 - y0) * (x1 - x0)) / (h * w));
        }
      });
    }
    xs.dispose();
  }
  await pipe.close();
  ck.model.dispose();
  const mean = (v) => v.reduce((x, y) => x + y, 0) / Math.max(1, v.length);
  const out = {
    flippedAuc,
    textImages,
    saliencyInTextBox: { gradient: mean(share.gradient), gradcam: mean(share.gradcam), uniform: mean(boxShare) },
    pointing: { gradient: mean(pointing.gradient.map(Number)), gradcam: mean(pointing.gradcam.map(Number)), n: pointing.gradient.length },
  };
  log(`  ${label}: flipped AUC ${flippedAuc.toFixed(3)}; saliency in the text box: gradient ${(out.saliencyInTextBox.gradient * 100).toFixed(1)}%, Grad-CAM ${(out.saliencyInTextBox.gradcam * 100).toFixed(1)}% (box: ${(out.saliencyInTextBox.uniform * 100).toFixed(1)}% of the image)`);
  return out;
}

const runs = {};
for (const [name, over] of [
  ['leaky', {}],
  ['leaky, --split-by institution', { 'train.splitBy': 'institution' }],
  ['leaky, --mask text', { 'preprocess.mask': 'text', 'pipeline.cache': join(scratch, 'cache') }],
]) {
  const checkpoints = join(scratch, `ck-${Object.keys(runs).length}`);
  log(`train: ${name}...`);
  const r = await train({ config: base({ 'sources.manifest': leaky.train, 'train.checkpointDir': checkpoints, ...over }), onLog: (l) => (l.startsWith('epoch') || l.startsWith('split') ? log(`  ${l}`) : undefined) });
  runs[name] = { validationAuc: r.valAuc, split: r.split, seconds: r.seconds, ...(name.includes('split-by') ? {} : await evaluate(checkpoints, name)) };
}
rmSync(scratch, { recursive: true, force: true });

const result = { backend: values.backend, audits, ocr, runs, seconds: (performance.now() - t0) / 1000 };
const path = writeResult('shortcut', result);
const pct = (v) => (v === undefined ? '-' : `${(v * 100).toFixed(1)}%`);
console.log(table(['set', 'audit', 'FAIL'], Object.entries(audits).map(([k, a]) => [k, a.status, a.failed.join('; ') || 'none'])));
console.log(`\nOCR: text found in ${ocr.found} of ${ocr.withText} images that carry it, in ${ocr.falsePositives} of ${ocr.without} that do not.\n`);
console.log(
  table(
    ['training', 'validation AUC', 'flipped-set AUC', 'gradient mass in text box', 'Grad-CAM mass in text box', 'text box share of image', 'pointing game on flipped-set nodules (gradient / Grad-CAM)'],
    Object.entries(runs).map(([k, r]) => [k, `${r.validationAuc.toFixed(3)} (${r.split.split(':')[0]})`, r.flippedAuc?.toFixed(3) ?? '-', pct(r.saliencyInTextBox?.gradient), pct(r.saliencyInTextBox?.gradcam), pct(r.saliencyInTextBox?.uniform), r.pointing ? `${r.pointing.gradient.toFixed(2)} / ${r.pointing.gradcam.toFixed(2)} (n ${r.pointing.n})` : '-']),
  ),
);
console.log(`\n${(result.seconds / 60).toFixed(1)} min; JSON: ${path}`);

