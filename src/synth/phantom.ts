/**
 * Anatomy-like phantoms: a chest CT slice and a chest radiograph, each a pure
 * function of its seed. They stand in for patient images in benchmarks and
 * tests, so what matters is that codecs meet the kind of content they meet
 * in practice: large smooth regions, soft edges, fine structure and noise.
 * A constant or purely random image would make every codec look either
 * miraculous or hopeless.
 */
import { SynthOptionError } from '../errors.js';
import { smoothField, smoothFieldRows } from './field.js';
import { createRandom, deriveSeed, fastNormal, type Random } from './random.js';
import { paintEllipse, insideEllipse, type Canvas, type Ellipse } from './raster.js';

/** Stored CT values are clamped to the range a 12-bit scanner reconstructs. */
export const CT_HU_MIN = -1024;
export const CT_HU_MAX = 3071;
/** Rescale intercept of the unsigned representation (stored = HU + 1024). */
export const CT_UNSIGNED_INTERCEPT = -1024;

export interface CtLesion {
  /** Centre and radius in pixels. */
  x: number;
  y: number;
  radius: number;
  /** Added to the tissue it sits in (a 60 HU nodule in lung: about 900). */
  contrastHU: number;
}

export interface CtSliceOptions {
  /** Rows = columns. Default 512; the anatomy scales with it. */
  size?: number;
  seed: number;
  lesion?: CtLesion | null;
  /** Standard deviation of the added gaussian noise. Default 12 HU. */
  noiseHU?: number;
}

export interface LungLesionOptions {
  /** Chance that there is a lesion at all (0..1). */
  probability: number;
  /** Radius range in 512-pixel units (scaled with the slice size). */
  radius: [number, number];
  contrastHU: [number, number];
}

/**
 * A lesion placed inside one of ctSlice's lungs, or null (with 1 - probability).
 * The draws always happen in the same order (side, presence, then position,
 * radius, contrast), so a seed gives the same lesion in every caller.
 *
 * @example randomLungLesion(createRandom(7), 256, { probability: 1, radius: [16, 24], contrastHU: [850, 900] })
 */
export function randomLungLesion(rng: Random, size: number, o: LungLesionOptions): CtLesion | null {
  const k = size / 512;
  const side = rng.next() < 0.5 ? -1 : 1;
  if (!(rng.next() < o.probability)) return null;
  return {
    x: (256 + side * 88 + rng.range(-25, 25)) * k,
    y: (242 + rng.range(-45, 45)) * k,
    radius: rng.range(o.radius[0], o.radius[1]) * k,
    contrastHU: rng.range(o.contrastHU[0], o.contrastHU[1]),
  };
}

const jitter = (rng: Random, value: number, fraction: number) => value * (1 + rng.range(-fraction, fraction));

/**
 * An axial chest CT slice at heart level, in HU (rescale slope 1, intercept
 * 0, signed 16-bit): air -1000 around an elliptical body with a fat layer
 * (-100) over soft tissue (40), two lungs (-850) with vessels, mediastinal fat,
 * heart and aorta, a vertebra, ribs, sternum and scapulae (bone 700-1150,
 * cancellous 250), noise (near-gaussian, see `fastNormal`), and an optional
 * lesion. Values are clamped to CT_HU_MIN..CT_HU_MAX.
 *
 * @example
 *   const hu = ctSlice({ seed: 1, lesion: { x: 180, y: 240, radius: 10, contrastHU: 900 } });
 *   hu.length; // 262144 (512 x 512)
 */
export function ctSlice(options: CtSliceOptions): Int16Array {
  const size = options.size ?? 512;
  if (!Number.isInteger(size) || size < 64 || size > 4096) throw new SynthOptionError(`ctSlice size must be an integer 64..4096 (got ${size})`, { stage: 'bench', field: 'size' });
  const { seed } = options;
  const noise = options.noiseHU ?? 12;
  if (!(noise >= 0 && noise <= 1000)) throw new SynthOptionError(`ctSlice noiseHU must be 0..1000 (got ${noise})`, { stage: 'bench', field: 'noiseHU' });
  const s = size / 512; // the layout below is drawn in 512-pixel units
  const c: Canvas = { data: new Float32Array(size * size).fill(-1000), width: size, height: size };
  const at = (e: Ellipse): Ellipse => ({ cx: e.cx * s, cy: e.cy * s, rx: e.rx * s, ry: e.ry * s, angle: e.angle ?? 0 });

  const b = createRandom(deriveSeed(seed, 'ct-body'));
  const body = { cx: 256 + b.range(-6, 6), cy: 262 + b.range(-4, 4), rx: jitter(b, 200, 0.06), ry: jitter(b, 148, 0.06) };
  paintEllipse(c, at(body), -100, 'set');
  const fat = b.range(8, 18);
  paintEllipse(c, at({ ...body, rx: body.rx - fat, ry: body.ry - fat * 0.8 }), 40, 'set');
  addInside(c, smoothField(size, size, 24, b), 6, (v) => v > -300);

  const l = createRandom(deriveSeed(seed, 'ct-lungs'));
  const lungs: Ellipse[] = [
    { cx: body.cx - jitter(l, 88, 0.05), cy: 242, rx: jitter(l, 68, 0.06), ry: jitter(l, 92, 0.05), angle: l.range(0.05, 0.18) },
    { cx: body.cx + jitter(l, 90, 0.05), cy: 244, rx: jitter(l, 64, 0.06), ry: jitter(l, 90, 0.05), angle: -l.range(0.05, 0.18) },
  ];
  for (const lung of lungs) paintEllipse(c, at(lung), l.range(-870, -830), 'set');
  addInside(c, smoothField(size, size, 40, l), 25, (v) => v > -950 && v < -600); // lung, not the air around the body
  for (const lung of lungs) paintVessels(c, lung, s, l);

  const m = createRandom(deriveSeed(seed, 'ct-mediastinum'));
  paintEllipse(c, at({ cx: body.cx, cy: 236, rx: jitter(m, 46, 0.08), ry: jitter(m, 76, 0.06) }), -90, 'set');
  paintEllipse(c, at({ cx: body.cx + 20, cy: 218, rx: jitter(m, 58, 0.08), ry: jitter(m, 50, 0.08), angle: -0.5 }), 42, 'set');
  paintEllipse(c, at({ cx: body.cx - 12, cy: 186, rx: 14, ry: 14 }), 45, 'set'); // ascending aorta
  paintEllipse(c, at({ cx: body.cx + 16, cy: 304, rx: 12, ry: 12 }), 45, 'set'); // descending aorta, left of the spine

  const k = createRandom(deriveSeed(seed, 'ct-bones'));
  paintSpine(c, body.cx, body.cy + body.ry * 0.48, s, k);
  const ribRing = { cx: body.cx, cy: body.cy, rx: body.rx - 24, ry: body.ry - 20 };
  for (const side of [1, -1]) {
    for (let i = 0; i < 7; i++) {
      // Ribs run from the front (-65 deg) round the side to the back (+68 deg); 0 deg is lateral.
      const phi = ((-65 + (133 * i) / 6 + k.range(-4, 4)) * Math.PI) / 180;
      const cx = ribRing.cx + side * ribRing.rx * Math.cos(phi);
      const cy = ribRing.cy + ribRing.ry * Math.sin(phi);
      paintEllipse(c, at({ cx, cy, rx: jitter(k, 7.5, 0.15), ry: jitter(k, 4, 0.15), angle: side * phi + Math.PI / 2 }), k.range(700, 1150), 'set');
    }
    paintEllipse(c, at({ cx: body.cx + side * 90, cy: body.cy + body.ry * 0.72, rx: 30, ry: 4.5, angle: -side * 0.45 }), k.range(700, 900), 'set'); // scapula
  }
  const sternum = { cx: body.cx, cy: body.cy - body.ry + fat + 12, rx: 13, ry: 7 };
  paintEllipse(c, at(sternum), 750, 'set');
  paintEllipse(c, at({ ...sternum, rx: 9, ry: 3.5 }), 280, 'set');

  const lesion = options.lesion;
  if (lesion) paintEllipse(c, { cx: lesion.x, cy: lesion.y, rx: lesion.radius, ry: lesion.radius }, lesion.contrastHU, 'add');

  const n = createRandom(deriveSeed(seed, 'ct-noise'));
  const out = new Int16Array(size * size);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(c.data[i]! + noise * fastNormal(n));
    out[i] = v < CT_HU_MIN ? CT_HU_MIN : v > CT_HU_MAX ? CT_HU_MAX : v;
  }
  return out;
}

/**
 * The unsigned representation many scanners store: HU + 1024 in 12 bits,
 * rescale intercept -1024 (CT_UNSIGNED_INTERCEPT).
 *
 * @example
 *   ctToUnsigned(Int16Array.of(-1024, 0, 40))  // Uint16Array [0, 1024, 1064]
 */
export function ctToUnsigned(hu: Int16Array): Uint16Array {
  const out = new Uint16Array(hu.length);
  // Clamp first: a Uint16Array would wrap -1100 HU round to 65460.
  for (let i = 0; i < hu.length; i++) out[i] = Math.min(CT_HU_MAX, Math.max(CT_HU_MIN, hu[i]!)) - CT_UNSIGNED_INTERCEPT;
  return out;
}

/** Adds amplitude * field where the current value passes `where` (tissue texture). */
function addInside(c: Canvas, field: Float32Array, amplitude: number, where: (v: number) => boolean): void {
  for (let i = 0; i < c.data.length; i++) if (where(c.data[i]!)) c.data[i] = c.data[i]! + amplitude * field[i]!;
}

/** Vessels seen end-on: small blood-density blobs, larger towards the hilum (the medial side). */
function paintVessels(c: Canvas, lung: Ellipse, s: number, rng: Random): void {
  const inner = { ...lung, rx: lung.rx * 0.9, ry: lung.ry * 0.9 };
  const medial = lung.cx < 256 ? 1 : -1;
  for (let placed = 0, tries = 0; placed < 45 && tries < 1000; tries++) {
    const x = lung.cx + rng.range(-lung.rx, lung.rx);
    const y = lung.cy + rng.range(-lung.ry, lung.ry);
    if (!insideEllipse(inner, x, y)) continue;
    const towardHilum = Math.max(0, (medial * (x - lung.cx)) / lung.rx); // 0 lateral .. 1 medial
    const r = (0.7 + rng.next() ** 2 * (1.5 + 3 * towardHilum)) * s;
    paintEllipse(c, { cx: x * s, cy: y * s, rx: r, ry: r }, rng.range(30, 50), 'set');
    placed++;
  }
}

/** A thoracic vertebra: cortical shell over cancellous bone, canal, processes. */
function paintSpine(c: Canvas, cx: number, cy: number, s: number, rng: Random): void {
  const at = (x: number, y: number, rx: number, ry: number, angle = 0): Ellipse => ({ cx: x * s, cy: y * s, rx: rx * s, ry: ry * s, angle });
  const r = jitter(rng, 24, 0.08);
  paintEllipse(c, at(cx, cy, r, r * 0.95), rng.range(1000, 1150), 'set');
  paintEllipse(c, at(cx, cy, r - 3.5, r * 0.95 - 3.5), rng.range(220, 300), 'set');
  paintEllipse(c, at(cx, cy + r + 18, 24, 9), 800, 'set'); // laminae
  for (const side of [1, -1]) paintEllipse(c, at(cx + side * 26, cy + r + 12, 13, 5, side * 0.3), 780, 'set'); // transverse processes
  paintEllipse(c, at(cx, cy + r + 11, 9, 9), 15, 'set'); // spinal canal (CSF)
  paintEllipse(c, at(cx, cy + r + 34, 5, 11), 850, 'set'); // spinous process
}

export interface RadiographLesion {
  /** Centre and radius in pixels. */
  x: number;
  y: number;
  radius: number;
  /** Stored-value increase at the centre (a nodule is brighter than lung). */
  contrast: number;
}

export interface RadiographOptions {
  /** Default 2048 x 2048. */
  width?: number;
  height?: number;
  /** Bits stored, 8..16. Default 12. */
  bits?: number;
  seed: number;
  lesion?: RadiographLesion | null;
}

/**
 * A PA chest radiograph as MONOCHROME2 stored values in [0, 2^bits - 1]:
 * dark direct-exposure background, a torso with shoulders, dark lungs with
 * vascular texture, brighter mediastinum, heart, spine with vertebrae, rib
 * and clavicle arcs with cortical edges, a gastric bubble, low-frequency
 * exposure variation, and spatially correlated, signal-dependent noise.
 *
 * The image is built as a projected thickness ("attenuation") map, the way
 * an x-ray image forms, then mapped linearly to stored values (the log
 * transform a detector applies). Bones are drawn first into the map; one pass
 * over the rows then adds the soft anatomy and noise and writes the values.
 *
 * @example
 *   const px = radiograph({ seed: 1, width: 512, height: 512 }); // Uint16Array, 12-bit values
 */
export function radiograph(options: RadiographOptions): Uint16Array {
  const W = options.width ?? 2048;
  const H = options.height ?? 2048;
  const bits = options.bits ?? 12;
  if (!Number.isInteger(bits) || bits < 8 || bits > 16) {
    throw new SynthOptionError(`radiograph bits must be an integer 8..16 (got ${bits})`, { stage: 'bench', field: 'bits' });
  }
  for (const [field, n] of [['width', W], ['height', H]] as const) {
    if (!Number.isInteger(n) || n < 16 || n > 16384) throw new SynthOptionError(`radiograph ${field} must be an integer 16..16384 (got ${n})`, { stage: 'bench', field });
  }
  const seed = options.seed;
  const max = 2 ** bits - 1;
  const gain = 0.45; // stored value per unit attenuation, as a fraction of max

  const r = createRandom(deriveSeed(seed, 'cxr-anatomy'));
  const uc = 0.5 + r.range(-0.015, 0.015);
  const shoulder = jitter(r, 0.46, 0.04);
  const waist = jitter(r, 0.4, 0.04);
  const bodyHalfWidth = (v: number) =>
    v < 0.16 ? 0.085 + (shoulder - 0.085) * smoothstep((v - 0.03) / 0.13) : shoulder + (waist - shoulder) * ((v - 0.16) / 0.84);
  const lungs = [-1, 1].map((side) => ({
    side,
    apex: jitter(r, 0.125, 0.08),
    // The right hemidiaphragm (image left) sits higher, over the liver.
    base: side < 0 ? jitter(r, 0.69, 0.03) : jitter(r, 0.72, 0.03),
    lateral: jitter(r, 0.39, 0.04),
    medial: r.range(0.05, 0.065),
  }));
  const heart = { cu: uc + jitter(r, 0.06, 0.2), cv: jitter(r, 0.6, 0.03), ru: jitter(r, 0.16, 0.08), rv: jitter(r, 0.13, 0.08) };
  const vertebra = jitter(r, 0.048, 0.06);
  const phase = r.next();

  // Bones, small structures and the lesion go into A first.
  const A = new Float32Array(W * H);
  const canvas: Canvas = { data: A, width: W, height: H };
  const k = createRandom(deriveSeed(seed, 'cxr-bones'));
  for (const side of [-1, 1]) {
    const wall = (v: number) => bodyHalfWidth(v) - 0.02;
    for (let i = 0; i < 10; i++) {
      const v0 = 0.115 + i * jitter(k, 0.06, 0.04);
      // Posterior ribs leave the spine, rise slightly, then arc down the lateral wall.
      addArc(canvas, uc, side, 0.035, wall(v0 + 0.06), (n) => v0 - 0.03 * n + 0.2 * n * n, jitter(k, 0.013, 0.1), jitter(k, 0.2, 0.15), () => 1);
    }
    for (let i = 0; i < 6; i++) {
      const va = 0.16 + i * jitter(k, 0.065, 0.05);
      // Anterior ribs run down and in from the lateral wall; they fade medially into cartilage.
      addArc(canvas, uc, side, 0.12, wall(va), (n) => va + 0.11 * (1 - n) ** 1.2, jitter(k, 0.012, 0.1), jitter(k, 0.12, 0.15), (n) => 0.2 + 0.8 * n);
    }
    const vc = jitter(k, 0.115, 0.06);
    addArc(canvas, uc, side, 0.025, jitter(k, 0.24, 0.06), (n) => vc + 0.015 * Math.sin(Math.PI * n) - 0.035 * n, 0.011, jitter(k, 0.35, 0.1), () => 1); // clavicle
  }
  addDome(canvas, (uc + 0.045) * W, 0.3 * H, 0.035 * W, 0.03 * H, 0.12); // aortic knob
  addDome(canvas, (uc + 0.17) * W, 0.79 * H, 0.05 * W, 0.028 * H, -0.15); // gastric air bubble
  const lesion = options.lesion;
  if (lesion) addDome(canvas, lesion.x, lesion.y, lesion.radius, lesion.radius, lesion.contrast / (gain * max));

  const low = smoothFieldRows(W, H, 3, createRandom(deriveSeed(seed, 'cxr-low')));
  const t = createRandom(deriveSeed(seed, 'cxr-texture'));
  const coarse = smoothFieldRows(W, H, 26, t);
  const fine = smoothFieldRows(W, H, 75, t);
  const noise = correlatedNoise(W, createRandom(deriveSeed(seed, 'cxr-noise')));
  const att = new Float32Array(W); // this row's attenuation
  const air = new Float32Array(W); // this row's lung air depth
  const coarseRow = new Float32Array(W);
  const fineRow = new Float32Array(W);
  const out = new Uint16Array(W * H);
  // Horizontal extent [from, to) of a structure centred at u with half-width hw, in pixels.
  const span = (u: number, hw: number): [number, number] => [Math.max(0, Math.floor((u - hw) * W)), Math.min(W, Math.ceil((u + hw) * W))];

  // Each structure is added over its own span of the row only: most of a row
  // is outside most structures, and this keeps the image under half a second.
  for (let y = 0; y < H; y++) {
    const v = (y + 0.5) / H;
    const row = y * W;
    low(y, att);
    for (let x = 0; x < W; x++) att[x] = 0.04 * att[x]! + A[row + x]!;
    const hwB = bodyHalfWidth(v);
    let [x0, x1] = span(uc, hwB);
    for (let x = x0; x < x1; x++) {
      const q = ((x + 0.5) / W - uc) / hwB;
      if (q * q < 1) att[x] = att[x]! + Math.sqrt(1 - q * q);
    }

    air.fill(0);
    let airFrom = W;
    let airTo = 0;
    for (const l of lungs) {
      const lr = lungRow(l, v);
      if (lr === null) continue;
      [x0, x1] = span(uc + l.side * lr.mid, lr.half);
      airFrom = Math.min(airFrom, x0);
      airTo = Math.max(airTo, x1);
      for (let x = x0; x < x1; x++) air[x] = air[x]! + lungAt(lr, l.side * ((x + 0.5) / W - uc), v);
    }
    const hv = (v - heart.cv) / heart.rv;
    if (hv * hv < 1) {
      [x0, x1] = span(heart.cu, heart.ru);
      for (let x = x0; x < x1; x++) {
        const hu = ((x + 0.5) / W - heart.cu) / heart.ru;
        const q = hu * hu + hv * hv;
        if (q >= 1) continue;
        const cardiac = Math.sqrt(1 - q);
        air[x] = air[x]! * Math.max(0, 1 - 1.5 * cardiac); // the heart displaces lung
        att[x] = att[x]! + 0.2 * cardiac;
      }
    }
    const medRow = v > 0.05 && v < 0.64 ? smoothstep(Math.min((v - 0.05) / 0.06, (0.64 - v) / 0.08)) : 0;
    if (medRow > 0) {
      [x0, x1] = span(uc + 0.01, 0.075);
      for (let x = x0; x < x1; x++) {
        const q = ((x + 0.5) / W - uc - 0.01) / 0.075;
        if (q * q >= 1) continue;
        const m = Math.sqrt(1 - q * q) * medRow;
        air[x] = air[x]! * (1 - m);
        att[x] = att[x]! + 0.22 * m;
      }
    }
    const spineMod = 0.85 + 0.15 * Math.cos((2 * Math.PI * (v - phase)) / vertebra);
    [x0, x1] = span(uc, 0.036);
    for (let x = x0; x < x1; x++) {
      const q = ((x + 0.5) / W - uc) / 0.036;
      if (q * q < 1) att[x] = att[x]! + 0.24 * Math.sqrt(1 - q * q) * spineMod;
    }
    if (airFrom < airTo) {
      coarse(y, coarseRow);
      fine(y, fineRow);
      for (let x = airFrom; x < airTo; x++) {
        const c = coarseRow[x]!;
        const f = fineRow[x]!;
        // Vessel markings: the positive lobes of two smooth fields, sharpened by squaring.
        const markings = (c > 0 ? c * c : 0) + 0.6 * (f > 0 ? f * f : 0);
        att[x] = att[x]! + air[x]! * (0.12 * markings - 0.62);
      }
    }

    const n = noise();
    const exposure = 0.06 + 0.02 * (v - 0.5); // anode heel effect: a gentle gradient
    for (let x = 0; x < W; x++) {
      const a = att[x]!;
      // Quantum noise grows with attenuation: fewer photons reach the detector.
      const value = Math.round(max * (exposure + gain * a + (0.0015 + 0.0025 * a) * n[x]!));
      out[row + x] = value < 0 ? 0 : value > max ? max : value;
    }
  }
  return out;
}

interface LungShape {
  side: number;
  apex: number;
  base: number;
  lateral: number;
  medial: number;
}
/** One row of a lung: its horizontal span (distance from the midline) and vertical fade; null where the row misses it. */
type LungRow = { base: number; mid: number; half: number; fade: number } | null;

function lungRow(l: LungShape, v: number): LungRow {
  const f = (v - l.apex) / (l.base - l.apex);
  if (f <= 0 || f > 1.2) return null;
  const lateral = l.lateral * Math.sqrt(Math.sin((Math.min(1, f / 0.55) * Math.PI) / 2));
  const medial = l.medial + 0.02 * f;
  if (lateral <= medial + 0.01) return null;
  return { base: l.base, mid: (lateral + medial) / 2, half: (lateral - medial) / 2, fade: smoothstep(f / 0.12) };
}

/** Air depth of a lung at distance d from the midline (positive towards its side). */
function lungAt(l: LungRow, d: number, v: number): number {
  if (l === null) return 0;
  const q = (d - l.mid) / l.half;
  if (q * q >= 1) return 0;
  // The diaphragm dome: highest mid-lung, lower at the costophrenic and cardiophrenic angles.
  const floor = l.base + 0.045 * q * q;
  if (v >= floor) return 0;
  return Math.sqrt(1 - q * q) * l.fade * smoothstep((floor - v) / 0.035);
}

/**
 * Detector noise, one row per call, unit standard deviation: white gaussian
 * smoothed by a 1-2-1 kernel across and a running blend down, because a
 * scintillator spreads noise between neighbouring pixels. Real detector
 * noise is correlated like this; white noise would make the image harder to
 * compress than a real radiograph.
 */
function correlatedNoise(width: number, rng: Random): () => Float32Array {
  const white = new Float32Array(width + 2);
  const row = new Float32Array(width);
  const across = 1 / Math.sqrt(6); // the 1-2-1 kernel scales sigma by sqrt(6)
  let keep = 1; // the first row has no row above it to blend with
  return () => {
    for (let x = 0; x < white.length; x++) white[x] = fastNormal(rng);
    const carry = Math.sqrt(1 - keep * keep);
    for (let x = 0; x < width; x++) row[x] = keep * (white[x]! + 2 * white[x + 1]! + white[x + 2]!) * across + carry * row[x]!;
    keep = 0.85;
    return row;
  };
}

/**
 * Adds a bone arc along a curve. The curve is given as v(n) for n from 0 at
 * distance `from` to 1 at `to` (distances from the midline, fractions of the
 * width, on side -1 or +1); the cross-section is brighter at the cortex.
 */
function addArc(
  c: Canvas,
  uc: number,
  side: number,
  from: number,
  to: number,
  curve: (n: number) => number,
  halfWidth: number,
  amplitude: number,
  weight: (n: number) => number,
): void {
  const { data, width: W, height: H } = c;
  const x0 = Math.round((uc + side * from) * W);
  const x1 = Math.round((uc + side * to) * W);
  for (let x = Math.min(x0, x1); x <= Math.max(x0, x1); x++) {
    if (x < 0 || x >= W) continue;
    const n = (side * ((x + 0.5) / W - uc) - from) / (to - from);
    if (n < 0 || n > 1) continue;
    const vc = curve(n) * H;
    const slope = ((curve(Math.min(1, n + 0.01)) - curve(Math.max(0, n - 0.01))) * H) / (0.02 * (to - from) * W);
    const half = halfWidth * H * Math.sqrt(1 + slope * slope);
    const ends = smoothstep(Math.min(1, n / 0.08, (1 - n) / 0.08));
    const a = amplitude * ends * weight(n);
    for (let y = Math.max(0, Math.ceil(vc - half)); y <= Math.min(H - 1, Math.floor(vc + half)); y++) {
      const t = (y + 0.5 - vc) / half;
      if (t * t >= 1) continue;
      data[y * W + x] = data[y * W + x]! + a * (0.55 * Math.sqrt(1 - t * t) + 0.45 * t * t * t * t);
    }
  }
}

/** Adds an ellipsoid's projection (peak `amplitude` at the centre, falling to 0 at the rim). */
function addDome(c: Canvas, cx: number, cy: number, rx: number, ry: number, amplitude: number): void {
  const { data, width: W, height: H } = c;
  for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(H - 1, Math.ceil(cy + ry)); y++) {
    const dy = (y + 0.5 - cy) / ry;
    for (let x = Math.max(0, Math.floor(cx - rx)); x <= Math.min(W - 1, Math.ceil(cx + rx)); x++) {
      const dx = (x + 0.5 - cx) / rx;
      const q = dx * dx + dy * dy;
      if (q < 1) data[y * W + x] = data[y * W + x]! + amplitude * Math.sqrt(1 - q);
    }
  }
}

function smoothstep(t: number): number {
  const c = t < 0 ? 0 : t > 1 ? 1 : t;
  return c * c * (3 - 2 * c);
}
