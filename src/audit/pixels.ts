/**
 * Properties of an image's pixels that can give its source away: size and
 * aspect, brightness and spread, saturation, uniform borders (a scanner's or
 * a PACS's padding), noise (a scanner's signature), and the four corner
 * patches, where burned-in text and markers usually sit. Computed on the
 * frame at its own size, min-max scaled to [0, 1].
 */

export const PIXEL_PROPERTIES = [
  'aspect',
  'mean',
  'std',
  'saturated',
  'uniformBorder',
  'noise',
  'cornerTopLeftMean',
  'cornerTopLeftStd',
  'cornerTopRightMean',
  'cornerTopRightStd',
  'cornerBottomLeftMean',
  'cornerBottomLeftStd',
  'cornerBottomRightMean',
  'cornerBottomRightStd',
] as const;
export type PixelProperty = (typeof PIXEL_PROPERTIES)[number];

function stats(img: Float32Array, width: number, r0: number, c0: number, r1: number, c1: number): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) {
      const v = img[r * width + c]!;
      s += v;
      s2 += v * v;
      n++;
    }
  }
  const mean = n ? s / n : 0;
  return { mean, std: n ? Math.sqrt(Math.max(0, s2 / n - mean * mean)) : 0 };
}

/**
 * @example pixelProperties(img, 256, 256).cornerTopLeftStd // high where text is burned in
 */
export function pixelProperties(img: Float32Array, width: number, height: number): Record<PixelProperty, number> {
  const all = stats(img, width, 0, 0, height, width);
  let saturated = 0;
  for (const v of img) if (v >= 0.999 || v <= 0.001) saturated++;
  // Border strips 2% wide (at least 2 pixels): how many of the four are flat.
  const bw = Math.max(2, Math.round(Math.min(width, height) * 0.02));
  const strips = [stats(img, width, 0, 0, bw, width), stats(img, width, height - bw, 0, height, width), stats(img, width, 0, 0, height, bw), stats(img, width, 0, width - bw, height, width)];
  const uniformBorder = strips.filter((s) => s.std < 0.01).length / 4;
  // Immerkaer (1996): sigma = sqrt(pi / 2) / (6 (W - 2)(H - 2)) * sum |I * N|, N the 3x3 Laplacian difference.
  let acc = 0;
  for (let r = 1; r < height - 1; r++) {
    for (let c = 1; c < width - 1; c++) {
      const at = (dr: number, dc: number) => img[(r + dr) * width + c + dc]!;
      acc += Math.abs(at(-1, -1) - 2 * at(-1, 0) + at(-1, 1) - 2 * at(0, -1) + 4 * at(0, 0) - 2 * at(0, 1) + at(1, -1) - 2 * at(1, 0) + at(1, 1));
    }
  }
  const noise = width > 2 && height > 2 ? (Math.sqrt(Math.PI / 2) * acc) / (6 * (width - 2) * (height - 2)) : 0;
  const ph = Math.max(8, Math.round(height / 8));
  const pw = Math.max(8, Math.round(width / 8));
  const tl = stats(img, width, 0, 0, ph, pw);
  const tr = stats(img, width, 0, width - pw, ph, width);
  const bl = stats(img, width, height - ph, 0, height, pw);
  const br = stats(img, width, height - ph, width - pw, height, width);
  return {
    aspect: width / height,
    mean: all.mean,
    std: all.std,
    saturated: saturated / img.length,
    uniformBorder,
    noise,
    cornerTopLeftMean: tl.mean,
    cornerTopLeftStd: tl.std,
    cornerTopRightMean: tr.mean,
    cornerTopRightStd: tr.std,
    cornerBottomLeftMean: bl.mean,
    cornerBottomLeftStd: bl.std,
    cornerBottomRightMean: br.mean,
    cornerBottomRightStd: br.std,
  };
}
