/**
 * The shortcut audit: can the label be told from anything but anatomy? For
 * labelled sources it measures, per frame, against the label:
 * - header attributes (where, on what, how the image was made; read for the
 *   audit only, they never enter a tensor),
 * - pixel properties (size, brightness, noise, borders, corner patches),
 * - burned-in text found by OCR, whatever BurnedInAnnotation says,
 * each as the out-of-fold AUC of the label from that attribute alone (folds
 * grouped by patient), a bootstrap interval, bias-corrected Cramér's V, a
 * permutation p-value and a status (WARN >= 0.60, FAIL >= 0.75 by default).
 * With `out`, it writes audit.json, audit.md, text.jsonl and index.html.
 *
 * @example
 *   const { config } = loadConfig(null, { 'sources.manifest': 'cases.csv' });
 *   const r = await audit(config, { out: 'audit/' });
 *   if (r.status === 'FAIL') process.exitCode = 1;
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { PipelineConfig } from '../config/schema.js';
import { ConfigError, type DicomflowError, toDicomflowError } from '../errors.js';
import { escapeHtml, overlayPng } from '../explain/render.js';
import { createPipeline, type ErrorRecord } from '../pipeline/index.js';
import { errorRecord } from '../pipeline/samples.js';
import { resolveSources } from '../sources/index.js';
import type { SourceItem } from '../sources/item.js';
import { labelMap } from '../batch/labels.js';
import { rocAuc } from '../train/metrics.js';
import { AUDIT_ATTRIBUTES, auditValue, readAuditHeader, type HeaderAttributes } from './attributes.js';
import type { Ocr } from './ocr.js';
import { PIXEL_PROPERTIES, pixelProperties } from './pixels.js';
import { attributeCheck, DEFAULT_THRESHOLDS, quantileBins, type AttributeCheck, type Category, type Status, type Thresholds } from './stats.js';

export interface AuditCheck extends AttributeCheck {
  check: 'header' | 'pixel' | 'text';
  attribute: string;
}

export interface SitePrevalence {
  site: string;
  /** What named the site: InstitutionName, or StationName when that is missing. */
  from: 'InstitutionName' | 'StationName' | 'none';
  n: number;
  positives: number;
  prevalence: number;
  /** With a checkpoint: the model's AUC on this site's frames. */
  auc?: number;
}

export interface TextLine {
  file: string;
  frame: number;
  boxes: [number, number, number, number][];
  tokens: string[];
}

export interface AuditReport {
  n: number;
  files: number;
  positives: number;
  status: Status;
  /** The attributes that FAIL. */
  failed: string[];
  checks: AuditCheck[];
  sites: SitePrevalence[];
  text: { ocr: boolean; images: number; withText: number; burnedInNoWithText: { file: string; frame: number }[] };
  thresholds: Thresholds;
  model?: { checkpoint: string; auc: number; frames: number };
  errors: number;
}

export interface AuditOptions {
  out?: string | null;
  /** Run OCR (default true). */
  ocr?: boolean;
  ocrWorkers?: number;
  thresholds?: Thresholds;
  /** Score the frames with this checkpoint: AUC overall and per site. */
  checkpoint?: string | null;
  seed?: number;
  permutations?: number;
  reps?: number;
  /** Tokens (and SeriesDescription words) seen in fewer images than this are not tested. Default 3. */
  minTokenImages?: number;
  items?: SourceItem[];
  onLog?(line: string): void;
  onError?(r: ErrorRecord): void;
  onProgress?(done: number, total: number, stage: string): void;
}

interface Row {
  file: string;
  frame: number;
  label: number;
  group: string;
  header: HeaderAttributes;
  pixels: Record<string, number>;
  text: TextLine;
  /** A 128-pixel-tall thumbnail for the sheet, 0..255. */
  thumb: { data: Uint8Array; height: number; width: number };
}

function thumbnail(img: Float32Array, w: number, h: number): Row['thumb'] {
  const th = Math.min(h, 128);
  const tw = Math.max(1, Math.round((w * th) / h));
  const data = new Uint8Array(th * tw);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) data[y * tw + x] = Math.round(img[Math.floor((y * h) / th) * w + Math.floor((x * w) / tw)]! * 255);
  return { data, height: th, width: tw };
}

/** Runs the audit; see the file comment. */
export async function audit(config: PipelineConfig, o: AuditOptions = {}): Promise<AuditReport> {
  const log = o.onLog ?? (() => {});
  const thresholds = o.thresholds ?? DEFAULT_THRESHOLDS;
  const seed = o.seed ?? 1;
  let errors = 0;
  const onError = (r: ErrorRecord) => {
    errors++;
    o.onError?.(r);
  };
  let items = o.items;
  if (!items) {
    const listing = await resolveSources(config.sources);
    for (const p of listing.problems) onError(errorRecord(p, p.where.file ?? ''));
    items = listing.items;
  }
  const lm = labelMap(items.map((i) => i.label));
  const numeric = new Set(items.map((i) => lm.toNumber(i.label)).filter((v) => !Number.isNaN(v)));
  if (items.some((i) => i.label === undefined) || numeric.size !== 2 || ![...numeric].every((v) => v === 0 || v === 1)) {
    throw new ConfigError(`the audit needs every input labelled with one of two classes (0/1, or two names); got ${items.filter((i) => i.label === undefined).length} unlabelled and classes ${JSON.stringify([...new Set(items.map((i) => i.label))].slice(0, 5))}`, { stage: 'config', field: 'sources.manifest' });
  }

  // Headers: read once per file, concurrently.
  const headers = new Map<string, HeaderAttributes>();
  let next = 0;
  let read = 0;
  const list = items;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < list.length) {
        const item = list[next++]!;
        try {
          headers.set(item.id, await readAuditHeader(item, config.parse));
        } catch (err) {
          onError(errorRecord(toDicomflowError(err, { file: item.id }) as DicomflowError, item.id));
        }
        o.onProgress?.(++read, list.length, 'headers');
      }
    }),
  );

  // Pixels: every frame at its own size, min-max scaled, no mask (the audit looks at what is there).
  const ocr: Ocr | null = o.ocr === false ? null : await (await import('./ocr.js')).createOcr({ workers: o.ocrWorkers ?? 2 });
  const c: PipelineConfig = {
    ...config,
    preprocess: { ...config.preprocess, target: null, voi: 'minmax', channels: 1, mask: null, output: 'float32', resize: 'stretch' },
    pipeline: { ...config.pipeline, shuffleBuffer: 0, cache: null },
  };
  const rows: Row[] = [];
  const labels = new Map(items.map((i) => [i.id, lm.toNumber(i.label)]));
  const pipeline = createPipeline(c, { items: items.filter((i) => headers.has(i.id)), onError });
  const inFlight = new Set<Promise<void>>();
  const filesDone = new Set<string>();
  try {
    for await (const s of pipeline.samples()) {
      const header = headers.get(s.id.file)!;
      const [h, w] = s.shape;
      const img = s.data as Float32Array;
      const row: Row = {
        file: s.id.file,
        frame: s.id.frame,
        label: labels.get(s.id.file)!,
        // Only inside this process, for grouped folds; never written.
        group: header.description.ids.patientId ?? `file:${s.id.file}`,
        header,
        pixels: pixelProperties(img, w, h),
        text: { file: s.id.file, frame: s.id.frame, boxes: [], tokens: [] },
        thumb: thumbnail(img, w, h),
      };
      rows.push(row);
      if (ocr) {
        const job = ocr.recognize(img, w, h).then((r) => {
          row.text.boxes = r.boxes;
          row.text.tokens = r.tokens.map((t) => t.toLowerCase());
        });
        inFlight.add(job);
        void job.finally(() => inFlight.delete(job));
        if (inFlight.size >= (o.ocrWorkers ?? 2) * 2) await Promise.race(inFlight);
      }
      filesDone.add(s.id.file);
      o.onProgress?.(filesDone.size, items.length, ocr ? 'pixels and text' : 'pixels');
    }
    await Promise.all(inFlight);
  } finally {
    await pipeline.close();
    await ocr?.close();
  }
  log(`audit: ${rows.length} frame(s) of ${filesDone.size} file(s); ${rows.filter((r) => r.text.tokens.length).length} with text`);

  const y = rows.map((r) => r.label);
  const groups = rows.map((r) => r.group);
  const checks: AuditCheck[] = [];
  const test = (check: AuditCheck['check'], attribute: string, values: Category[]) => {
    checks.push({ check, attribute, ...attributeCheck(values, y, groups, { seed, thresholds, ...(o.reps ? { reps: o.reps } : {}), ...(o.permutations ? { permutations: o.permutations } : {}) }) });
  };
  const minImages = o.minTokenImages ?? 3;
  for (const [keyword, a] of Object.entries(AUDIT_ATTRIBUTES)) {
    const vals = rows.map((r) => auditValue(a.kind, r.header.values[keyword] ?? null));
    if (a.kind === 'number') test('header', keyword, quantileBins(vals as (number | null)[]));
    else if (a.kind === 'tokens') {
      const counts = new Map<string, number>();
      for (const v of vals) for (const t of (v as string[] | null) ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, n] of counts) if (n >= minImages && n < rows.length) test('header', `${keyword} token "${t}"`, vals.map((v) => (v === null ? null : (v as string[]).includes(t) ? 'yes' : 'no')));
    } else test('header', keyword, vals as Category[]);
  }
  test('header', 'Rows x Columns', rows.map((r) => `${r.header.description.rows}x${r.header.description.columns}`));
  test('header', 'BitsStored', rows.map((r) => String(r.header.description.bitsStored)));
  test('header', 'PhotometricInterpretation', rows.map((r) => r.header.description.photometricInterpretation));
  test('header', 'TransferSyntaxUID', rows.map((r) => r.header.description.transferSyntax));
  for (const p of PIXEL_PROPERTIES) test('pixel', p, quantileBins(rows.map((r) => r.pixels[p] ?? null)));
  if (ocr) {
    test('text', 'any text', rows.map((r) => (r.text.tokens.length ? 'yes' : 'no')));
    const counts = new Map<string, number>();
    for (const r of rows) for (const t of new Set(r.text.tokens)) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [t, n] of [...counts].sort()) if (n >= minImages && n < rows.length) test('text', t, rows.map((r) => (r.text.tokens.includes(t) ? 'yes' : 'no')));
  }

  // Prevalence per site.
  const siteOf = (r: Row): { site: string; from: SitePrevalence['from'] } =>
    r.header.values.InstitutionName ? { site: r.header.values.InstitutionName, from: 'InstitutionName' } : r.header.values.StationName ? { site: r.header.values.StationName, from: 'StationName' } : { site: '(none)', from: 'none' };
  const sites = new Map<string, SitePrevalence>();
  for (const r of rows) {
    const { site, from } = siteOf(r);
    const s = sites.get(site) ?? { site, from, n: 0, positives: 0, prevalence: 0 };
    s.n++;
    s.positives += r.label;
    sites.set(site, s);
  }
  for (const s of sites.values()) s.prevalence = s.positives / s.n;

  const report: AuditReport = {
    n: rows.length,
    files: filesDone.size,
    positives: y.filter((v) => v === 1).length,
    status: checks.some((x) => x.status === 'FAIL') ? 'FAIL' : checks.some((x) => x.status === 'WARN') ? 'WARN' : 'PASS',
    failed: checks.filter((x) => x.status === 'FAIL').map((x) => `${x.check}: ${x.attribute}`),
    checks,
    sites: [...sites.values()].sort((a, b) => b.n - a.n),
    text: {
      ocr: Boolean(ocr),
      images: rows.length,
      withText: rows.filter((r) => r.text.tokens.length > 0).length,
      burnedInNoWithText: rows.filter((r) => r.text.tokens.length > 0 && (r.header.values.BurnedInAnnotation ?? '').toUpperCase() === 'NO').map((r) => ({ file: r.file, frame: r.frame })),
    },
    thresholds,
    errors,
  };

  if (o.checkpoint) {
    const { predict } = await import('../train/predict.js');
    const scores = new Map<string, number>();
    const s = await predict(config, { checkpoint: o.checkpoint, items, onResult: (p) => scores.set(`${p.file}\0${p.frame}`, p.score), onError, ...(o.onLog ? { onLog: o.onLog } : {}) });
    const scored = rows.filter((r) => scores.has(`${r.file}\0${r.frame}`));
    report.model = { checkpoint: o.checkpoint, frames: s.frames, auc: rocAuc(scored.map((r) => scores.get(`${r.file}\0${r.frame}`)!), scored.map((r) => r.label)) };
    for (const site of report.sites) {
      const at = scored.filter((r) => siteOf(r).site === site.site);
      site.auc = rocAuc(at.map((r) => scores.get(`${r.file}\0${r.frame}`)!), at.map((r) => r.label));
    }
  }
  let saliency: Map<string, string[]> | undefined;
  if (o.out && o.checkpoint) saliency = await flaggedSaliency(config, o.checkpoint, o.out, report, rows, items, log);
  if (o.out) writeOutputs(o.out, report, rows, saliency);
  return report;
}

/** The frames the sheet shows (up to 6 per flagged word). */
function flaggedFrames(r: AuditReport, rows: Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const c of r.checks.filter((x) => x.check === 'text' && x.status !== 'PASS' && x.attribute !== 'any text')) {
    out.set(c.attribute, rows.filter((x) => x.text.tokens.includes(c.attribute)).slice(0, 6));
  }
  return out;
}

/** With a checkpoint: gradient and Grad-CAM maps of the flagged frames (explain, in OUT/saliency), by "file\0frame". */
async function flaggedSaliency(config: PipelineConfig, checkpoint: string, out: string, r: AuditReport, rows: Row[], all: SourceItem[], log: (l: string) => void): Promise<Map<string, string[]>> {
  const files = [...new Set([...flaggedFrames(r, rows).values()].flat().map((x) => x.file))];
  const maps = new Map<string, string[]>();
  if (files.length === 0) return maps;
  const { explain } = await import('../explain/explain.js');
  const items = all.filter((i) => files.includes(i.id));
  const dir = join(out, 'saliency');
  await explain(config, { checkpoint, out: dir, items, methods: ['gradient', 'gradcam'], onResult: (l) => {
    const key = `${l.file}\0${l.frame}`;
    maps.set(key, [...(maps.get(key) ?? []), `saliency/${l.png}`]);
  } });
  log(`audit: saliency maps of ${files.length} flagged file(s) in ${dir}`);
  return maps;
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '-');

/** The checks as Markdown. */
export function auditMarkdown(r: AuditReport): string {
  const lines = [
    `# Shortcut audit: ${r.status}`,
    '',
    `${r.n} frame(s) of ${r.files} file(s), ${r.positives} positive. Thresholds: WARN at AUC >= ${r.thresholds.warn}, FAIL at >= ${r.thresholds.fail} (out-of-fold, folds grouped by patient).`,
    '',
    '| check | attribute | n | cardinality | missing | AUC | 95% CI | Cramér\'s V | p | status |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...[...r.checks]
      .sort((a, b) => (Number.isFinite(b.auc) ? b.auc : 0) - (Number.isFinite(a.auc) ? a.auc : 0))
      .map((c) => `| ${c.check} | ${c.attribute.replace(/\|/g, '\\|')} | ${c.n} | ${c.cardinality} | ${(c.missing * 100).toFixed(0)}% | ${f3(c.auc)} | ${f3(c.ci95[0])}–${f3(c.ci95[1])} | ${f3(c.cramersV)} | ${c.p.toPrecision(2)} | ${c.status} |`),
    '',
    '## Label prevalence per site',
    '',
    `| site | named by | frames | positives | prevalence |${r.model ? ' model AUC |' : ''}`,
    `| --- | --- | --- | --- | --- |${r.model ? ' --- |' : ''}`,
    ...r.sites.map((s) => `| ${s.site.replace(/\|/g, '\\|')} | ${s.from} | ${s.n} | ${s.positives} | ${(s.prevalence * 100).toFixed(1)}% |${r.model ? ` ${f3(s.auc ?? Number.NaN)} |` : ''}`),
    '',
    r.text.ocr ? `Burned-in text: found in ${r.text.withText} of ${r.text.images} frame(s); ${r.text.burnedInNoWithText.length} of them are marked BurnedInAnnotation NO.` : 'Burned-in text: OCR not run.',
  ];
  if (r.model) lines.push('', `Model ${r.model.checkpoint}: AUC ${f3(r.model.auc)} on ${r.model.frames} frame(s).`);
  return `${lines.join('\n')}\n`;
}

function writeOutputs(out: string, r: AuditReport, rows: Row[], saliency?: Map<string, string[]>): void {
  mkdirSync(join(out, 'examples'), { recursive: true });
  writeFileSync(join(out, 'audit.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(out, 'audit.md'), auditMarkdown(r));
  writeFileSync(join(out, 'text.jsonl'), rows.map((x) => JSON.stringify(x.text)).join('\n') + (rows.length ? '\n' : ''));
  // Flagged examples: for each text token that WARNs or FAILs, up to 6 frames holding it, the boxes in green.
  const flagged = r.checks.filter((c) => c.check === 'text' && c.status !== 'PASS' && c.attribute !== 'any text');
  const frames = flaggedFrames(r, rows);
  const sections: string[] = [];
  let k = 0;
  for (const c of flagged) {
    const with_ = frames.get(c.attribute) ?? [];
    const cells = with_.map((x) => {
      const { data, height, width } = x.thumb;
      const [fh, fw] = [x.header.description.rows, x.header.description.columns];
      const map = new Float32Array(height * width);
      for (const [r0, c0, r1, c1] of x.text.boxes) {
        for (let yy = Math.floor((r0 * height) / fh); yy < Math.ceil((r1 * height) / fh) && yy < height; yy++) for (let xx = Math.floor((c0 * width) / fw); xx < Math.ceil((c1 * width) / fw) && xx < width; xx++) map[yy * width + xx] = 1;
      }
      const name = `examples/${k++}.png`;
      writeFileSync(join(out, name), overlayPng({ image: Float32Array.from(data, (v) => v / 255), shape: [height, width, 1], map, aspect: width / height }));
      const maps = (saliency?.get(`${x.file}\0${x.frame}`) ?? []).map((m) => `<img src="${escapeHtml(encodeURI(m))}" width="200" alt="${escapeHtml(`saliency: ${m}`)}">`).join('');
      return `<figure><img src="${escapeHtml(name)}" width="200" alt="${escapeHtml(`${basename(x.file)} frame ${x.frame}`)}">${maps}<figcaption>${escapeHtml(basename(x.file))} f${x.frame}, label ${x.label}${maps ? ' (then the model\'s gradient and Grad-CAM maps)' : ''}</figcaption></figure>`;
    });
    sections.push(`<h3>text "${escapeHtml(c.attribute)}": AUC ${f3(c.auc)}, ${escapeHtml(c.status)}</h3><div class="row">${cells.join('')}</div>`);
  }
  const checkRows = [...r.checks]
    .sort((a, b) => (Number.isFinite(b.auc) ? b.auc : 0) - (Number.isFinite(a.auc) ? a.auc : 0))
    .map((c) => `<tr class="${c.status}"><td>${c.check}</td><td>${escapeHtml(c.attribute)}</td><td>${c.n}</td><td>${c.cardinality}</td><td>${(c.missing * 100).toFixed(0)}%</td><td>${f3(c.auc)}</td><td>${f3(c.ci95[0])}–${f3(c.ci95[1])}</td><td>${f3(c.cramersV)}</td><td>${c.p.toPrecision(2)}</td><td>${c.status}</td></tr>`)
    .join('\n');
  const siteRows = r.sites.map((s) => `<tr><td>${escapeHtml(s.site)}</td><td>${s.from}</td><td>${s.n}</td><td>${s.positives}</td><td>${(s.prevalence * 100).toFixed(1)}%</td>${r.model ? `<td>${f3(s.auc ?? Number.NaN)}</td>` : ''}</tr>`).join('\n');
  writeFileSync(
    join(out, 'index.html'),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dicomflow audit: ${r.status}</title>
<style>body { font: 14px system-ui, sans-serif; margin: 16px; } table { border-collapse: collapse; margin-bottom: 16px; } td, th { border: 1px solid #ccc; padding: 3px 6px; text-align: left; }
tr.FAIL td { background: #fdd; } tr.WARN td { background: #ffd; } .row { display: flex; flex-wrap: wrap; gap: 8px; } figure { margin: 0; font-size: 12px; }</style></head><body>
<h1>Shortcut audit: ${r.status}</h1>
<p>${r.n} frame(s) of ${r.files} file(s), ${r.positives} positive. WARN at out-of-fold AUC &gt;= ${r.thresholds.warn}, FAIL at &gt;= ${r.thresholds.fail}.</p>
<h2>Checks</h2>
<table><tr><th>check</th><th>attribute</th><th>n</th><th>cardinality</th><th>missing</th><th>AUC</th><th>95% CI</th><th>Cramér's V</th><th>p</th><th>status</th></tr>
${checkRows}</table>
<h2>Label prevalence per site</h2>
<table><tr><th>site</th><th>named by</th><th>frames</th><th>positives</th><th>prevalence</th>${r.model ? '<th>model AUC</th>' : ''}</tr>
${siteRows}</table>
<h2>Burned-in text</h2>
<p>${r.text.ocr ? `Found in ${r.text.withText} of ${r.text.images} frame(s); ${r.text.burnedInNoWithText.length} of them are marked BurnedInAnnotation NO.` : 'OCR not run.'}</p>
${sections.join('\n')}
</body></html>
`,
  );
}
