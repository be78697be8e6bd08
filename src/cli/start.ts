/**
 * `dicomflow start` (what `npm start` runs): the main job, `train` on the
 * package's pipeline.config.json, whose source is the built-in sample task
 * (generated on first run, then cached).
 */
import { noPositionals, parseCommandLine } from './args.js';
import { TRAIN_OPTIONS, trainCommand } from './train.js';

export const START_HELP = `Usage: dicomflow start [train options]

Runs the main job: generates the built-in sample task on first run (chest CT
phantoms, half with a lung nodule, several synthetic patients, J2K and JPEG-LS,
two image sizes; cached in ~/.cache/dicomflow or $DICOMFLOW_CACHE), streams,
decodes and trains on it, and prints throughput, the data-wait fraction and
the validation AUC. Takes the options of 'dicomflow train'.`;

export async function startCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${START_HELP}\n`);
    return 0;
  }
  // The main job reads the package's sample task; sources belong to 'dicomflow train'.
  noPositionals('start', parseCommandLine(argv, TRAIN_OPTIONS).positionals);
  return trainCommand(argv);
}
