#!/usr/bin/env node
/**
 * dicomflow command line. Exit status: 0 success, 1 some input failed,
 * 2 usage or configuration error.
 */
import { ConfigError, DicomflowError, UsageError } from '../errors.js';
import { forTerminal } from './terminal.js';
import { BENCH_HELP, benchCommand } from './bench.js';
import { DECODE_HELP, decodeCommand } from './decode.js';
import { INGEST_HELP, ingestCommand } from './ingest.js';
import { INSPECT_HELP, inspectCommand } from './inspect.js';
import { AUDIT_HELP, auditCommand } from './audit.js';
import { EXPLAIN_HELP, explainCommand } from './explain.js';
import { SAMPLE_HELP, sampleCommand } from './sample.js';
import { PREDICT_HELP, predictCommand } from './predict.js';
import { START_HELP, startCommand } from './start.js';
import { TRAIN_HELP, trainCommand } from './train.js';

const HELP = `Usage: dicomflow <command> [options]

Commands:
  inspect <paths...>   read files and print their pixel description (--json for JSON lines)
  decode <file>        decode a file's frames to .npy (--out DIR)
  ingest               run sources -> decode -> batches and report throughput
  train                train a model on the batches (the sample task by default)
  predict              score frames with a trained checkpoint (--checkpoint DIR)
  explain              saliency maps, PNG overlays, an HTML sheet and checks (--checkpoint DIR --out OUT)
  audit                shortcut audit: does the label leak through headers, pixel traits or burned-in text?
  sample               generate the built-in sample data (--leaky, --control: the two-hospital shortcut sets)
  start                run the main job on pipeline.config.json (npm start)
  bench storage        measure what storage setups deliver to training
  help [command]       show help

Run 'dicomflow <command> --help' for a command's options.`;

const commands: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  inspect: { run: inspectCommand, help: INSPECT_HELP },
  decode: { run: decodeCommand, help: DECODE_HELP },
  ingest: { run: ingestCommand, help: INGEST_HELP },
  train: { run: trainCommand, help: TRAIN_HELP },
  predict: { run: predictCommand, help: PREDICT_HELP },
  explain: { run: explainCommand, help: EXPLAIN_HELP },
  audit: { run: auditCommand, help: AUDIT_HELP },
  sample: { run: sampleCommand, help: SAMPLE_HELP },
  start: { run: startCommand, help: START_HELP },
  bench: { run: benchCommand, help: BENCH_HELP },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && rest[0] ? commands[rest[0]] : undefined;
    process.stdout.write(`${topic ? topic.help : HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  try {
    if (!command) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(commands).join(', ')})`, { stage: 'cli' });
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`dicomflow: ${forTerminal(err.message)}\n`);
      return 2;
    }
    if (err instanceof DicomflowError) {
      process.stderr.write(`dicomflow: ${forTerminal(err.describe())}\n`);
      return 1;
    }
    process.stderr.write(`dicomflow: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 70;
  }
}

process.exitCode = await main(process.argv.slice(2));
