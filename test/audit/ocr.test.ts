import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createOcr, type OcrResult } from '../../src/audit/ocr.js';
import { ctSlice } from '../../src/synth/phantom.js';
import { createRandom } from '../../src/synth/random.js';
import { burnText, textSize } from '../../src/synth/text.js';

type Box = [number, number, number, number];

// --- the corpus: phantom CT slices, half of them with a hospital's text burned into a corner ---

const NAMES = [
  'MERCY GENERAL', 'ST LUKES', 'NORTH VALLEY HOSP', 'RIVERSIDE MEDICAL', 'CEDAR CLINIC', 'OAKWOOD RADIOLOGY',
  'SAINT MARY', 'LAKESHORE HEALTH', 'PINE RIDGE', 'UNITY HOSPITAL', 'WESTGATE IMAGING', 'HOPE MEMORIAL',
  'BAYVIEW CT', 'GRAND PRAIRIE', 'KINGS COLLEGE', 'MOUNT SINAI', 'ELM STREET MRI', 'SUNRISE HOSP',
  'QUEENS MEDICAL', 'Harbor View', 'ST JUDE', 'GREENFIELD', 'CITY HOSPITAL', 'VALLEY CARE',
];
const IDS = ['2021-03-04', 'ID 48213', '12/07/2019', 'MRN 772019', 'ACC 55012', '09:41:22', 'DOB 1954-11-30', 'PT 3381-X', '2018.06.11', 'SER 4 IMG 112'];

interface Slice {
  seed: number;
  size: number;
  /** The window the slice is shown in, [center, width] in HU. */
  window: readonly [number, number];
  lines: string[];
  /** One box per burned line. */
  boxes: Box[];
  image: Float32Array;
}

const LUNG = [-600, 1500] as const;
const SOFT_TISSUE = [40, 400] as const;

/** HU to [0, 1] through a linear window: v = clamp((hu - (center - width / 2)) / width, 0, 1). */
function applyWindow(hu: Int16Array, [center, width]: readonly [number, number]): Float32Array {
  const out = new Float32Array(hu.length);
  const lo = center - width / 2;
  for (let i = 0; i < hu.length; i++) out[i] = Math.min(1, Math.max(0, (hu[i]! - lo) / width));
  return out;
}

/** Slice `i` of the corpus; with text: a name, an id or both (two lines), in one of the four corners. */
function slice(i: number, withText: boolean): Slice {
  const seed = (withText ? 20_000 : 30_000) + i;
  const size = i % 2 ? 320 : 256;
  const window = i % 5 === 4 ? SOFT_TISSUE : LUNG;
  const hu = ctSlice({ size, seed, lesion: null });
  const boxes: Box[] = [];
  const lines: string[] = [];
  if (withText) {
    const rng = createRandom(seed);
    const name = NAMES[rng.int(NAMES.length)]!;
    const id = IDS[rng.int(IDS.length)]!;
    const kind = rng.int(3);
    lines.push(...(kind === 0 ? [name] : kind === 1 ? [id] : [name, id]));
    const corner = i % 4; // 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right
    const margin = 3 + rng.int(6);
    let scale = 2 + rng.int(2);
    while (scale > 2 && Math.max(...lines.map((l) => textSize(l, scale).width)) > size - 2 * margin) scale--;
    const value = [1500, 2000, 3071][rng.int(3)]!;
    const lineStep = 9 * scale; // 7 rows of glyph, 2 of gap
    let row = corner < 2 ? margin : size - margin - lineStep * (lines.length - 1) - 7 * scale;
    for (const line of lines) {
      const width = textSize(line, scale).width;
      const col = corner % 2 === 0 ? margin : size - margin - width;
      boxes.push(burnText(hu, size, size, line, { row, col, scale, value }));
      row += lineStep;
    }
  }
  return { seed, size, window, lines, boxes, image: applyWindow(hu, window) };
}

const intersects = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/** The burned words OCR can be asked to return: two or more letters or digits, punctuation stripped. */
const burnedWords = (lines: string[]) =>
  lines
    .join(' ')
    .toUpperCase()
    .split(' ')
    .map((w) => w.replace(/^[^A-Z0-9]+|[^A-Z0-9]+$/g, ''))
    .filter((w) => (w.match(/[A-Z0-9]/g)?.length ?? 0) >= 2);

const pct = (n: number, of: number) => `${n}/${of} = ${((100 * n) / of).toFixed(1)}%`;

// --- tests ---

t.test('burnText draws 5x7 glyphs, scale x scale pixels each, and returns the box it covered', async (t) => {
  const img = new Int16Array(20 * 30);
  t.same(burnText(img, 30, 20, 'I-', { row: 1, col: 2, scale: 1, value: 7 }), [1, 2, 8, 13], 'two glyphs and one gap: 5 + 1 + 5 columns, 7 rows');
  // I is 3 + 1 + 1 + 1 + 1 + 1 + 3 pixels, '-' 5.
  t.equal(img.filter((v) => v === 7).length, 16);
  t.equal(img[1 * 30 + 3], 7, 'I: top bar starts one column in');
  t.equal(img[1 * 30 + 2], 0);
  t.equal(img[4 * 30 + 8], 7, '-: middle row, from the second glyph column 8');

  const big = new Float32Array(40 * 40);
  t.same(burnText(big, 40, 40, 'a', { row: 0, col: 0, scale: 3, value: 1 }), [0, 0, 21, 15]);
  const upper = new Float32Array(40 * 40);
  burnText(upper, 40, 40, 'A', { row: 0, col: 0, scale: 3, value: 1 });
  t.same(big, upper, 'lowercase is drawn as uppercase');
  t.equal(big.filter((v) => v === 1).length % 9, 0, 'each font pixel is a 3 x 3 block');

  const unknown = new Uint16Array(10 * 10);
  t.same(burnText(unknown, 10, 10, '#', { row: 0, col: 0, scale: 1, value: 9 }), [0, 0, 7, 5]);
  t.equal(unknown.filter((v) => v !== 0).length, 0, 'characters the font lacks are spaces');

  const clipped = new Int16Array(10 * 10);
  t.same(burnText(clipped, 10, 10, 'MM', { row: 6, col: 4, scale: 1, value: 1 }), [6, 4, 10, 10], 'clipped to the image');
  t.same(burnText(clipped, 10, 10, 'M', { row: 20, col: 20, scale: 1, value: 1 }), [10, 10, 10, 10], 'wholly outside: an empty box');

  t.same(textSize('ST LUKES', 2), { height: 14, width: 94 });
  t.same(textSize('AB', 1, 0), { height: 7, width: 10 });
  t.same(textSize('', 2), { height: 14, width: 0 });
  t.throws(() => textSize('A', 0), { code: 'DF_ERR_SYNTH_OPTION', message: /scale must be an integer 1\.\.64 \(got 0\)/ });
  t.throws(() => burnText(new Int16Array(5), 3, 3, 'A', { row: 0, col: 0, scale: 1, value: 1 }), { code: 'DF_ERR_SYNTH_OPTION', message: /needs width x height pixels \(got 3 x 3 for 5\)/ });
});

t.test('createOcr checks its options before starting any worker', async (t) => {
  await t.rejects(createOcr({ workers: 0 }), { code: 'DF_ERR_CONFIG', message: 'ocr.workers must be an integer 1..64 (got 0)' });
  await t.rejects(createOcr({ minConfidence: 101 }), { code: 'DF_ERR_CONFIG', message: 'ocr.minConfidence must be 0..100 (got 101)' });
  await t.rejects(createOcr({ upscale: 1.5 }), { code: 'DF_ERR_CONFIG', message: 'ocr.upscale must be an integer 1..16 (got 1.5)' });
  const empty = mkdtempSync(join(tmpdir(), 'dicomflow-ocr-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  await t.rejects(createOcr({ langPath: empty }), { message: /eng\.traineddata\.gz \(from the @tesseract\.js-data\/eng package\)/ }, 'no traineddata: an error naming the package');
});

t.test('unreadable traineddata rejects createOcr instead of hanging or crashing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-ocr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'eng.traineddata.gz'), gzipSync(Buffer.from('not a traineddata file')));
  const warnings: string[] = [];
  await t.rejects(createOcr({ workers: 2, langPath: dir, onWarning: (m) => warnings.push(m) }), { message: /OCR worker failed to start with the traineddata in .*initialization failed/ });
  // Tesseract's own complaint went to the callback; it comes on another channel than the rejection, so allow it a moment.
  for (let waited = 0; waited < 2000 && !warnings.some((w) => /load any languages/.test(w)); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  t.ok(warnings.some((w) => /load any languages/.test(w)), `Tesseract's messages reach onWarning (${JSON.stringify(warnings)})`);
});

t.test('OCR finds burned-in text in >= 95% of the slices with text and <= 2% of those without', async (t) => {
  const N = 100;
  const withText = Array.from({ length: N }, (_, i) => slice(i, true));
  const without = Array.from({ length: N }, (_, i) => slice(i, false));
  t.equal(withText.filter((s) => s.window === SOFT_TISSUE).length, N / 5, 'a fifth of each set in a soft-tissue window');

  const started = performance.now();
  const warnings: string[] = [];
  const ocr = await createOcr({ workers: 2, onWarning: (m) => warnings.push(m) });
  t.teardown(() => ocr.close());
  const ready = performance.now();
  const read = (s: Slice) => ocr.recognize(s.image, s.size, s.size);
  const [textResults, plainResults] = await Promise.all([Promise.all(withText.map(read)), Promise.all(without.map(read))]);
  const done = performance.now();
  await ocr.close();

  const describe = (s: Slice, r: OcrResult) => `seed ${s.seed} ${s.size}px [${s.window}] ${JSON.stringify(s.lines)} -> ${JSON.stringify(r.tokens.map((w, k) => `${w}:${r.confidences[k]}`))}`;
  let found = 0;
  let located = 0;
  let named = 0;
  let words = 0;
  let wordsRead = 0;
  let boxes = 0;
  const strayBoxes: string[] = [];
  const misses: string[] = [];
  withText.forEach((s, k) => {
    const r = textResults[k]!;
    t.equal(r.boxes.length, r.tokens.length);
    t.equal(r.confidences.length, r.tokens.length);
    t.ok(r.confidences.every((c) => c >= 60), 'only words at or above the default confidence 60');
    if (r.tokens.length > 0) found++;
    if (r.boxes.some((b) => s.boxes.some((burned) => intersects(b, burned)))) located++;
    boxes += r.boxes.length;
    r.boxes.forEach((b, j) => {
      if (!s.boxes.some((burned) => intersects(b, burned))) strayBoxes.push(`seed ${s.seed}: ${r.tokens[j]} at ${JSON.stringify(b)}`);
    });
    const want = burnedWords(s.lines);
    const got = new Set(r.tokens.map((w) => w.toUpperCase()));
    const hits = want.filter((w) => got.has(w)).length;
    words += want.length;
    wordsRead += hits;
    if (hits > 0) named++;
    if (hits < want.length) misses.push(describe(s, r));
  });
  const falsePositives = without.flatMap((s, k) => (plainResults[k]!.tokens.length > 0 ? [describe(s, plainResults[k]!)] : []));

  t.ok(found >= 0.95 * N, `text found in ${pct(found, N)} of the slices with text (need >= 95%)`);
  t.ok(falsePositives.length <= 0.02 * N, `text found in ${pct(falsePositives.length, N)} of the slices without (need <= 2%): ${falsePositives.join('; ')}`);
  t.ok(located >= 0.95 * N, `a returned box overlaps the burned text in ${pct(located, N)} of the slices with text`);
  t.ok(strayBoxes.length <= 0.02 * Math.max(1, boxes), `${pct(strayBoxes.length, boxes)} of the returned boxes lie off the burned text: ${strayBoxes.join('; ')}`);
  t.ok(named >= 0.8 * N, `a burned word read exactly in ${pct(named, N)} of the slices with text (need >= 80%)`);
  t.comment(`words read exactly: ${pct(wordsRead, words)}; not all words read: ${misses.length ? misses.join('; ') : 'none'}`);
  t.comment(`start ${((ready - started) / 1000).toFixed(1)} s, ${2 * N} slices in ${((done - ready) / 1000).toFixed(1)} s on 2 workers; Tesseract printed ${warnings.length} message(s)`);
});

t.test('nothing reaches stdout but the caller\'s own output, and the process exits after close()', async (t) => {
  // A child with this test's loader (for the .ts imports): it prints one JSON line and nothing else may appear.
  const ocrUrl = new URL('../../src/audit/ocr.ts', import.meta.url).href;
  const textUrl = new URL('../../src/synth/text.ts', import.meta.url).href;
  const script = `
    import { createOcr } from ${JSON.stringify(ocrUrl)};
    import { burnText } from ${JSON.stringify(textUrl)};
    const image = new Float32Array(200 * 200).fill(0.1);
    const boxes = ['ST LUKES', '2021-03-04'].map((text, k) => burnText(image, 200, 200, text, { row: 10 + 20 * k, col: 10, scale: 2, value: 1 }));
    const ocr = await createOcr();
    const r = await ocr.recognize(image, 200, 200);
    await ocr.close();
    process.stdout.write(JSON.stringify({ burned: boxes, tokens: r.tokens, boxes: r.boxes }) + '\\n');
  `;
  const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.equal(child.signal, null, 'exited by itself (no worker thread left running)');
  t.equal(child.status, 0, child.stderr);
  const lines = child.stdout.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 1, `stdout holds only the caller's line: ${JSON.stringify(child.stdout)}`);
  const out = JSON.parse(lines[0]!) as { burned: Box[]; tokens: string[]; boxes: Box[] };
  t.same(out.tokens, ['ST', 'LUKES', '2021-03-04']);
  // Word boxes sit on their line of text, within a pixel or two of the glyphs.
  const [first, second] = out.burned as [Box, Box];
  for (const [k, line] of [first, first, second].entries()) {
    const b = out.boxes[k]!;
    t.ok(Math.abs(b[0] - line[0]) <= 2 && Math.abs(b[2] - line[2]) <= 2 && b[1] >= line[1] - 2 && b[3] <= line[3] + 2, `box ${JSON.stringify(b)} of ${out.tokens[k]} lies on ${JSON.stringify(line)}`);
  }
});
