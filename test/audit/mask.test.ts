import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { createPipeline, type LabeledSample } from '../../src/pipeline/index.js';
import { boxInPixels, parseMask } from '../../src/preprocess/mask.js';
import { readManifest } from '../../src/sources/index.js';
import { ensureLeakyTask } from '../../src/synth/leaky-task.js';

const root = mkdtempSync(join(tmpdir(), 'dicomflow-mask-'));
const leaky = await ensureLeakyTask({ variant: 'leaky', cacheDir: root, patients: 4, slicesPerPatient: 2 });
const items = (await readManifest(leaky.train)).items;
const textBoxes = JSON.parse(readFileSync(leaky.text, 'utf8')).files as Record<string, [number, number, number, number][]>;

async function samples(over: Record<string, unknown>): Promise<LabeledSample[]> {
  const { config } = loadConfig(null, { 'decode.workers': 1, 'pipeline.shuffleBuffer': 0, ...over });
  const p = createPipeline(config, { items, onError: (r) => { throw new Error(`${r.code}: ${r.message}`); } });
  const out: LabeledSample[] = [];
  for await (const s of p.samples()) out.push({ ...s, data: s.data.slice() });
  await p.close();
  return out;
}

/** Output pixels [y0, y1) x [x0, x1) of a source box, as the mask maps it (stretch, or pad's placement). */
function outputRegion(box: [number, number, number, number], rows: number, cols: number, h: number, w: number, pad: boolean) {
  const scale = pad ? Math.min(h / rows, w / cols) : 0;
  const ph = pad ? Math.round(rows * scale) : h;
  const pw = pad ? Math.round(cols * scale) : w;
  const top = pad ? Math.floor((h - ph) / 2) : 0;
  const left = pad ? Math.floor((w - pw) / 2) : 0;
  return { y0: top + Math.floor((box[0] * ph) / rows), y1: top + Math.ceil((box[2] * ph) / rows), x0: left + Math.floor((box[1] * pw) / cols), x1: left + Math.ceil((box[3] * pw) / cols) };
}

function regionValues(s: LabeledSample, r: { y0: number; y1: number; x0: number; x1: number }): number[] {
  const [, w, c] = s.shape;
  const out: number[] = [];
  for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) for (let k = 0; k < c; k++) out.push(s.data[(y * w + x) * c + k]!);
  return out;
}

t.test('a masked box holds the pad value in every output: pixel and fraction boxes, stretch and pad, float32 and uint8, 1 and 3 channels', async (t) => {
  const cases = [
    { 'preprocess.target': '64x64', 'preprocess.resize': 'stretch', 'preprocess.output': 'float32', 'preprocess.channels': 1, 'preprocess.padValue': -1 },
    { 'preprocess.target': '48x80', 'preprocess.resize': 'pad', 'preprocess.output': 'float32', 'preprocess.channels': 3, 'preprocess.padValue': 0.5 },
    { 'preprocess.target': '100x100', 'preprocess.resize': 'stretch', 'preprocess.output': 'uint8', 'preprocess.channels': 1, 'preprocess.padValue': 0 },
    { 'preprocess.target': null, 'preprocess.resize': 'stretch', 'preprocess.output': 'float32', 'preprocess.channels': 1, 'preprocess.padValue': 7 },
  ];
  for (const c of cases) {
    const box: [number, number, number, number] = [10, 20, 50, 90];
    const frac: [number, number, number, number] = [0.75, 0.5, 1, 1];
    const masked = await samples({ ...c, 'preprocess.mask': `${box.join(',')};${frac.join(',')}` });
    const plain = await samples(c);
    const pad = (c['preprocess.padValue'] as number) * (c['preprocess.output'] === 'uint8' ? 255 : 1);
    for (const [i, s] of masked.entries()) {
      const rows = s.id.rows!;
      const cols = s.id.columns!;
      const [h, w] = s.shape;
      for (const b of [box, boxInPixels(frac, rows, cols)]) {
        const v = regionValues(s, outputRegion(b, rows, cols, h, w, c['preprocess.resize'] === 'pad'));
        t.ok(v.length > 0 && v.every((x) => x === pad), `${JSON.stringify(c)} ${basename(s.id.file)} box ${b}: ${v.length} values, all ${pad}`);
      }
      // Away from the boxes the image is what it was without a mask (the top-right corner, in the output's middle rows).
      const far = outputRegion([Math.round(rows * 0.4), Math.round(cols * 0.1), Math.round(rows * 0.6), Math.round(cols * 0.3)], rows, cols, h, w, c['preprocess.resize'] === 'pad');
      const a = regionValues(s, far);
      const b = regionValues(plain[i]!, far);
      t.ok(a.some((x, k) => x !== pad || b[k] === pad), 'the rest is not blanked');
    }
  }
});

t.test('mask rules key on Manufacturer (as CTP does): only that scanner\'s images are masked', async (t) => {
  const rule = { rules: [{ manufacturer: '^orion', boxes: [[0, 0, 0.25, 1]] }] };
  const masked = await samples({ 'preprocess.target': '64x64', 'preprocess.mask': rule, 'preprocess.padValue': -5 });
  const plain = await samples({ 'preprocess.target': '64x64' });
  for (const [i, s] of masked.entries()) {
    const top = regionValues(s, { y0: 0, y1: 16, x0: 0, x1: 64 });
    const orion = textBoxes[`train/${basename(s.id.file)}`]!.length > 0; // MERCY GENERAL's scanner is ORION SYSTEMS
    if (orion) t.ok(top.every((v) => v === -5), `${basename(s.id.file)} (ORION SYSTEMS): top quarter masked`);
    else t.same(top, regionValues(plain[i]!, { y0: 0, y1: 16, x0: 0, x1: 64 }), `${basename(s.id.file)} (ACME MEDICAL): untouched`);
  }
});

t.test('mask text: the boxes OCR finds (in the decode worker) are filled from their surround, so the text is gone and no flat box marks the image; images without text are untouched', async (t) => {
  const masked = await samples({ 'preprocess.target': '128x128', 'preprocess.mask': 'text' });
  // OCR needs the file's own resolution, so a text mask turns sub-resolution decoding off: compare alike.
  const plain = await samples({ 'preprocess.target': '128x128', 'decode.subResolution': false });
  let withText = 0;
  for (const [i, s] of masked.entries()) {
    const boxes = textBoxes[`train/${basename(s.id.file)}`]!;
    if (boxes.length) {
      withText++;
      const region = outputRegion(boxes[0]!, s.id.rows!, s.id.columns!, 128, 128, false);
      const before = regionValues(plain[i]!, region);
      const after = regionValues(s, region);
      // The text is 1500 HU (1.0 in the lung window) on air (about 0.23).
      t.ok(Math.max(...before) > 0.9, `${basename(s.id.file)}: the text is there without the mask (max ${Math.max(...before).toFixed(2)})`);
      t.ok(Math.max(...after) < 0.4, `${basename(s.id.file)}: with it, the region holds background (max ${Math.max(...after).toFixed(3)})`);
      const sd = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length - (v.reduce((a, x) => a + x, 0) / v.length) ** 2);
      t.ok(sd(after) > 0, `${basename(s.id.file)}: and keeps the background's texture (sd ${sd(after).toExponential(2)})`);
    } else t.same(Array.from(s.data), Array.from(plain[i]!.data), `${basename(s.id.file)}: no text, no change`);
  }
  t.ok(withText > 0, `${withText} image(s) with text`);
});

t.test('preprocess.mask is checked, and the error names the field', async (t) => {
  t.same(parseMask('text;0,0,0.1,0.5'), { boxes: [[0, 0, 0.1, 0.5]], rules: [], text: true });
  for (const bad of ['', 'txt', '1,2,3', '5,5,2,9', { boxes: [[0, 0, 1, 1]], color: 1 }, { rules: [{ boxes: [[0, 0, 1, 1]] }] }, { rules: [{ model: '(', boxes: [[0, 0, 1, 1]] }] }]) {
    t.throws(() => loadConfig(null, { 'preprocess.mask': bad }).config && samplesSync(bad), { code: 'DF_ERR_CONFIG' }, JSON.stringify(bad));
  }
});

function samplesSync(mask: unknown) {
  const { config } = loadConfig(null, { 'preprocess.mask': mask });
  return createPipeline(config, { items: [] });
}
