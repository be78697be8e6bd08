#!/usr/bin/env node
/**
 * dicomflow command line. Exit status: 0 success, 1 some input failed,
 * 2 usage or configuration error.
 */
import { ConfigError, DicomflowError, UsageError } from '../errors.js';
import { forTerminal } from './terminal.js';

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

/**
 * Each command's module is loaded only when that command runs (or its help is
 * asked for): a command pays for its own dependencies (tfjs, the codecs, OCR,
 * the browser driver), not for every other command's, at every start.
 */
const commands: Record<string, () => Promise<{ run: (argv: string[]) => Promise<number>; help: string }>> = {
  bench: async () => {
    const m = await import('./bench.js');
    return { run: m.benchCommand, help: m.BENCH_HELP };
  },
  decode: async () => {
    const m = await import('./decode.js');
    return { run: m.decodeCommand, help: m.DECODE_HELP };
  },
  ingest: async () => {
    const m = await import('./ingest.js');
    return { run: m.ingestCommand, help: m.INGEST_HELP };
  },
  inspect: async () => {
    const m = await import('./inspect.js');
    return { run: m.inspectCommand, help: m.INSPECT_HELP };
  },
  audit: async () => {
    const m = await import('./audit.js');
    return { run: m.auditCommand, help: m.AUDIT_HELP };
  },
  explain: async () => {
    const m = await import('./explain.js');
    return { run: m.explainCommand, help: m.EXPLAIN_HELP };
  },
  sample: async () => {
    const m = await import('./sample.js');
    return { run: m.sampleCommand, help: m.SAMPLE_HELP };
  },
  predict: async () => {
    const m = await import('./predict.js');
    return { run: m.predictCommand, help: m.PREDICT_HELP };
  },
  start: async () => {
    const m = await import('./start.js');
    return { run: m.startCommand, help: m.START_HELP };
  },
  train: async () => {
    const m = await import('./train.js');
    return { run: m.trainCommand, help: m.TRAIN_HELP };
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const load = name === 'help' && rest[0] ? commands[rest[0]] : undefined;
    const topic = load ? await load() : undefined;
    process.stdout.write(`${topic ? topic.help : HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  try {
    if (!load) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(commands).join(', ')})`, { stage: 'cli' });
    return await (await load()).run(rest);
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
