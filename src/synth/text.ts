/**
 * Burned-in text for synthetic images: the hospital name, date or patient
 * id that scanners and secondary-capture tools paint into a corner of the
 * pixel data. A de-identification audit has to find such text, so its tests
 * need images that carry it at known places; a tiny built-in 5x7 bitmap font
 * keeps them free of any font file or canvas library.
 */
import { SynthOptionError } from '../errors.js';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

// Classic 5x7 dot-matrix shapes (the HD44780 character ROM), one string per row.
const GLYPHS: Record<string, readonly string[]> = {
  A: ['00100', '01010', '10001', '10001', '11111', '10001', '10001'],
  B: ['11110', '10001', '10001', '11110', '10001', '10001', '11110'],
  C: ['01110', '10001', '10000', '10000', '10000', '10001', '01110'],
  D: ['11100', '10010', '10001', '10001', '10001', '10010', '11100'],
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  F: ['11111', '10000', '10000', '11110', '10000', '10000', '10000'],
  G: ['01110', '10001', '10000', '10111', '10001', '10001', '01111'],
  H: ['10001', '10001', '10001', '11111', '10001', '10001', '10001'],
  I: ['01110', '00100', '00100', '00100', '00100', '00100', '01110'],
  J: ['00111', '00010', '00010', '00010', '00010', '10010', '01100'],
  K: ['10001', '10010', '10100', '11000', '10100', '10010', '10001'],
  L: ['10000', '10000', '10000', '10000', '10000', '10000', '11111'],
  M: ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
  N: ['10001', '10001', '11001', '10101', '10011', '10001', '10001'],
  O: ['01110', '10001', '10001', '10001', '10001', '10001', '01110'],
  P: ['11110', '10001', '10001', '11110', '10000', '10000', '10000'],
  Q: ['01110', '10001', '10001', '10001', '10101', '10010', '01101'],
  R: ['11110', '10001', '10001', '11110', '10100', '10010', '10001'],
  S: ['01111', '10000', '10000', '01110', '00001', '00001', '11110'],
  T: ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
  U: ['10001', '10001', '10001', '10001', '10001', '10001', '01110'],
  V: ['10001', '10001', '10001', '10001', '10001', '01010', '00100'],
  W: ['10001', '10001', '10001', '10101', '10101', '10101', '01010'],
  X: ['10001', '10001', '01010', '00100', '01010', '10001', '10001'],
  Y: ['10001', '10001', '10001', '01010', '00100', '00100', '00100'],
  Z: ['11111', '00001', '00010', '00100', '01000', '10000', '11111'],
  '0': ['01110', '10001', '10001', '10001', '10001', '10001', '01110'],
  '1': ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  '2': ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  '3': ['01110', '10001', '00001', '00110', '00001', '10001', '01110'],
  '4': ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  '5': ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  '6': ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  '7': ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  '8': ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  '9': ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
  '-': ['00000', '00000', '00000', '11111', '00000', '00000', '00000'],
  '.': ['00000', '00000', '00000', '00000', '00000', '01100', '01100'],
  ':': ['00000', '01100', '01100', '00000', '01100', '01100', '00000'],
  '/': ['00001', '00010', '00010', '00100', '01000', '01000', '10000'],
};

export interface BurnTextOptions {
  /** Top-left corner of the text, in image pixels (may lie partly outside: the text is clipped). */
  row: number;
  col: number;
  /** Each font pixel becomes a scale x scale block. Positive integer. */
  scale: number;
  /** Value written into the glyph pixels (e.g. 1500 HU: brighter than bone). */
  value: number;
  /** Blank font columns between glyphs, in font pixels (scaled like the glyphs). Default 1. */
  spacing?: number;
}

function checkLayout(scale: number, spacing: number): void {
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) throw new SynthOptionError(`burnText scale must be an integer 1..64 (got ${scale})`, { stage: 'bench', field: 'scale' });
  if (!Number.isInteger(spacing) || spacing < 0 || spacing > 64) throw new SynthOptionError(`burnText spacing must be an integer 0..64 (got ${spacing})`, { stage: 'bench', field: 'spacing' });
}

/**
 * The size in pixels of `text` drawn at `scale`: one line, no trailing gap.
 *
 * @example textSize('ST LUKES', 2) // { height: 14, width: 94 }
 */
export function textSize(text: string, scale: number, spacing = 1): { height: number; width: number } {
  checkLayout(scale, spacing);
  const n = [...text].length;
  return { height: GLYPH_HEIGHT * scale, width: n === 0 ? 0 : (n * GLYPH_WIDTH + (n - 1) * spacing) * scale };
}

/**
 * Draws `text` into a row-major image, setting every glyph pixel to
 * `o.value`, and returns the box the text occupies, clipped to the image:
 * [row0, col0, row1, col1] with row1/col1 one past the end (an empty box if
 * the text lies wholly outside). Lowercase letters are drawn as uppercase;
 * characters the font lacks are drawn as spaces.
 *
 * @example
 *   const hu = ctSlice({ size: 256, seed: 1, lesion: null });
 *   burnText(hu, 256, 256, 'MERCY GENERAL', { row: 4, col: 4, scale: 2, value: 1500 }); // [4, 4, 18, 158]
 */
export function burnText(
  pixels: Int16Array | Uint16Array | Float32Array,
  width: number,
  height: number,
  text: string,
  o: BurnTextOptions,
): [number, number, number, number] {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || pixels.length !== width * height) {
    throw new SynthOptionError(`burnText needs width x height pixels (got ${width} x ${height} for ${pixels.length})`, { stage: 'bench', field: 'pixels' });
  }
  if (!Number.isInteger(o.row) || !Number.isInteger(o.col)) throw new SynthOptionError(`burnText row and col must be integers (got ${o.row}, ${o.col})`, { stage: 'bench', field: 'row' });
  const spacing = o.spacing ?? 1;
  const size = textSize(text, o.scale, spacing);
  const s = o.scale;
  const advance = (GLYPH_WIDTH + spacing) * s;
  let x = o.col;
  for (const ch of text.toUpperCase()) {
    const glyph = GLYPHS[ch];
    if (glyph) {
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        const bits = glyph[gy]!;
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (bits.charCodeAt(gx) !== 49) continue; // '1'
          fillBlock(pixels, width, height, o.row + gy * s, x + gx * s, s, o.value);
        }
      }
    }
    x += advance;
  }
  const row0 = clamp(o.row, 0, height);
  const col0 = clamp(o.col, 0, width);
  const row1 = Math.max(row0, clamp(o.row + size.height, 0, height));
  const col1 = Math.max(col0, clamp(o.col + size.width, 0, width));
  return [row0, col0, row1, col1];
}

function fillBlock(pixels: Int16Array | Uint16Array | Float32Array, width: number, height: number, row: number, col: number, s: number, value: number): void {
  const r0 = Math.max(0, row);
  const r1 = Math.min(height, row + s);
  const c0 = Math.max(0, col);
  const c1 = Math.min(width, col + s);
  for (let r = r0; r < r1; r++) pixels.fill(value, r * width + c0, r * width + Math.max(c0, c1));
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
