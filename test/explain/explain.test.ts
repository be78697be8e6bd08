import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { explain } from '../../src/explain/explain.js';
import { METHODS } from '../../src/explain/methods.js';
import { ensureSampleTask } from '../../src/synth/sample-task.js';
import { train } from '../../src/train/trainer.js';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'dicomflow-explain-'));
const sample = await ensureSampleTask({ cacheDir: join(root, 'cache'), patients: 6, slicesPerPatient: 4 });
const base = {
  'sources.manifest': sample.manifest,
  'preprocess.target': '32x32',
  'decode.workers': 1,
  'pipeline.batchSize': 8,
  'train.backend': 'wasm',
  'train.validationFraction': 0.34,
};
const checkpoint = join(root, 'ck');
const trained = await train({ config: loadConfig(null, { ...base, 'train.epochs': 1, 'train.checkpointDir': checkpoint, 'train.explainEvery': 1, 'train.explainFrames': 3 }).config });

// Files whose names and labels hold markup, and their ground truth (from the sample's sidecar).
const hostile = join(root, 'hostile');
mkdirSync(hostile);
const lesions = JSON.parse(readFileSync(sample.lesions, 'utf8')).files as Record<string, unknown[]>;
const positives = Object.entries(lesions).filter(([, l]) => l.length > 0).slice(0, 2).map(([f]) => f);
const names = ['a<img src=x onerror=alert(1)>.dcm', 'b&"quote\'.dcm'];
positives.forEach((f, i) => copyFileSync(join(sample.dir, f), join(hostile, names[i]!)));
const manifest = join(hostile, 'manifest.csv');
writeFileSync(manifest, `path,label\n${names.map((n) => `"${n.replaceAll('"', '""')}",<script>1</script>`).join('\n')}\n`);
const truth = join(hostile, 'truth.json');
writeFileSync(truth, JSON.stringify({ files: Object.fromEntries(names.map((n, i) => [n, lesions[positives[i]!]])) }));

function numpy(file: string, expr: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', `import numpy as np; a = np.load(${JSON.stringify(file)}); print(${expr})`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

t.test('explain writes a map (.npy, .png) and a line per frame and method, runs the checks, and leaves no tensor behind', async (t) => {
  const out = join(root, 'lib');
  const { config } = loadConfig(null, base);
  const { selectBackend } = await import('../../src/train/backend.js');
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const s = await explain(config, {
    checkpoint,
    out,
    methods: [...METHODS],
    methodOptions: { smoothgrad: { samples: 2, noise: 0.1, seed: 1 }, integratedGradients: { steps: 2, baseline: 0 } },
    randomizeWeights: true,
    check: { truth: sample.lesions },
    subset: 'validation',
  });
  t.equal(tf.memory().numTensors, before, 'tf.memory().numTensors is back where it started');
  t.ok(s.frames >= 4, `${s.frames} validation frames explained`);
  t.equal(s.errors, 0);
  t.ok(s.checked! > 0, `${s.checked} frames with findings checked`);
  const lines = readFileSync(join(out, 'explain.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, s.frames * METHODS.length * 2, 'one line per frame and method, for trained and randomised weights');
  for (const l of lines.filter((x) => x.weights === 'trained').slice(0, 12)) {
    t.ok(existsSync(join(out, l.map)) && existsSync(join(out, l.png)), `${l.method}: files exist`);
    t.ok(l.peak[0] >= -0.5 && l.peak[0] < 320 && l.peak[1] >= -0.5 && l.peak[1] < 320, `${l.method}: peak ${l.peak} inside the source frame`);
    t.ok(typeof l.score === 'number' && typeof l.ms === 'number' && ['0', '1'].includes(l.label));
  }
  const first = lines[0];
  t.equal(numpy(join(out, first.map), 'a.dtype, a.shape, float(a.min()) >= 0, float(a.max()) == 1.0'), "float32 (32, 32) True True", 'NumPy reads the map: float32 at the input size, in [0, 1]');
  const png = PNG.sync.read(readFileSync(join(out, first.png)));
  t.ok(png.height >= 256 && Math.abs(png.width - (png.height - 10)) <= 1, `PNG ${png.width}x${png.height}: square frame, square picture (plus the legend strip)`);
  const checks = JSON.parse(readFileSync(join(out, 'checks.json'), 'utf8'));
  for (const m of METHODS) {
    const f = checks.figures[m];
    t.ok(f.pointing.n === s.checked && f.spearman.n > 0 && Number.isFinite(f.deletion) && Number.isFinite(f.insertion) && f.msPerImage > 0, `${m}: every check measured`);
    t.ok(Math.abs(f.spearman.mean) <= 1);
  }
  t.ok(checks.baselines.random.rate > 0 && checks.baselines.random.rate < 0.2, 'random-point baseline: the finding covers a small share of the frame');
  t.ok(existsSync(join(out, 'randomized', 'index.html')), 'a sheet for the randomised maps');
  t.ok(readdirSync(join(out, 'randomized')).some((f) => f.endsWith('.gradcam.npy')));
});

t.test('the CLI: sheet escapes every value from a file, renders in headless Chromium with its images, and --json ends with a summary', async (t) => {
  const out = join(root, 'cli');
  const r = runCli(['explain', '--checkpoint', checkpoint, '--out', out, '--manifest', manifest, '--method', 'gradcam,smoe,gradient', '--check', '--truth', truth, '--json']);
  t.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  t.equal(summary.frames, 2);
  t.same(summary.methods, ['gradcam', 'smoe', 'gradient']);
  t.equal(summary.checked, 2, 'ground truth matched through the file names');
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  t.notMatch(html, /<img src=x|<script>|onerror=alert\(1\)>/, 'no markup from a file name or label survives');
  t.match(html, /a&#60;img src=x onerror=alert\(1\)&#62;/, 'the file name is shown, escaped');
  t.match(html, /label &#60;script&#62;1&#60;\/script&#62;/, 'the label is shown, escaped');
  t.notMatch(html, /https?:\/\//, 'nothing remote: works offline');
  const files = readdirSync(out);
  t.ok(files.includes('a_img_src_x_onerror_alert_1__.f0.gradcam.png'), 'file stems keep only safe characters');

  const shot = (dir: string) => {
    const file = join(dir, 'shot.png');
    const c = spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${file}`, '--window-size=1400,1000', `file://${join(dir, 'index.html')}`], { encoding: 'utf8', timeout: 60_000 });
    t.equal(c.status, 0, `chromium ran (${c.stderr.split('\n').slice(-2).join(' ')})`);
    const p = PNG.sync.read(readFileSync(file));
    let green = 0;
    let dark = 0;
    for (let i = 0; i < p.data.length; i += 4) {
      const [r0, g0, b0] = [p.data[i]!, p.data[i + 1]!, p.data[i + 2]!];
      if (g0 > 180 && r0 < 120 && b0 < 140) green++;
      if (r0 < 200 || g0 < 200 || b0 < 200) dark++;
    }
    return { green, dark };
  };
  const withImages = shot(out);
  // The same page with its pictures gone: what remains is text, the table and the CSS legend.
  const bare = join(root, 'bare');
  mkdirSync(bare);
  copyFileSync(join(out, 'index.html'), join(bare, 'index.html'));
  const without = shot(bare);
  t.ok(withImages.green > without.green + 3000, `green overlay pixels on screen: ${withImages.green} with the PNGs, ${without.green} without`);
  t.ok(withImages.dark > without.dark + 100_000, `non-white pixels on screen: ${withImages.dark} with the PNGs, ${without.dark} without (6 pictures of 176 x 185)`);
  rmSync(bare, { recursive: true, force: true });
});

t.test('train.explainEvery writes the contact sheet of a fixed set of validation frames beside the checkpoint', async (t) => {
  t.equal(trained.epochs, 1);
  const dir = join(checkpoint, 'explain', 'epoch-0001');
  const lines = readFileSync(join(dir, 'explain.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same([...new Set(lines.map((l) => l.method))], ['gradcam', 'fastcam'], 'the default methods');
  t.equal(lines.length, 3 * 2, '3 frames (train.explainFrames) x 2 methods');
  t.match(readFileSync(join(dir, 'index.html'), 'utf8'), /<img src="[^"]+\.gradcam\.png"/);
  const bad = runCli(['train', '--explain-every', '1', '--manifest', sample.manifest, '--epochs', '1']);
  t.equal(bad.status, 2, 'explainEvery without checkpoints: a configuration error');
  t.match(bad.stderr, /train\.explainEvery .*train\.checkpointDir/);
});

t.test('explain refuses what it cannot do, with usage errors (exit 2)', async (t) => {
  const cases: [string[], RegExp][] = [
    [['explain', '--out', join(root, 'x')], /needs --checkpoint/],
    [['explain', '--checkpoint', checkpoint], /needs --out/],
    [['explain', '--checkpoint', checkpoint, '--out', join(root, 'x'), '--method', 'lime'], /unknown method "lime"/],
    [['explain', '--checkpoint', checkpoint, '--out', join(root, 'x'), '--method', 'gradcam', '--samples', '5'], /--samples is an option of smoothgrad/],
    [['explain', '--checkpoint', checkpoint, '--out', join(root, 'x'), '--truth', truth], /belong to --check/],
    [['explain', '--checkpoint', checkpoint, '--out', join(root, 'x'), '--subset', 'test'], /--subset must be/],
  ];
  for (const [args, message] of cases) {
    const r = runCli(args);
    t.equal(r.status, 2, `${args.slice(1).join(' ')}: exit 2`);
    t.match(r.stderr, message);
  }
  const missing = runCli(['explain', '--checkpoint', join(root, 'nope'), '--out', join(root, 'x'), '--manifest', manifest]);
  t.equal(missing.status, 1);
  const unlisted = join(root, 'unlisted.csv');
  writeFileSync(unlisted, `path,label\nnot-there.dcm,1\n"hostile/${names[0]}",1\n`);
  const partly = runCli(['explain', '--checkpoint', checkpoint, '--out', join(root, 'partly'), '--manifest', unlisted, '--method', 'smoe']);
  t.equal(partly.status, 1, 'a source that cannot be read: the rest is explained, exit 1');
  t.match(partly.stderr, /DF_ERR_SOURCE/);
  t.match(partly.stderr, /1 frame\(s\).*1 error\(s\)/);
  t.match(missing.stderr, /DF_ERR_CHECKPOINT/);
  t.equal(basename(sample.lesions), 'lesions.json');
});
