/**
 * Paints soft-edged ellipses into a float image. The edge is a one-pixel
 * ramp, like the partial-volume blur a scanner gives a boundary: hard
 * one-pixel steps would make every edge a full-amplitude high-frequency
 * event, which real images do not have and which skews codec benchmarks.
 */

export interface Ellipse {
  /** Centre, in pixels. */
  cx: number;
  cy: number;
  /** Semi-axes, in pixels, before rotation. */
  rx: number;
  ry: number;
  /** Rotation in radians (counter-clockwise as displayed, y down). Default 0. */
  angle?: number;
}

export interface Canvas {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * Inside the ellipse, `set` replaces the value with `value` and `add` adds
 * `value`; on the edge both are weighted by the pixel's coverage.
 *
 * @example
 *   const c = { data: new Float32Array(64 * 64).fill(-1000), width: 64, height: 64 };
 *   paintEllipse(c, { cx: 32, cy: 32, rx: 20, ry: 12 }, 40, 'set'); // soft tissue in air
 */
export function paintEllipse(canvas: Canvas, e: Ellipse, value: number, mode: 'set' | 'add'): void {
  const { data, width, height } = canvas;
  const cos = Math.cos(e.angle ?? 0);
  const sin = Math.sin(e.angle ?? 0);
  const reach = Math.max(e.rx, e.ry) + 1;
  const x0 = Math.max(0, Math.floor(e.cx - reach));
  const x1 = Math.min(width - 1, Math.ceil(e.cx + reach));
  const y0 = Math.max(0, Math.floor(e.cy - reach));
  const y1 = Math.min(height - 1, Math.ceil(e.cy + reach));
  const irx2 = 1 / (e.rx * e.rx);
  const iry2 = 1 / (e.ry * e.ry);
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - e.cy;
    const row = y * width;
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - e.cx;
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      const r2 = u * u * irx2 + v * v * iry2;
      // Distance to the boundary along the ray from the centre: |d| (1 - 1/r).
      // Exact for circles, close enough for the mildly eccentric shapes used here.
      const dist = Math.sqrt(dx * dx + dy * dy);
      const r = Math.sqrt(r2);
      const signed = r === 0 ? -Infinity : dist * (1 - 1 / r);
      const coverage = signed <= -0.5 ? 1 : signed >= 0.5 ? 0 : 0.5 - signed;
      if (coverage === 0) continue;
      const i = row + x;
      data[i] = mode === 'set' ? data[i]! + (value - data[i]!) * coverage : data[i]! + value * coverage;
    }
  }
}

/** True when (x, y) is inside the ellipse (no edge softening). */
export function insideEllipse(e: Ellipse, x: number, y: number): boolean {
  const dx = x - e.cx;
  const dy = y - e.cy;
  const cos = Math.cos(e.angle ?? 0);
  const sin = Math.sin(e.angle ?? 0);
  const u = dx * cos + dy * sin;
  const v = -dx * sin + dy * cos;
  return (u * u) / (e.rx * e.rx) + (v * v) / (e.ry * e.ry) < 1;
}
