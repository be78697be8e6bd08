#!/usr/bin/env node
// Preprocessing alone, from an already-decoded frame (no codec): the composed
// transforms (grayToFloat -> resize -> VOI ..., a full-size float image in
// between) against preprocess(), which fuses the modality LUT and the area
// shrink into one pass. Each scenario runs in its own process; inside it the
// two paths alternate round by round (which goes first alternates too), and
// the speedup is taken within each round so a noisy neighbour slows both.
//
//   node bench/preprocess.mjs [--rounds R] [--scenarios radiograph,ct]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    scenarios: { type: 'string', default: 'radiograph,ct' },
    scenario: { type: 'string' }, // internal: run one scenario in this process
  },
});

const SCENARIOS = {
  radiograph: { label: 'radiograph 2048x2048 Uint16 12-bit -> 256x256, minmax', size: 2048, target: 256, framesPerTiming: 4 },
  ct: { label: 'CT 512x512 Int16 -> 128x128, lung preset', size: 512, target: 128, framesPerTiming: 40 },
};

if (values.scenario !== undefined) {
  console.log(JSON.stringify(await runScenario(values.scenario, Number(values.rounds))));
} else {
  const results = [];
  for (const name of values.scenarios.split(',')) {
    process.stderr.write(`preprocess: ${name}\n`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--scenario', name, '--rounds', values.rounds], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scenario ${name} failed (${r.status}): ${r.stderr}`);
    results.push(JSON.parse(r.stdout.trim().split('\n').at(-1)));
  }
  const path = writeResult('preprocess', { rounds: Number(values.rounds), results });
  console.log(
    table(
      ['scenario', 'composed ms/frame', 'fused ms/frame', 'speedup (median of rounds)', 'speedup range', 'identical'],
      results.map((r) => [
        r.label,
        r.composedMs.toFixed(2),
        r.fusedMs.toFixed(2),
        `${r.speedup.toFixed(2)}x`,
        `${r.speedupMin.toFixed(2)}-${r.speedupMax.toFixed(2)}x`,
        r.identical ? 'yes' : 'NO',
      ]),
    ),
  );
  console.log(`\n${path}`);
}

async function runScenario(name, rounds) {
  const s = SCENARIOS[name];
  if (!s) throw new Error(`unknown scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const { ctSlice, radiograph } = await import('../dist/synth/phantom.js');
  const { preprocess } = await import('../dist/preprocess/pipeline.js');
  const { canFuse } = await import('../dist/preprocess/fused.js');
  const { grayToFloat, IDENTITY_RESCALE, rescaleFor } = await import('../dist/preprocess/modality.js');
  const { resize } = await import('../dist/preprocess/resize.js');
  const { applyVoi } = await import('../dist/preprocess/voi.js');

  const ct = name === 'ct';
  const pixels = ct ? ctSlice({ seed: 1, size: s.size }) : radiograph({ seed: 1, width: s.size, height: s.size, bits: 12 });
  const frame = { pixels, width: s.size, height: s.size, samplesPerPixel: 1, planarConfiguration: 0, photometricInterpretation: 'MONOCHROME2' };
  const d = {
    rows: s.size,
    columns: s.size,
    frames: 1,
    samplesPerPixel: 1,
    pixelData: 'integer',
    bitsAllocated: 16,
    bitsStored: ct ? 16 : 12,
    highBit: ct ? 15 : 11,
    pixelRepresentation: ct ? 1 : 0,
    photometricInterpretation: 'MONOCHROME2',
    planarConfiguration: null,
    rescaleSlope: ct ? 1 : null,
    rescaleIntercept: ct ? 0 : null,
    frameRescale: null,
    windowCenter: null,
    windowWidth: null,
  };
  const spec = {
    target: { height: s.target, width: s.target },
    resize: 'stretch',
    padValue: 0,
    channels: 1,
    modalityLut: true,
    voi: ct ? { mode: 'preset', name: 'lung' } : { mode: 'minmax' },
    invertMonochrome1: true,
    output: 'float32',
  };
  if (!canFuse(frame, spec)) throw new Error(`${name}: the fused path does not apply`);

  // The chain as preprocess() ran it before fusion (MONOCHROME2, one channel, no pad: nothing after VOI runs).
  const composed = () => {
    const rescale = spec.modalityLut ? rescaleFor(d, 0) : IDENTITY_RESCALE;
    let img = grayToFloat(frame, rescale, 0);
    img = resize(img, spec.target.height, spec.target.width);
    return applyVoi(img, spec.voi, d, img.data).data;
  };
  const fused = () => preprocess(frame, d, spec, 0).data;

  const a = composed();
  const b = fused();
  const identical = a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

  const time = (run) => {
    const t0 = performance.now();
    for (let i = 0; i < s.framesPerTiming; i++) run();
    return (performance.now() - t0) / s.framesPerTiming;
  };
  for (let i = 0; i < 3; i++) time(composed), time(fused); // warm-up: JIT
  const c = [];
  const f = [];
  const ratio = [];
  for (let r = 0; r < rounds; r++) {
    let tc;
    let tf;
    if (r % 2 === 0) {
      tc = time(composed);
      tf = time(fused);
    } else {
      tf = time(fused);
      tc = time(composed);
    }
    c.push(tc);
    f.push(tf);
    ratio.push(tc / tf);
  }
  return {
    scenario: name,
    label: s.label,
    framesPerTiming: s.framesPerTiming,
    composedMs: median(c),
    fusedMs: median(f),
    speedup: median(ratio),
    speedupMin: Math.min(...ratio),
    speedupMax: Math.max(...ratio),
    identical,
    rounds: { composedMs: c, fusedMs: f, speedup: ratio },
  };
}
