/**
 * `dicomflow audit [sources] [--json] [--out DIR] [--checkpoint DIR]`: the
 * shortcut audit (src/audit/audit.ts). Exit 0 when nothing FAILs, 1 when
 * something does, 2 usage.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { audit } from '../audit/audit.js';
import { configOverrides, describeSources, numberFlag, parseCommandLine, sourceOverrides } from './args.js';
import { Progress } from './progress.js';
import { forTerminal, jsonLine, recordLine } from './terminal.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../pipeline.config.json', import.meta.url));

export const AUDIT_HELP = `Usage: dicomflow audit [sources...] [--manifest CSV] [--json] [--out DIR] [--checkpoint DIR]
                       [--no-ocr] [--ocr-workers N] [--warn AUC] [--fail AUC] [--seed N]

Shortcut audit over labelled sources (two classes): can the label be told from
anything but anatomy? Per frame, against the label:
  header  InstitutionName, InstitutionalDepartmentName, StationName, Manufacturer,
          ManufacturerModelName, DeviceSerialNumber, SoftwareVersions, Modality,
          BodyPartExamined, ViewPosition, ImageLaterality, Laterality,
          PatientPosition, KVP, Exposure, PixelSpacing, StudyDate (year-month),
          BurnedInAnnotation, SeriesDescription words, Rows x Columns, BitsStored,
          PhotometricInterpretation, TransferSyntaxUID (read for the audit only:
          they never enter a tensor)
  pixel   aspect, mean, spread, saturated share, uniform borders, noise, the
          mean and spread of each corner patch
  text    burned-in words found by OCR (tesseract.js, offline), whatever
          BurnedInAnnotation says
Each gets the out-of-fold AUC of the label from it alone (5 folds grouped by
patient; numbers in quantile bins), a bootstrap 95% interval, bias-corrected
Cramér's V and a permutation p-value; WARN at AUC >= 0.60, FAIL at >= 0.75.
Also the label prevalence per site (InstitutionName, else StationName), and
with --checkpoint the model's AUC per site.

Options:
  --json            print the report as one JSON object
  --out DIR         write audit.json, audit.md, text.jsonl ({file, frame, boxes,
                    tokens} per frame) and index.html (flagged examples)
  --checkpoint DIR  score the frames with a trained model: AUC overall and per site
  --no-ocr          skip the text check
  --ocr-workers N   OCR threads (default 2)
  --warn, --fail    AUC thresholds (default 0.60, 0.75)
  --seed N          folds, bootstrap and permutations (default 1)

Exit status: 0 nothing FAILs, 1 something FAILs (or an input failed), 2 usage or config error.`;

export async function auditCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: 'boolean' },
    out: { type: 'string' },
    checkpoint: { type: 'string' },
    'no-ocr': { type: 'boolean' },
    'ocr-workers': { type: 'string' },
    warn: { type: 'string' },
    fail: { type: 'string' },
    seed: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${AUDIT_HELP}\n`);
    return 0;
  }
  const warn = numberFlag(values, 'warn', { min: 0.5, max: 1 }) ?? 0.6;
  const fail = numberFlag(values, 'fail', { min: 0.5, max: 1 }) ?? 0.75;
  if (fail < warn) throw new UsageError(`--fail (${fail}) must not be below --warn (${warn})`, { stage: 'cli', field: 'fail' });
  const ocrWorkers = numberFlag(values, 'ocr-workers', { int: true, min: 1, max: 64 });
  if (values['no-ocr'] && ocrWorkers !== undefined) throw new UsageError('--ocr-workers with --no-ocr: there is no OCR to run', { stage: 'cli', field: 'ocr-workers' });
  const seed = numberFlag(values, 'seed', { int: true, min: 0 });
  const named = sourceOverrides(positionals, values);
  const { config } = loadConfig(typeof values.config === 'string' ? values.config : DEFAULT_CONFIG, { ...configOverrides(values), ...named });
  const abs = (p: string) => (p.startsWith('/') ? p : `${process.cwd()}/${p}`);
  const progress = new Progress();
  const log = (line: string) => {
    progress.clear();
    process.stderr.write(`${forTerminal(line)}\n`);
  };
  log(`sources: ${describeSources(config.sources, Object.keys(named).length > 0)}`);
  const r = await audit(config, {
    ...(typeof values.out === 'string' ? { out: abs(values.out) } : {}),
    ...(typeof values.checkpoint === 'string' ? { checkpoint: abs(values.checkpoint) } : {}),
    ocr: !values['no-ocr'],
    ...(ocrWorkers !== undefined ? { ocrWorkers } : {}),
    ...(seed !== undefined ? { seed } : {}),
    thresholds: { warn, fail },
    onLog: log,
    onError: (e) => log(recordLine(e)),
    onProgress: (done, total, stage) => progress.update(`audit: ${stage} ${done}/${total} file(s)`),
  });
  progress.clear();
  if (values.json) process.stdout.write(`${jsonLine(r)}\n`);
  else {
    const flagged = r.checks.filter((c) => c.status !== 'PASS').sort((a, b) => b.auc - a.auc);
    process.stdout.write(`audit: ${r.status} (${r.n} frames, ${r.checks.length} checks, ${r.failed.length} FAIL, ${flagged.length - r.failed.length} WARN)\n`);
    for (const c of flagged) process.stdout.write(`${forTerminal(`${c.status.padEnd(4)}  ${c.check.padEnd(6)}  ${c.attribute}  AUC ${c.auc.toFixed(3)} [${c.ci95[0].toFixed(3)}, ${c.ci95[1].toFixed(3)}]  V ${c.cramersV.toFixed(3)}  p ${c.p.toPrecision(2)}`)}\n`);
    for (const s of r.sites) process.stdout.write(`${forTerminal(`site ${s.site}: ${s.n} frames, prevalence ${(s.prevalence * 100).toFixed(1)}%${s.auc !== undefined ? `, model AUC ${s.auc.toFixed(3)}` : ''}`)}\n`);
    if (r.text.ocr) process.stdout.write(`text: found in ${r.text.withText} of ${r.text.images} frames; ${r.text.burnedInNoWithText.length} marked BurnedInAnnotation NO\n`);
  }
  if (typeof values.out === 'string') log(`audit: report in ${abs(values.out)} (audit.json, audit.md, text.jsonl, index.html)`);
  return r.status === 'FAIL' || r.errors > 0 ? 1 : 0;
}
