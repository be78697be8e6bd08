/**
 * `dicomflow train [--config F] [--backend auto|node|wasm|cpu] [--epochs N] [--resume DIR] [--json]`
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { train, type TrainResult } from '../train/trainer.js';
import { configOverrides, describeSources, parseCommandLine, sourceOverrides } from './args.js';
import { forTerminal, recordLine } from './terminal.js';
import { Progress } from './progress.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../pipeline.config.json', import.meta.url));

export const TRAIN_HELP = `Usage: dicomflow train [sources...] [--config F] [--manifest CSV] [--dataset DIR] [--backend auto|node|wasm|cpu] [--epochs N] [--resume DIR] [--json]

Trains a model on the configured sources (default: the package's
pipeline.config.json, whose sources are the built-in sample task). Labels come
from the manifest (path,label). Validation is split by patient (or study, or
site with --split-by): never the same patient on both sides. Prints per epoch: loss, validation
AUC and accuracy, images/s, and the data-wait fraction (the share of step time
spent waiting for the pipeline). Sources named here (paths, globs, URLs,
--manifest) replace the configuration's, the built-in sample included.
--dataset DIR trains from the shards 'dicomflow ingest --out DIR' wrote, with no
decoding, split by each sample's group (a keyed hash of its PatientID).

  --backend B        auto (tfjs-node, else wasm, else cpu), node, wasm or cpu
  --epochs N         train.epochs
  --checkpoints DIR  write a checkpoint after every epoch (train.checkpointDir)
  --resume DIR       continue from the newest checkpoint in DIR (and keep writing there)
  --json             print a final JSON object
  --cache DIR        decoded-sample cache: epoch 1 fills it, later epochs and runs read it (pipeline.cache)
  --split-by G       patient (default), study, or a site: institution, station, manufacturer, an
                     attribute keyword or a tag (0008,0080); whole groups are held out for validation
  --mask M           blank regions before anything else: text (what OCR finds), boxes
                     r0,c0,r1,c1 (pixels or fractions), joined by ; (preprocess.mask)
  --explain-every N  saliency maps of a fixed set of validation frames every N epochs (needs --checkpoints)
  --train-workers N  train.workers: worker threads sharing each training step (data parallel; 0 or 1 = one thread)
  also: --workers, --target, --voi, --batch-size, --limit, --partial, --timeout-ms (see dicomflow ingest --help)

Exit status: 0 trained, 1 some input failed (training still ran), 2 usage or config error.`;

/** The flags of train (and start), beside the shared config flags. */
export const TRAIN_OPTIONS = {
  json: { type: 'boolean' },
  backend: { type: 'string' },
  epochs: { type: 'string' },
  resume: { type: 'string' },
  checkpoints: { type: 'string' },
} as const;

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, TRAIN_OPTIONS);
  if (values.help) {
    process.stdout.write(`${TRAIN_HELP}\n`);
    return 0;
  }
  const named = sourceOverrides(positionals, values);
  const overrides = { ...configOverrides(values), ...named };
  if (typeof values.backend === 'string') overrides['train.backend'] = values.backend;
  if (typeof values.epochs === 'string') overrides['train.epochs'] = /^\d+$/.test(values.epochs) ? Number(values.epochs) : values.epochs;
  const resume = typeof values.resume === 'string' ? values.resume : null;
  const checkpoints = typeof values.checkpoints === 'string' ? values.checkpoints : resume;
  if (checkpoints !== null) overrides['train.checkpointDir'] = checkpoints.startsWith('/') ? checkpoints : `${process.cwd()}/${checkpoints}`;
  const { config } = loadConfig(typeof values.config === 'string' ? values.config : DEFAULT_CONFIG, overrides);
  const json = Boolean(values.json);
  const sources = describeSources(config.sources, Object.keys(named).length > 0);
  const progress = new Progress();
  const log = (line: string) => {
    progress.clear();
    process.stderr.write(`${line}\n`);
  };
  log(forTerminal(`sources: ${sources}`));
  let errors = 0;
  const result: TrainResult = await train({
    config,
    resume: resume === null ? null : resume.startsWith('/') ? resume : `${process.cwd()}/${resume}`,
    onLog: log,
    onError: (r) => {
      errors++;
      log(recordLine(r));
    },
    onWarning: (r) => log(recordLine(r)),
    onSampleProgress: (done, total) => progress.update(`generating the sample task: ${done}/${total} images`),
    onStep: (s) => progress.update(`epoch ${s.epoch}/${s.epochs}: ${s.images} images, ${s.imagesPerSecond.toFixed(1)} images/s, loss ${s.loss.toFixed(4)}`),
  });
  progress.clear();
  const summary = {
    backend: result.backend,
    epochs: result.epochs,
    trainImages: result.trainImages,
    imagesPerSecond: Number(result.imagesPerSecond.toFixed(2)),
    dataWaitFraction: Number(result.dataWaitFraction.toFixed(4)),
    valAuc: Number(result.valAuc.toFixed(4)),
    valAccuracy: Number(result.valAccuracy.toFixed(4)),
    valLoss: Number(result.valLoss.toFixed(4)),
    model: result.model,
    trainFiles: result.trainFiles,
    valFiles: result.valFiles,
    checkpoint: result.checkpoint,
    sources,
    errors,
    seconds: Number(result.seconds.toFixed(1)),
  };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `train: ${summary.epochs} epoch(s) of ${summary.trainImages} images on ${summary.backend}: ${summary.imagesPerSecond} images/s, ` +
        `data wait ${(summary.dataWaitFraction * 100).toFixed(1)}%, validation AUC ${summary.valAuc}, accuracy ${summary.valAccuracy} ` +
        `(${summary.valFiles} validation images) in ${summary.seconds} s${errors ? `; ${errors} error(s)` : ''}\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}
