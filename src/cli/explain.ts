/**
 * `dicomflow explain --checkpoint DIR [sources] --out OUT [--method M,...]
 * [--randomize-weights] [--check] [--json]`: saliency maps for every frame,
 * as .npy and PNG overlays, explain.jsonl and an HTML contact sheet.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { checksTable, explain, type CheckOptions } from '../explain/explain.js';
import { DEFAULT_METHOD_OPTIONS, DEFAULT_METHODS, METHODS, type Method } from '../explain/methods.js';
import { configOverrides, describeSources, numberFlag, parseCommandLine, preprocessFlags, sourceOverrides } from './args.js';
import { Progress } from './progress.js';
import { forTerminal, jsonLine, recordLine } from './terminal.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../pipeline.config.json', import.meta.url));


export const EXPLAIN_HELP = `Usage: dicomflow explain --checkpoint DIR --out OUT [sources...] [--method M,...]
                         [--randomize-weights] [--check [--truth FILE]] [--subset all|validation] [--json]

Saliency maps of the newest checkpoint in DIR for every frame the sources give
(default: the configuration's), with the preprocessing the checkpoint recorded.
Per frame and method it writes OUT/<stem>.f<frame>.<method>.npy (float32 at the
model's input size, in [0, 1]) and .png (the frame in grey, the map in green, its
peak marked, a legend strip along the bottom), a line in OUT/explain.jsonl
({file, frame, label?, score, method, map, png, peak: [row, col] in the source
frame's pixels, ms}), and OUT/index.html, a contact sheet sorted by score and
grouped into true/false positives/negatives when labels exist (works offline).

Methods (--method, comma-separated, or "all"; default ${DEFAULT_METHODS.join(',')}):
  gradient              |d logit / d input|            FAILS the randomisation check*
  smoothgrad            gradient averaged over noisy copies (--samples ${DEFAULT_METHOD_OPTIONS.smoothgrad.samples}, --noise ${DEFAULT_METHOD_OPTIONS.smoothgrad.noise})
                                                       FAILS the randomisation check*
  integrated-gradients  path integral from a baseline (--steps ${DEFAULT_METHOD_OPTIONS.integratedGradients.steps}, --baseline ${DEFAULT_METHOD_OPTIONS.integratedGradients.baseline})
                                                       FAILS the randomisation check*
  gradcam               Grad-CAM at the last spatial layer (--cam-layer NAME to choose)
  smoe                  SMOE scale, one forward pass, every scale  FAILS the randomisation check*
  fastcam               smoe x gradcam
  * its maps from the trained model and from the same model with re-initialised
    weights have a Spearman rank correlation of 0.5 or more on the sample task
    (bench/explain.mjs; the README has the figures): such a map shows the image
    more than what the model learned.

Options:
  --checkpoint DIR       a folder written by 'dicomflow train --checkpoints DIR'
  --out OUT              where the maps and the sheet go (created)
  --randomize-weights    also the maps of the model with every weighted layer
                         re-initialised, top layer down, in OUT/randomized/
  --check                measure the maps: pointing game against ground truth
                         (beside a centre-point and a random-point baseline),
                         Spearman of trained against randomised maps, deletion
                         and insertion AUC (beside a random order), ms per image;
                         written to OUT/checks.json and the sheet
  --truth FILE           ground truth for --check: {"files": {"<path>": [{"row",
                         "col", "radius"}]}} in frame pixels, paths relative to
                         FILE (default with the sample task: its sidecar)
  --tolerance PX         pointing-game tolerance added to each radius (default 3)
  --deletion-baseline V  what deleted pixels become: blur (default) or a number
  --subset S             all (default) or validation: only the files the
                         checkpoint's training held out (its split recomputed)
  --seed N               seed of the randomised weights and noise (default 1)
  --target, --voi        override the checkpoint's preprocessing
  --backend B            auto, wasm, cpu or node (default: the configuration's)
  --json                 print the final summary as one JSON object

Exit status: 0 every frame explained, 1 some input failed, 2 usage or config error.`;


export async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    json: { type: 'boolean' },
    checkpoint: { type: 'string' },
    out: { type: 'string' },
    method: { type: 'string' },
    'randomize-weights': { type: 'boolean' },
    check: { type: 'boolean' },
    truth: { type: 'string' },
    tolerance: { type: 'string' },
    'deletion-baseline': { type: 'string' },
    subset: { type: 'string' },
    samples: { type: 'string' },
    noise: { type: 'string' },
    steps: { type: 'string' },
    baseline: { type: 'string' },
    'cam-layer': { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${EXPLAIN_HELP}\n`);
    return 0;
  }
  if (typeof values.checkpoint !== 'string' || values.checkpoint === '') throw new UsageError('explain needs --checkpoint DIR (see dicomflow explain --help)', { stage: 'cli' });
  if (typeof values.out !== 'string' || values.out === '') throw new UsageError('explain needs --out OUT, the folder for the maps (see dicomflow explain --help)', { stage: 'cli' });
  const methodText = typeof values.method === 'string' ? values.method : DEFAULT_METHODS.join(',');
  const methods = (methodText === 'all' ? [...METHODS] : methodText.split(',').map((m) => m.trim())) as Method[];
  for (const m of methods) if (!METHODS.includes(m)) throw new UsageError(`--method: unknown method "${m}" (methods: ${METHODS.join(', ')}, or all)`, { stage: 'cli', field: 'method' });
  const subset = values.subset ?? 'all';
  if (subset !== 'all' && subset !== 'validation') throw new UsageError(`--subset must be all or validation (got ${JSON.stringify(subset)})`, { stage: 'cli', field: 'subset' });
  if (!values.check && (values.truth !== undefined || values.tolerance !== undefined || values['deletion-baseline'] !== undefined)) {
    throw new UsageError('--truth, --tolerance and --deletion-baseline belong to --check', { stage: 'cli' });
  }
  for (const [flag, method] of [['samples', 'smoothgrad'], ['noise', 'smoothgrad'], ['steps', 'integrated-gradients'], ['baseline', 'integrated-gradients'], ['cam-layer', 'gradcam']] as const) {
    const uses = methods.includes(method) || (method === 'gradcam' && methods.includes('fastcam'));
    if (values[flag] !== undefined && !uses) throw new UsageError(`--${flag} is an option of ${method}, which --method does not include`, { stage: 'cli', field: flag });
  }
  const db = values['deletion-baseline'];
  const deletionBaseline = db === undefined || db === 'blur' ? 'blur' : numberFlag(values, 'deletion-baseline')!;
  const named = sourceOverrides(positionals, values);
  const overrides = { ...configOverrides(values), ...named };
  if (typeof values.backend === 'string') overrides['train.backend'] = values.backend;
  const { config } = loadConfig(typeof values.config === 'string' ? values.config : DEFAULT_CONFIG, overrides);
  if (config.sources.dataset !== null) throw new UsageError('explain reads DICOM sources; a dicomflow dataset (--dataset) does not keep the frames\' geometry: name the DICOM files instead', { stage: 'cli', field: 'dataset' });
  const preprocessOverrides = preprocessFlags(overrides, config);
  const abs = (p: string) => (p.startsWith('/') ? p : `${process.cwd()}/${p}`);
  const check: CheckOptions | false = values.check
    ? {
        ...(typeof values.truth === 'string' ? { truth: abs(values.truth) } : {}),
        ...(values.tolerance !== undefined ? { tolerance: numberFlag(values, 'tolerance', { min: 0 })! } : {}),
        deletionBaseline,
      }
    : false;
  const samples = numberFlag(values, 'samples', { int: true, min: 1 });
  const noise = numberFlag(values, 'noise', { min: 0 });
  const steps = numberFlag(values, 'steps', { int: true, min: 1 });
  const baseline = numberFlag(values, 'baseline');
  const seed = numberFlag(values, 'seed', { int: true, min: 0 });
  const json = Boolean(values.json);
  const progress = new Progress();
  const log = (line: string) => {
    progress.clear();
    process.stderr.write(`${forTerminal(line)}\n`);
  };
  log(`sources: ${describeSources(config.sources, Object.keys(named).length > 0)}`);
  const summary = await explain(config, {
    checkpoint: abs(values.checkpoint),
    out: abs(values.out),
    methods,
    methodOptions: {
      smoothgrad: { ...DEFAULT_METHOD_OPTIONS.smoothgrad, ...(samples !== undefined ? { samples } : {}), ...(noise !== undefined ? { noise } : {}), ...(seed !== undefined ? { seed } : {}) },
      integratedGradients: { ...DEFAULT_METHOD_OPTIONS.integratedGradients, ...(steps !== undefined ? { steps } : {}), ...(baseline !== undefined ? { baseline } : {}) },
    },
    randomizeWeights: Boolean(values['randomize-weights']),
    check,
    subset,
    ...(seed !== undefined ? { seed } : {}),
    ...(typeof values['cam-layer'] === 'string' ? { camLayer: values['cam-layer'] } : {}),
    preprocessOverrides,
    onLog: log,
    onError: (r) => log(recordLine(r)),
    onWarning: (r) => log(recordLine(r)),
    onProgress: (done, total) => progress.update(`explain: ${done}/${total} file(s)`),
  });
  progress.clear();
  if (json) process.stdout.write(`${jsonLine(summary)}\n`);
  else {
    const t = checksTable(summary);
    const rows = [t.head, ...t.rows];
    const widths = t.head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) process.stdout.write(`${r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  }
  log(`explain: ${summary.frames} frame(s), ${summary.methods.length} method(s) on ${summary.backend}; maps and index.html in ${summary.out}; ${summary.errors} error(s)`);
  return summary.errors > 0 ? 1 : 0;
}
