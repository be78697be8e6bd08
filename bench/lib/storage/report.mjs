// The storage bench's readable outputs: a Markdown table and an SVG chart of
// throughput per setup, with the storage and decode limits drawn beside it.
import { table } from '../common.mjs';

const f = (n, d = 1) => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));
const pct = (n) => (n === null || n === undefined ? '-' : `${(100 * n).toFixed(0)}%`);

/** One row per setup: what the pipeline delivered, the limits, and the peer. */
export function markdown(result) {
  return table(
    ['setup', 'frames/s', 'MB/s', 'kB read per frame', 'p50 / p99 ms per file', 'CPU (process / machine / local server)', 'storage limit frames/s', 'decode limit frames/s', 'binding limit', 'accelerators kept >= 90% busy (utilisation)', 'peer frames/s', 'ours / peer'],
    result.setups.map((s) => [
      s.label,
      f(s.framesPerSecond),
      f(s.mbPerSecond),
      s.bytesPerFrame === null || s.bytesPerFrame === undefined ? '-' : f(s.bytesPerFrame / 1e3, 0),
      `${f(s.p50Ms, 0)} / ${f(s.p99Ms, 0)}`,
      `${pct(s.cpuProcess)} / ${pct(s.cpuSystem)} / ${s.cpuServer === null || s.cpuServer === undefined ? '-' : `${(100 * s.cpuServer).toFixed(1)}%`}`,
      s.limits.storageFramesPerSecond === null ? '-' : `${f(s.limits.storageFramesPerSecond)} (${s.limits.storageWhat})`,
      f(s.limits.decodeFramesPerSecond),
      s.bindingLimit,
      `${s.maxAccelerators} (${pct(s.acceleratorUtilisation)} with ${s.accelerators})`,
      s.peer ? f(s.peer.framesPerSecond) : '-',
      s.oursOverPeer ? `${f(s.oursOverPeer, 2)}×` : '-',
    ]),
  );
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A bar chart: ours and the peer per setup, the decode limit as a line, each setup's storage limit as a tick. */
export function svgChart(result) {
  const setups = result.setups;
  const W = 175;
  const left = 70;
  const top = 50;
  const h = 300;
  const width = left + setups.length * W + 30;
  const height = top + h + 75;
  const decode = Math.max(...setups.map((s) => s.limits.decodeFramesPerSecond ?? 0));
  const vmax = 1.3 * Math.max(decode, ...setups.map((s) => Math.max(s.framesPerSecond, s.peer?.framesPerSecond ?? 0)));
  const y = (v) => top + h - (Math.min(v, vmax) / vmax) * h;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(result.title)}</text>`);
  out.push(`<text x="${left}" y="40" fill="#555">${esc(result.subtitle)}</text>`);
  const step = niceStep(vmax / 5);
  for (let v = 0; v <= vmax; v += step) {
    out.push(`<line x1="${left}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v}</text>`);
  }
  out.push(`<text transform="translate(18 ${top + h / 2}) rotate(-90)" text-anchor="middle">frames/s</text>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + h}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${width - 20}" y1="${top + h}" y2="${top + h}" stroke="#333"/>`);
  setups.forEach((s, i) => {
    const x0 = left + i * W + 20;
    const bar = (x, v, color, label) => {
      out.push(`<rect x="${x}" y="${y(v)}" width="40" height="${top + h - y(v)}" fill="${color}"/>`);
      out.push(`<text x="${x + 20}" y="${y(v) - 4}" text-anchor="middle">${esc(label)}</text>`);
    };
    bar(x0, s.framesPerSecond, '#2b6cb0', f(s.framesPerSecond));
    if (s.peer) bar(x0 + 44, s.peer.framesPerSecond, '#a0aec0', f(s.peer.framesPerSecond));
    const st = s.limits.storageFramesPerSecond;
    if (st !== null && st !== undefined) {
      const above = st > vmax;
      out.push(`<line x1="${x0 - 6}" x2="${x0 + 90}" y1="${y(st)}" y2="${y(st)}" stroke="#c53030" stroke-width="2" stroke-dasharray="${above ? '2 3' : ''}"/>`);
      // Beside the bars, so it never covers a bar's own figure.
      out.push(`<text x="${x0 + 93}" y="${y(st) + (above ? 12 : 4)}" fill="#c53030" font-size="10">${above ? '≥ ' : ''}${f(st, 0)}</text>`);
    }
    out.push(`<text x="${x0 + 42}" y="${top + h + 16}" text-anchor="middle">${esc(s.label)}</text>`);
    out.push(`<text x="${x0 + 42}" y="${top + h + 30}" text-anchor="middle" fill="#555" font-size="10">bound: ${esc(s.bindingLimit)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${width - 20}" y1="${y(decode)}" y2="${y(decode)}" stroke="#2f855a" stroke-width="2" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${width - 22}" y="${y(decode) - 5}" text-anchor="end" fill="#2f855a">dicomflow decode limit ${f(decode)} (codec-only × workers)</text>`);
  const ly = top + h + 55;
  // Legend entries side by side, each as wide as its text (about 7 px a character at 12 px).
  let lx = left;
  const legend = (mark, text) => {
    out.push(`${mark(lx)}<text x="${lx + 18}" y="${ly}">${esc(text)}</text>`);
    lx += 18 + 7 * text.length + 24;
  };
  legend((x) => `<rect x="${x}" y="${ly - 10}" width="12" height="12" fill="#2b6cb0"/>`, 'dicomflow');
  legend((x) => `<rect x="${x}" y="${ly - 10}" width="12" height="12" fill="#a0aec0"/>`, result.peerName ?? 'peer');
  legend((x) => `<line x1="${x}" x2="${x + 14}" y1="${ly - 4}" y2="${ly - 4}" stroke="#c53030" stroke-width="2"/>`, 'storage limit, frames/s (fio, page cache, shaped link, source-only read)');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
