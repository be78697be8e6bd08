/**
 * Masking regions that may hold a shortcut (burned-in text, markers) before
 * anything else sees the pixels. A mask is:
 * - fixed boxes [row0, col0, row1, col1] (end-exclusive), in pixels, or as
 *   fractions of the frame when every number is within [0, 1];
 * - rules keyed on Manufacturer, ManufacturerModelName and Modality (as
 *   RSNA's CTP keys its pixel anonymizer's regions): a rule whose every given
 *   key matches (case-insensitive regular expressions) adds its boxes;
 * - `text`: the boxes OCR finds in the frame (tesseract.js, in the decode
 *   worker).
 * In the worker, before the modality LUT, VOI or resize see the pixels (so no
 * text bleeds into neighbours or steers an automatic window):
 * - fixed and rule boxes: the frame's pixels are set to its minimum, and
 *   after preprocessing every output pixel a box touches is set to
 *   preprocess.padValue (the same region in every image a box applies to);
 * - text boxes: filled with pixels of the ring around them
 *   (fillFromSurround). A pad-value box in only the images that had text is
 *   itself a marker: measured on `sample --leaky`, a model trained with such
 *   boxes scored a site-flipped AUC of 0.12, as without any mask.
 */
import { ConfigError } from '../errors.js';
import type { DecodedFrame, PreprocessSpec, Sample } from './types.js';
import { fitInside } from './resize.js';

export type Box = [number, number, number, number];

export interface MaskRule {
  manufacturer?: string;
  model?: string;
  modality?: string;
  boxes: Box[];
}

/** preprocess.mask, checked. */
export interface MaskConfig {
  boxes: Box[];
  rules: MaskRule[];
  text: boolean;
}

/** What a decode worker is given for one file: the boxes that apply to it, and whether to find text. */
export interface FrameMask {
  boxes: Box[];
  text: boolean;
}

const bad = (message: string) => new ConfigError(`preprocess.mask ${message}`, { stage: 'config', field: 'preprocess.mask' });

function parseBox(v: unknown, where: string): Box {
  const nums = typeof v === 'string' ? v.split(',').map((x) => Number(x.trim())) : Array.isArray(v) ? v.map(Number) : [];
  if (nums.length !== 4 || !nums.every(Number.isFinite) || nums.some((n) => n < 0)) throw bad(`${where}: a box is [row0, col0, row1, col1], four numbers >= 0 (got ${JSON.stringify(v)})`);
  if (!(nums[2]! > nums[0]! && nums[3]! > nums[1]!)) throw bad(`${where}: a box's end must be past its start (got ${JSON.stringify(v)})`);
  return nums as Box;
}

/**
 * `null`, the command-line form `text;0,0,0.1,0.5;...`, or
 * `{ boxes?, rules?: [{ manufacturer?, model?, modality?, boxes }], text? }`.
 *
 * @example parseMask('text;0,0,0.08,0.6') // { boxes: [[0, 0, 0.08, 0.6]], rules: [], text: true }
 */
export function parseMask(value: unknown): MaskConfig | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const out: MaskConfig = { boxes: [], rules: [], text: false };
    for (const part of value.split(';').map((p) => p.trim()).filter(Boolean)) {
      if (part === 'text') out.text = true;
      else out.boxes.push(parseBox(part, `"${value}"`));
    }
    if (!out.text && out.boxes.length === 0) throw bad(`"${value}" names nothing: use text and/or row0,col0,row1,col1 boxes separated by ;`);
    return out;
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw bad(`must be null, a string (text;r0,c0,r1,c1) or {boxes, rules, text} (got ${JSON.stringify(value)})`);
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['boxes', 'rules', 'text'].includes(k)) throw bad(`has an unknown key "${k}" (keys: boxes, rules, text)`);
  const boxes = Array.isArray(o.boxes) ? o.boxes.map((b, i) => parseBox(b, `boxes[${i}]`)) : o.boxes === undefined ? [] : (() => { throw bad('boxes must be a list of boxes'); })();
  const rules = Array.isArray(o.rules) ? o.rules.map((r, i) => parseRule(r, i)) : o.rules === undefined ? [] : (() => { throw bad('rules must be a list'); })();
  if (o.text !== undefined && typeof o.text !== 'boolean') throw bad('text must be true or false');
  return { boxes, rules, text: o.text === true };
}

function parseRule(r: unknown, i: number): MaskRule {
  if (!r || typeof r !== 'object') throw bad(`rules[${i}] must be {manufacturer?, model?, modality?, boxes}`);
  const o = r as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['manufacturer', 'model', 'modality', 'boxes'].includes(k)) throw bad(`rules[${i}] has an unknown key "${k}"`);
  const rule: MaskRule = { boxes: Array.isArray(o.boxes) && o.boxes.length ? o.boxes.map((b, j) => parseBox(b, `rules[${i}].boxes[${j}]`)) : (() => { throw bad(`rules[${i}] needs boxes`); })() };
  for (const k of ['manufacturer', 'model', 'modality'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'string') throw bad(`rules[${i}].${k} must be a string (a regular expression)`);
    try {
      new RegExp(o[k] as string, 'i');
    } catch {
      throw bad(`rules[${i}].${k} is not a regular expression: ${JSON.stringify(o[k])}`);
    }
    rule[k] = o[k] as string;
  }
  if (!rule.manufacturer && !rule.model && !rule.modality) throw bad(`rules[${i}] must key on manufacturer, model or modality`);
  return rule;
}

/** The boxes that apply to a file with these attributes: the fixed ones and those of every matching rule. */
export function frameMask(m: MaskConfig, a: { manufacturer: string | null; model: string | null; modality: string | null }): FrameMask {
  const boxes = [...m.boxes];
  for (const r of m.rules) {
    const ok = (pattern: string | undefined, v: string | null) => pattern === undefined || (v !== null && new RegExp(pattern, 'i').test(v));
    if (ok(r.manufacturer, a.manufacturer) && ok(r.model, a.model) && ok(r.modality, a.modality)) boxes.push(...r.boxes);
  }
  return { boxes, text: m.text };
}

/** A box in a rows x cols frame's pixels (fractions scaled), clipped, end-exclusive integers. */
export function boxInPixels(b: Box, rows: number, cols: number): Box {
  const frac = b.every((v) => v <= 1);
  const [r0, c0, r1, c1] = frac ? [b[0] * rows, b[1] * cols, b[2] * rows, b[3] * cols] : b;
  const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  return [clip(Math.floor(r0), rows), clip(Math.floor(c0), cols), clip(Math.ceil(r1), rows), clip(Math.ceil(c1), cols)];
}

/** Sets the frame's pixels inside the boxes (frame pixels) to the frame's minimum, in place (interleaved or planar colour). */
export function blankFrame(frame: DecodedFrame, boxes: readonly Box[]): void {
  const { pixels, width, height } = frame;
  const spp = frame.samplesPerPixel;
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < pixels.length; i++) if (pixels[i]! < min) min = pixels[i]!;
  if (!Number.isFinite(min)) min = 0;
  const planes = spp === 3 && frame.planarConfiguration === 1 ? 3 : 1;
  const per = planes === 3 ? 1 : spp;
  for (let p = 0; p < planes; p++) {
    const base = p * width * height;
    for (const [r0, c0, r1, c1] of boxes) {
      for (let r = r0; r < Math.min(r1, height); r++) pixels.fill(min, base + (r * width + c0) * per, base + (r * width + Math.min(c1, width)) * per);
    }
  }
}

/**
 * Fills each box (frame pixels) with pixels drawn from a ring around it (3
 * pixels wide; a fixed pseudo-random pick per pixel, so the same frame always
 * gives the same fill), in place. Used for the boxes OCR finds: a flat
 * pad-value box in only the images that had text would itself mark them (and
 * the site that writes text); the surround's own values and texture do not.
 */
export function fillFromSurround(frame: DecodedFrame, boxes: readonly Box[]): void {
  const { pixels, width, height } = frame;
  const spp = frame.samplesPerPixel;
  const planar = spp === 3 && frame.planarConfiguration === 1;
  const at = (r: number, c: number, k: number) => (planar ? k * width * height + r * width + c : (r * width + c) * spp + k);
  for (const [r0, c0, r1, c1] of boxes) {
    const ring: [number, number][] = [];
    for (let r = Math.max(0, r0 - 3); r < Math.min(height, r1 + 3); r++) {
      for (let c = Math.max(0, c0 - 3); c < Math.min(width, c1 + 3); c++) if (r < r0 || r >= r1 || c < c0 || c >= c1) ring.push([r, c]);
    }
    if (ring.length === 0) continue;
    for (let r = r0; r < Math.min(r1, height); r++) {
      for (let c = c0; c < Math.min(c1, width); c++) {
        let h = Math.imul(r * 73856093 ^ c * 19349663, 0x9e3779b1) >>> 0;
        h ^= h >>> 15;
        const [sr, sc] = ring[(h >>> 0) % ring.length]!;
        for (let k = 0; k < spp; k++) pixels[at(r, c, k)] = pixels[at(sr, sc, k)]!;
      }
    }
  }
}

/** Sets every output pixel that a box (in frame pixels of a height x width frame) touches to the pad value, in place. */
export function maskSample(sample: Sample, boxes: readonly Box[], frameHeight: number, frameWidth: number, spec: Pick<PreprocessSpec, 'target' | 'resize' | 'padValue' | 'output'>): void {
  const [h, w, c] = sample.shape;
  const place = spec.target && spec.resize === 'pad' ? fitInside(frameHeight, frameWidth, h, w) : { height: h, width: w, top: 0, left: 0 };
  const sy = place.height / frameHeight;
  const sx = place.width / frameWidth;
  const value = spec.output === 'uint8' ? Math.round(Math.min(1, Math.max(0, spec.padValue)) * 255) : spec.padValue;
  for (const [r0, c0, r1, c1] of boxes) {
    const y0 = place.top + Math.floor(r0 * sy);
    const y1 = place.top + Math.min(place.height, Math.ceil(r1 * sy));
    const x0 = place.left + Math.floor(c0 * sx);
    const x1 = place.left + Math.min(place.width, Math.ceil(c1 * sx));
    for (let y = Math.max(0, y0); y < Math.min(h, y1); y++) sample.data.fill(value, (y * w + Math.max(0, x0)) * c, (y * w + Math.min(w, x1)) * c);
  }
}
