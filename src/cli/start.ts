/**
 * `dicomflow start` (what `npm start` runs): the main job on the sources of
 * pipeline.config.json, by default the built-in sample data. Until training
 * exists it runs the pipeline to batches (as `ingest`) and reports.
 */
import { fileURLToPath } from 'node:url';
import { ingestCommand } from './ingest.js';

export const DEFAULT_CONFIG = fileURLToPath(new URL('../../pipeline.config.json', import.meta.url));

export const START_HELP = `Usage: dicomflow start [--config F] [--json] [ingest options]

Runs the main job on the sources of pipeline.config.json (default: the
package's own, whose sources are the built-in sample data): every file is
read, every frame decoded in the worker pool and preprocessed, and batches
are formed; then throughput and errors are reported. Training is not built
yet. Takes the options of 'dicomflow ingest'.`;

export async function startCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${START_HELP}\n`);
    return 0;
  }
  const hasConfig = argv.some((a) => a === '--config' || a.startsWith('--config='));
  return ingestCommand(hasConfig ? argv : ['--config', DEFAULT_CONFIG, ...argv]);
}
