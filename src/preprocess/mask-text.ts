/**
 * `preprocess.mask` `text` inside a decode worker: the frame's stored values
 * scaled to [0, 1] (min-max, first sample of colour), read by the OCR
 * (tesseract.js, one engine per decode worker, started on first use), and
 * the boxes of the words it finds, in the frame's pixels.
 */
import type { Box } from './mask.js';
import type { DecodedFrame } from './types.js';
import type { Ocr } from '../audit/ocr.js';

let engine: Promise<Ocr> | null = null;

export async function findText(frame: DecodedFrame): Promise<Box[]> {
  const { pixels, width, height } = frame;
  const n = width * height;
  const step = frame.samplesPerPixel === 3 && frame.planarConfiguration === 0 ? 3 : 1;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = pixels[i * step]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const img = new Float32Array(n);
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0; i < n; i++) img[i] = (pixels[i * step]! - lo) / span;
  // For masking, a lower bar than the audit's 60: a word read with doubt is still text to hide; below
  // about 40 Tesseract "reads" words in the anatomy (measured on 150 phantom slices).
  engine ??= import('../audit/ocr.js').then((m) => m.createOcr({ workers: 1, minConfidence: 40 }));
  const r = await (await engine).recognize(img, width, height);
  return mergeLines(r.boxes.map((b) => [b[0], b[1], b[2], b[3]] as Box));
}

/**
 * Word boxes on one line joined into one box (with the gaps between words):
 * boxes that share at least half their height and are less than 1.5 heights apart.
 */
export function mergeLines(boxes: Box[]): Box[] {
  const out = [...boxes].sort((a, b) => a[1] - b[1]);
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length && !merged; j++) {
        const [a, b] = [out[i]!, out[j]!];
        const overlap = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
        const height = Math.min(a[2] - a[0], b[2] - b[0]);
        const gap = Math.max(a[1], b[1]) - Math.min(a[3], b[3]);
        if (overlap >= height / 2 && gap <= 1.5 * Math.max(a[2] - a[0], b[2] - b[0])) {
          out[i] = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
          out.splice(j, 1);
          merged = true;
        }
      }
    }
  }
  return out;
}
