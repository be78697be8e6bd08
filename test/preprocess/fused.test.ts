/**
 * The fused grayscale pass (stored -> modality LUT -> area shrink in one go)
 * against the transforms composed one after the other, as preprocess() ran
 * them before fusion: equal element for element under Object.is (so NaN
 * positions and the sign of zero count), on every grayscale fixture and on
 * seeded random frames of every stored type.
 */
import t from 'tap';
import { codecFor } from '../../src/codecs/index.js';
import type { PixelDescription, Rescale } from '../../src/dicom/description.js';
import { readDicom } from '../../src/dicom/reader.js';
import { toChannels } from '../../src/preprocess/channels.js';
import { canFuse, fusedSize, grayShrink } from '../../src/preprocess/fused.js';
import { invert } from '../../src/preprocess/invert.js';
import { grayToFloat, IDENTITY_RESCALE, modalityRange, rescaleFor } from '../../src/preprocess/modality.js';
import { preprocess } from '../../src/preprocess/pipeline.js';
import { fitInside, pad, resize } from '../../src/preprocess/resize.js';
import { validateSpec } from '../../src/preprocess/spec.js';
import type { DecodedFrame, PreprocessSpec, Sample, StoredArray, VoiSpec } from '../../src/preprocess/types.js';
import { applyVoi } from '../../src/preprocess/voi.js';
import { classFixture, classFixtures } from '../helpers/classes.js';
import { decodeFixture } from '../helpers/decode.js';
import { fixtureNames } from '../helpers/fixtures.js';
import { colorFrame, description, grayFrame, preprocessSpecOf, rng } from './fixtures/build.js';

const isGray = (pi: string) => pi === 'MONOCHROME1' || pi === 'MONOCHROME2';

/** preprocess() for a grayscale frame as it was before fusion: every transform on its own. */
function composed(frame: DecodedFrame, d: PixelDescription, spec: PreprocessSpec, frameIndex: number): Sample {
  validateSpec(spec);
  const rescale = spec.modalityLut ? rescaleFor(d, frameIndex) : IDENTITY_RESCALE;
  let img = grayToFloat(frame, rescale, frameIndex);
  const target = spec.target ?? { height: img.height, width: img.width };
  const fitted = spec.resize === 'pad' ? fitInside(img.height, img.width, target.height, target.width) : target;
  img = resize(img, fitted.height, fitted.width);
  img = applyVoi(img, spec.voi, d, img.data);
  if (spec.invertMonochrome1 && d.photometricInterpretation === 'MONOCHROME1') {
    const r = spec.voi.mode === 'none' ? modalityRange(d, rescale) : { min: 0, max: 1 };
    img = invert(img, r.min, r.max, img.data);
  }
  img = toChannels(img, spec.channels);
  img = pad(img, target.height, target.width, spec.padValue);
  if (spec.output === 'float32') return { data: img.data, shape: [img.height, img.width, img.channels] };
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = img.data[i]!;
    out[i] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
  }
  return { data: out, shape: [img.height, img.width, img.channels] };
}

/** Index of the first element that differs under Object.is, -1 when none, -2 for a different length or type. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.constructor !== b.constructor) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** Result or error of a run, in a form two runs can be compared by. */
function attempt(run: () => Sample): { sample: Sample } | { error: string } {
  try {
    return { sample: run() };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

const VOIS: VoiSpec[] = [
  { mode: 'none' },
  { mode: 'window', center: 40, width: 400 },
  { mode: 'preset', name: 'lung' },
  { mode: 'file' },
  { mode: 'file', fallback: 'percentile' },
  { mode: 'minmax' },
  { mode: 'percentile', low: 2, high: 98 },
];

/** Targets around a frame: both axes smaller (even, odd, non-divisor), one axis smaller, one smaller and one larger, same size, none. */
function targets(h: number, w: number): (PreprocessSpec['target'])[] {
  const c = (n: number) => Math.max(1, n);
  return [
    { height: c(Math.floor(h / 2)), width: c(Math.floor(w / 2)) },
    { height: c(h - 1), width: c(w - 3) },
    { height: c(Math.ceil(h / 3)), width: c(Math.ceil((2 * w) / 7)) },
    { height: 1, width: 1 },
    { height: h, width: c(Math.floor(w / 3)) },
    { height: c(Math.floor(h / 4)), width: w },
    { height: c(Math.floor(h / 2)), width: w * 2 },
    { height: h, width: w },
    null,
  ];
}

/** The steps after VOI, cycled through rather than crossed with everything else: they run on the small image either way. */
const AFTER = [
  { output: 'float32', channels: 1, invertMonochrome1: true },
  { output: 'uint8', channels: 3, invertMonochrome1: true },
  { output: 'float32', channels: 3, invertMonochrome1: false },
  { output: 'uint8', channels: 1, invertMonochrome1: false },
] as const;

/**
 * Every target x fit x VOI x modality LUT, each with one of AFTER in turn (so
 * each VOI meets each of them across targets); the ones validateSpec refuses are left out.
 */
function specs(h: number, w: number): PreprocessSpec[] {
  const out: PreprocessSpec[] = [];
  let n = 0;
  for (const target of targets(h, w)) {
    for (const resizeMode of ['stretch', 'pad'] as const) {
      for (const voi of VOIS) {
        for (const modalityLut of [true, false]) {
          const s = preprocessSpecOf({ target, resize: resizeMode, padValue: 0.25, voi, modalityLut, ...AFTER[n++ % AFTER.length]! });
          try {
            validateSpec(s);
          } catch {
            continue;
          }
          out.push(s);
        }
      }
    }
  }
  return out;
}

interface Tally {
  runs: number;
  fused: number;
  bad: string[];
}

/** preprocess() (fused where it applies) against composed() on every spec for one frame. */
function compareFrame(frame: DecodedFrame, d: PixelDescription, frameIndex: number, tally: Tally, label: string): void {
  for (const s of specs(frame.height, frame.width)) {
    tally.runs++;
    if (canFuse(frame, s)) tally.fused++;
    const a = attempt(() => preprocess(frame, d, s, frameIndex));
    const b = attempt(() => composed(frame, d, s, frameIndex));
    if ('error' in a || 'error' in b) {
      if (!('error' in a && 'error' in b && a.error === b.error)) tally.bad.push(`${label} ${JSON.stringify(s)}: ${JSON.stringify({ a, b })}`);
      continue;
    }
    const i = firstDifference(a.sample.data, b.sample.data);
    if (i !== -1 || a.sample.shape.join() !== b.sample.shape.join()) {
      tally.bad.push(`${label} ${JSON.stringify(s)}: first difference at ${i}: ${a.sample.data[i]} vs ${b.sample.data[i]}`);
    }
  }
}

async function decodeClass(name: string): Promise<{ d: PixelDescription; frames: DecodedFrame[] }> {
  const r = readDicom([classFixture(name).bytes]);
  const d = await r.header();
  const codec = codecFor(d.transferSyntax)!;
  const frames: DecodedFrame[] = [];
  for await (const f of r.frames()) frames.push(await codec.decode(f.bytes, d));
  return { d, frames };
}

t.test('every grayscale fixture: preprocess() equals the composed transforms exactly, on every spec', async (t) => {
  const sources: { name: string; load: () => Promise<{ d: PixelDescription; frames: DecodedFrame[] }> }[] = [
    ...fixtureNames().map((name) => ({ name, load: () => decodeFixture(name) })),
    ...classFixtures().map((name) => ({ name: `classes/${name}`, load: () => decodeClass(name) })),
  ];
  let fixtures = 0;
  for (const { name, load } of sources) {
    const { d, frames } = await load();
    if (!isGray(d.photometricInterpretation) || !frames.every((f) => isGray(f.photometricInterpretation))) continue;
    fixtures++;
    const tally: Tally = { runs: 0, fused: 0, bad: [] };
    frames.forEach((f, i) => compareFrame(f, d, i, tally, `${name} frame ${i}`));
    // The first frame labelled MONOCHROME1, so inversion runs after the fused pass on every fixture.
    const d1 = { ...d, photometricInterpretation: 'MONOCHROME1' };
    compareFrame({ ...frames[0]!, photometricInterpretation: 'MONOCHROME1' }, d1, 0, tally, `${name} frame 0 as MONOCHROME1`);
    t.ok(tally.fused > 0, `${name}: ${tally.fused} of ${tally.runs} runs fused`);
    t.same(tally.bad.slice(0, 3), [], `${name}: ${d.rows}x${d.columns}, ${frames.length} frame(s), ${frames[0]!.pixels.constructor.name}: no difference in ${tally.runs} runs`);
  }
  t.ok(fixtures >= 25, `${fixtures} grayscale fixtures`);
});

type Ctor = { new (n: number): StoredArray; name: string };
const KINDS: { type: Ctor; value: (r: () => number) => number }[] = [
  { type: Uint8Array, value: (r) => Math.floor(r() * 256) },
  { type: Int8Array, value: (r) => Math.floor(r() * 256) - 128 },
  { type: Uint16Array, value: (r) => Math.floor(r() * 65536) },
  { type: Int16Array, value: (r) => Math.floor(r() * 65536) - 32768 },
  // Beyond 2^24, so the float32 rounding of grayToFloat changes values the fused pass must round the same way.
  { type: Uint32Array, value: (r) => Math.floor(r() * 2 ** 32) },
  { type: Int32Array, value: (r) => Math.floor(r() * 2 ** 32) - 2 ** 31 },
  {
    type: Float32Array,
    value: (r) => {
      const u = r();
      if (u < 0.01) return NaN;
      if (u < 0.02) return Infinity;
      if (u < 0.03) return -Infinity;
      if (u < 0.05) return -0;
      if (u < 0.07) return (r() - 0.5) * 1e38; // near float32's largest: sums overflow in float32 but not float64
      return (r() - 0.5) * 10 ** Math.floor(r() * 12 - 4);
    },
  },
];
const RESCALES: Rescale[] = [IDENTITY_RESCALE, { slope: 1, intercept: -1024 }, { slope: 0.37, intercept: -1024.5 }, { slope: -2.5e-3, intercept: 7 }, { slope: 1, intercept: -0 }];
const SIZES: [number, number][] = [[37, 23], [23, 37], [64, 64], [1, 17], [17, 1], [101, 75], [2, 2], [31, 128]];

t.test('seeded random frames of every stored type and odd sizes: the fused image equals grayToFloat + resize exactly', async (t) => {
  for (const [k, kind] of KINDS.entries()) {
    let images = 0;
    const bad: string[] = [];
    for (const [sIdx, [h, w]] of SIZES.entries()) {
      const r = rng(1000 + 37 * k + sIdx);
      const pixels = new kind.type(h * w);
      for (let i = 0; i < pixels.length; i++) pixels[i] = kind.value(r);
      const frame = grayFrame(pixels, w, h);
      for (const rescale of RESCALES) {
        const full = grayToFloat(frame, rescale);
        for (let oh = 1; oh <= h; oh += Math.max(1, Math.floor(h / 7))) {
          for (let ow = 1; ow <= w; ow += Math.max(1, Math.floor(w / 7))) {
            if (oh === h && ow === w) continue;
            images++;
            const a = grayShrink(frame, rescale, oh, ow).data;
            const b = resize(full, oh, ow).data;
            const i = firstDifference(a, b);
            if (i !== -1) bad.push(`${h}x${w} -> ${oh}x${ow} ${JSON.stringify(rescale)}: at ${i} ${a[i]} vs ${b[i]}`);
          }
        }
      }
    }
    t.same(bad.slice(0, 3), [], `${kind.type.name}: ${images} shrunk images identical`);
  }
});

t.test('seeded random frames through preprocess(): equal to the composed transforms on every spec', async (t) => {
  for (const [k, kind] of KINDS.entries()) {
    const tally: Tally = { runs: 0, fused: 0, bad: [] };
    for (const [sIdx, [h, w]] of [[37, 23], [20, 31]].entries()) {
      const r = rng(7 + 11 * k + sIdx);
      const pixels = new kind.type(h! * w!);
      for (let i = 0; i < pixels.length; i++) pixels[i] = kind.value(r);
      const float = kind.type === Float32Array;
      const d = description({
        rows: h!,
        columns: w!,
        pixelData: float ? 'float32' : 'integer',
        bitsAllocated: float ? 32 : pixels.BYTES_PER_ELEMENT * 8,
        bitsStored: float ? 32 : pixels.BYTES_PER_ELEMENT * 8,
        pixelRepresentation: kind.type.name.startsWith('Int') ? 1 : 0,
        rescaleSlope: 0.37,
        rescaleIntercept: -1024.5,
        windowCenter: 40,
        windowWidth: 400,
      });
      for (const pi of ['MONOCHROME2', 'MONOCHROME1']) {
        compareFrame(grayFrame(pixels, w!, h!, pi), { ...d, photometricInterpretation: pi }, 0, tally, `${kind.type.name} ${h}x${w} ${pi}`);
      }
    }
    t.ok(tally.fused > 0, `${kind.type.name}: ${tally.fused} of ${tally.runs} runs fused`);
    t.same(tally.bad.slice(0, 3), [], `${kind.type.name}: no difference in ${tally.runs} runs`);
  }
});

t.test('the fused pass is taken for grayscale shrinking, and only there', async (t) => {
  const spec = (target: PreprocessSpec['target'], resizeMode: 'stretch' | 'pad' = 'stretch') => preprocessSpecOf({ target, resize: resizeMode });
  const ct = grayFrame(new Int16Array(512 * 512), 512, 512);
  const cr = grayFrame(new Uint16Array(2048 * 2048), 2048, 2048, 'MONOCHROME1');
  t.ok(canFuse(ct, spec({ height: 128, width: 128 })), 'CT 512x512 -> 128x128');
  t.ok(canFuse(ct, spec({ height: 256, width: 256 })), 'CT 512x512 -> 256x256');
  t.ok(canFuse(cr, spec({ height: 256, width: 256 })), 'radiograph 2048x2048 MONOCHROME1 -> 256x256');
  t.ok(canFuse(grayFrame(new Float32Array(300 * 200), 200, 300), spec({ height: 224, width: 224 }, 'pad')), 'float 300x200 padded into 224x224 (fitted 224x149)');
  t.same(fusedSize(grayFrame(new Uint16Array(300 * 200), 200, 300), spec({ height: 224, width: 224 }, 'pad')), { height: 224, width: 149 });
  t.ok(canFuse(ct, spec({ height: 512, width: 100 })), 'one axis kept, the other shrunk');
  t.notOk(canFuse(ct, spec({ height: 512, width: 512 })), 'same size: nothing to resize');
  t.notOk(canFuse(ct, spec(null)), 'no target');
  t.notOk(canFuse(ct, spec({ height: 1024, width: 256 })), 'one axis grows');
  t.notOk(canFuse(ct, spec({ height: 1024, width: 1024 }, 'pad')), 'pad to a larger size grows');
  t.notOk(canFuse(colorFrame(new Uint8Array(3 * 64 * 64), 64, 64, 'RGB'), spec({ height: 32, width: 32 })), 'color');
  t.notOk(canFuse(grayFrame(new Uint16Array(10), 4, 4), spec({ height: 2, width: 2 })), 'sample count disagrees with the size (composed path reports it)');
  t.throws(() => preprocess(grayFrame(new Uint16Array(10), 4, 4), description({ rows: 4, columns: 4 }), spec({ height: 2, width: 2 }), 0), {
    name: 'InvalidPixelDescriptionError',
  });
});

t.test('grayShrink: hand-computed area means and its size contract', async (t) => {
  // 3 columns -> 2: output 0 covers pixel 0 and half of pixel 1, output 1 the other half and pixel 2.
  const f = grayFrame(Uint16Array.of(0, 30, 60, 90, 120, 150), 3, 2);
  const out = grayShrink(f, { slope: 2, intercept: -10 }, 1, 2);
  // modality 2x-10: -10 50 110 / 170 230 290; column means (2/3, 1/3 weights) then row mean
  t.same([...out.data], [Math.fround(((-10 * 2 + 50) / 3 + (170 * 2 + 230) / 3) / 2), Math.fround(((50 + 110 * 2) / 3 + (230 + 290 * 2) / 3) / 2)]);
  t.throws(() => grayShrink(f, IDENTITY_RESCALE, 3, 2), RangeError, 'growing is refused');
  t.throws(() => grayShrink(f, IDENTITY_RESCALE, 0, 1), RangeError, 'zero size is refused');
});

t.test('power-of-two factors (integer block sums for 8- and 16-bit stored values, slope 1, integer intercept): equal to grayToFloat + resize exactly', async (t) => {
  // 2048x2048 -> 256x256 is this case; smaller frames with the same factors exercise the same loop.
  const shapes: [number, number, number, number][] = [[64, 64, 8, 8], [64, 64, 32, 32], [64, 64, 1, 1], [32, 128, 32, 16], [128, 32, 4, 32], [2, 2, 1, 1], [256, 256, 2, 256]];
  const rescales: Rescale[] = [IDENTITY_RESCALE, { slope: 1, intercept: -1024 }, { slope: 1, intercept: 2 ** 24 - 2 ** 16 }, { slope: 1, intercept: -(2 ** 24) }, { slope: 1, intercept: 0.5 }, { slope: 2, intercept: 0 }];
  for (const [k, kind] of KINDS.entries()) {
    const bad: string[] = [];
    let images = 0;
    for (const [sIdx, [h, w, oh, ow]] of shapes.entries()) {
      const r = rng(5000 + 13 * k + sIdx);
      const pixels = new kind.type(h * w);
      for (let i = 0; i < pixels.length; i++) pixels[i] = kind.value(r);
      // The type's extremes, so a block sum that overflowed int32 or lost the sign would show.
      if (pixels.length > 2 && !(pixels instanceof Float32Array)) {
        const max = kind.type === Uint8Array ? 255 : kind.type === Int8Array ? 127 : kind.type === Uint16Array ? 65535 : kind.type === Int16Array ? 32767 : 2 ** 31 - 1;
        pixels.fill(max, 0, w * Math.min(h, 4));
        pixels[pixels.length - 1] = kind.type.name.startsWith('Int') ? -max - 1 : 0;
      }
      const frame = grayFrame(pixels, w, h);
      for (const rescale of rescales) {
        images++;
        const a = grayShrink(frame, rescale, oh, ow).data;
        const b = resize(grayToFloat(frame, rescale), oh, ow).data;
        const i = firstDifference(a, b);
        if (i !== -1) bad.push(`${h}x${w} -> ${oh}x${ow} ${JSON.stringify(rescale)}: at ${i} ${a[i]} vs ${b[i]}`);
      }
    }
    t.same(bad.slice(0, 3), [], `${kind.type.name}: ${images} images identical`);
  }
});
