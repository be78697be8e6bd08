/**
 * Pictures of saliency maps: the preprocessed image in grey with the map
 * over it in green (transparent where the map is low, vivid green where it
 * is high), the map's peak marked with a magenta cross, a legend strip
 * along the bottom (map value 0 on the left to 1 on the right), at the
 * source frame's aspect ratio; and the offline HTML contact sheet.
 * PNG encoding is pngjs (a maintained, dependency-free encoder): zlib and
 * CRC framing are not worth writing again.
 */
import { PNG } from 'pngjs';

export const LEGEND_HEIGHT = 10;
const GREEN: readonly [number, number, number] = [30, 255, 60];
const PEAK: readonly [number, number, number] = [255, 0, 255];

/** How much of the overlay colour a map value gets: none below 0.2, then rising to 0.85 at 1. */
export function overlayAlpha(v: number): number {
  return v <= 0.2 ? 0 : Math.min(1, (v - 0.2) / 0.8) * 0.85;
}

/** src [h, w] sampled at output pixel (y, x) of an outH x outW picture (half-pixel centres). */
function bilinear(src: ArrayLike<number>, h: number, w: number, y: number, x: number, outH: number, outW: number): number {
  const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / outH - 0.5));
  const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / outW - 0.5));
  const y0 = Math.floor(sy);
  const x0 = Math.floor(sx);
  const y1 = Math.min(h - 1, y0 + 1);
  const x1 = Math.min(w - 1, x0 + 1);
  const fy = sy - y0;
  const fx = sx - x0;
  const top = src[y0 * w + x0]! * (1 - fx) + src[y0 * w + x1]! * fx;
  const bottom = src[y1 * w + x0]! * (1 - fx) + src[y1 * w + x1]! * fx;
  return top * (1 - fy) + bottom * fy;
}

export interface OverlayInput {
  /** The preprocessed image [h, w, c], channels last. */
  image: Float32Array;
  shape: readonly [number, number, number];
  /** The map [h, w] in [0, 1]. */
  map: ArrayLike<number>;
  /** Width / height the picture should have (the source frame's, undoing a stretch). */
  aspect: number;
  /** The peak in the map's pixels, marked with a cross. */
  peak?: readonly [number, number];
}

/**
 * A PNG of the image with the map over it; the picture is at least 256
 * pixels tall (the model's input size when larger), `aspect` wide.
 *
 * @example writeFileSync('a.png', overlayPng({ image, shape: [128, 128, 1], map, aspect: 1 }))
 */
export function overlayPng(o: OverlayInput): Buffer {
  const [h, w, c] = o.shape;
  const grey = new Float32Array(h * w);
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let ch = 0; ch < c; ch++) s += o.image[i * c + ch]!;
    grey[i] = s / c;
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of grey) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi > lo ? hi - lo : 1;
  const OUT_H = Math.max(256, h);
  const OUT_W = Math.max(1, Math.round(OUT_H * o.aspect));
  const png = new PNG({ width: OUT_W, height: OUT_H + LEGEND_HEIGHT });
  const d = png.data;
  for (let y = 0; y < OUT_H; y++) {
    for (let x = 0; x < OUT_W; x++) {
      const g = ((bilinear(grey, h, w, y, x, OUT_H, OUT_W) - lo) / span) * 255;
      const a = overlayAlpha(bilinear(o.map, h, w, y, x, OUT_H, OUT_W));
      const p = (y * OUT_W + x) * 4;
      d[p] = g * (1 - a) + GREEN[0] * a;
      d[p + 1] = g * (1 - a) + GREEN[1] * a;
      d[p + 2] = g * (1 - a) + GREEN[2] * a;
      d[p + 3] = 255;
    }
  }
  if (o.peak) {
    const cy = Math.round(((o.peak[0] + 0.5) * OUT_H) / h - 0.5);
    const cx = Math.round(((o.peak[1] + 0.5) * OUT_W) / w - 0.5);
    const arm = Math.max(4, Math.round(OUT_H / 40));
    for (let k = -arm; k <= arm; k++) {
      for (const [y, x] of [
        [cy + k, cx],
        [cy, cx + k],
      ] as const) {
        if (y < 0 || y >= OUT_H || x < 0 || x >= OUT_W) continue;
        const p = (y * OUT_W + x) * 4;
        [d[p], d[p + 1], d[p + 2]] = PEAK;
      }
    }
  }
  // Legend: the colour each map value from 0 (left) to 1 (right) gets over mid-grey.
  for (let y = OUT_H; y < OUT_H + LEGEND_HEIGHT; y++) {
    for (let x = 0; x < OUT_W; x++) {
      const a = overlayAlpha(x / Math.max(1, OUT_W - 1));
      const p = (y * OUT_W + x) * 4;
      d[p] = 128 * (1 - a) + GREEN[0] * a;
      d[p + 1] = 128 * (1 - a) + GREEN[1] * a;
      d[p + 2] = 128 * (1 - a) + GREEN[2] * a;
      d[p + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export interface SheetFrame {
  file: string;
  frame: number;
  score: number;
  label?: string;
  /** True/false positive/negative at 0.5, when the label is 0/1. */
  group?: 'true positive' | 'false positive' | 'false negative' | 'true negative';
  /** method -> PNG file name inside the sheet's folder. */
  pngs: Record<string, string>;
}

export interface SheetOptions {
  title: string;
  methods: readonly string[];
  checkpoint: string;
  /** Rows of an extra table (e.g. the checks), already as strings: escaped here. */
  table?: { head: string[]; rows: string[][] };
  notes?: string[];
}

const GROUPS = ['true positive', 'false negative', 'false positive', 'true negative'] as const;

/**
 * The contact sheet: frames sorted by score, grouped into true and false
 * positives and negatives when labels exist, each frame's maps side by side.
 * Self-contained: images are relative links, no script, no remote resource.
 */
export function contactSheet(frames: readonly SheetFrame[], o: SheetOptions): string {
  const sorted = [...frames].sort((a, b) => b.score - a.score);
  const sections: { title: string; frames: SheetFrame[] }[] = frames.some((f) => f.group)
    ? [...GROUPS.map((g) => ({ title: `${g}s`, frames: sorted.filter((f) => f.group === g) })), { title: 'unlabelled', frames: sorted.filter((f) => !f.group) }]
    : [{ title: 'all frames', frames: sorted }];
  const cell = (f: SheetFrame, m: string) => {
    const src = f.pngs[m];
    return src ? `<td><img src="${escapeHtml(encodeURI(src))}" alt="${escapeHtml(`${m} map of ${f.file} frame ${f.frame}`)}" width="176"></td>` : '<td>-</td>';
  };
  const row = (f: SheetFrame) =>
    `<tr><th scope="row"><div class="file">${escapeHtml(f.file)}</div>frame ${f.frame}<br>score ${f.score.toFixed(3)}${f.label !== undefined ? `<br>label ${escapeHtml(f.label)}` : ''}</th>${o.methods.map((m) => cell(f, m)).join('')}</tr>`;
  const head = `<tr><th>frame</th>${o.methods.map((m) => `<th>${escapeHtml(m)}</th>`).join('')}</tr>`;
  const body = sections
    .filter((s) => s.frames.length > 0)
    .map((s) => `<h2>${escapeHtml(s.title)} (${s.frames.length})</h2>\n<table class="sheet">${head}\n${s.frames.map(row).join('\n')}</table>`)
    .join('\n');
  const table = o.table
    ? `<table class="checks"><tr>${o.table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${o.table.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('')}</table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(o.title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 16px; background: #fff; color: #111; }
table { border-collapse: collapse; margin-bottom: 16px; }
td, th { border: 1px solid #ccc; padding: 4px; vertical-align: top; text-align: left; }
.sheet img { display: block; image-rendering: auto; }
.sheet th[scope=row] { min-width: 150px; max-width: 220px; }
.file { overflow-wrap: anywhere; font-family: monospace; font-size: 12px; }
.legend { display: inline-block; width: 240px; height: 12px; background: linear-gradient(to right, #808080 0%, #808080 20%, rgb(${GREEN.join(',')}) 100%); vertical-align: middle; border: 1px solid #999; }
.peak { color: rgb(${PEAK.join(',')}); font-weight: bold; }
</style></head><body>
<h1>${escapeHtml(o.title)}</h1>
<p>Checkpoint: <code>${escapeHtml(o.checkpoint)}</code>. Maps are scaled to [0, 1] per image; each shows the preprocessed frame in grey at its own aspect ratio.</p>
<p>Map value: 0 <span class="legend"></span> 1 (transparent below 0.2, then more green); <span class="peak">+</span> marks the map's peak.</p>
${(o.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('\n')}
${table}
${body}
</body></html>
`;
}
