/**
 * `dicomflow predict --checkpoint DIR [sources] [--json]`: one line per frame
 * on stdout, `{file, frame, score}` and the label when the source has one.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { predict } from '../train/predict.js';
import { configOverrides, describeSources, numberFlag, parseCommandLine, preprocessFlags, sourceOverrides } from './args.js';
import { forTerminal, jsonLine, recordLine } from './terminal.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../pipeline.config.json', import.meta.url));

export const PREDICT_HELP = `Usage: dicomflow predict --checkpoint DIR [sources...] [--manifest CSV] [--json] [--config F]

Scores frames with the newest checkpoint in DIR (written by 'dicomflow train
--checkpoints DIR'): one line per frame on stdout, "file frame score [label]", or
with --json one JSON object per line: {"file", "frame", "score", "label"?}.
The frames get the preprocessing the model was trained with, which the
checkpoint records; --target and --voi override it (the model's input size must
still match). Sources named here replace the configuration's.

Exit status: 0 every frame scored, 1 some input failed, 2 usage or config error.`;

export async function predictCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { json: { type: 'boolean' }, checkpoint: { type: 'string' }, backend: { type: 'string' } });
  if (values.help) {
    process.stdout.write(`${PREDICT_HELP}\n`);
    return 0;
  }
  if (typeof values.checkpoint !== 'string' || values.checkpoint === '') throw new UsageError('predict needs --checkpoint DIR (see dicomflow predict --help)', { stage: 'cli' });
  const named = sourceOverrides(positionals, values);
  const overrides = { ...configOverrides(values), ...named };
  if (typeof values.backend === 'string') overrides['train.backend'] = values.backend;
  const { config } = loadConfig(typeof values.config === 'string' ? values.config : DEFAULT_CONFIG, overrides);
  // Only what the command line says about preprocessing overrides the checkpoint's.
  const preprocessOverrides = preprocessFlags(overrides, config);
  const json = Boolean(values.json);
  const log = (line: string) => process.stderr.write(`${forTerminal(line)}\n`);
  log(`sources: ${describeSources(config.sources, Object.keys(named).length > 0)}`);
  const summary = await predict(config, {
    checkpoint: values.checkpoint.startsWith('/') ? values.checkpoint : `${process.cwd()}/${values.checkpoint}`,
    preprocessOverrides,
    onLog: log,
    onError: (r) => log(recordLine(r)),
    onWarning: (r) => log(recordLine(r)),
    onResult: (p) => process.stdout.write(`${json ? jsonLine(p) : forTerminal(`${p.file} ${p.frame} ${p.score.toFixed(6)}${p.label !== undefined ? ` ${p.label}` : ''}`)}\n`),
  });
  log(`predict: ${summary.frames} frame(s) scored with ${summary.checkpoint} on ${summary.backend} (preprocessing from the ${summary.preprocessFrom}), ${summary.errors} error(s)`);
  return summary.errors > 0 ? 1 : 0;
}
