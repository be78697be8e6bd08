/**
 * `dicomflow ingest`: source to batches without training. Prints frames/s,
 * MB/s read, Mpx/s decoded and the error count; errors go to errors.jsonl.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { ErrorRecord } from '../pipeline/index.js';
import { ingest } from '../pipeline/ingest.js';
import { configOverrides, describeSources, parseCommandLine, sourceOverrides } from './args.js';
import { Progress, formatBytes } from './progress.js';
import { forTerminal, recordLine } from './terminal.js';
import { fileURLToPath } from 'node:url';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../pipeline.config.json', import.meta.url));

export const INGEST_HELP = `Usage: dicomflow ingest [sources...] [--config F] [--manifest CSV] [--workers N] [--target HxW] [--limit N] [--json] [--errors F]

Runs the pipeline from the sources to batches, without training, and reports
throughput: frames/s, MB/s read, Mpx/s decoded, errors. Sources named here (files,
directories read recursively, globs, http(s) URLs, --manifest) replace the
configuration's, the built-in sample included; a path that does not exist is a
DF_ERR_SOURCE record.

  --config F      pipeline.config.json to use (default: the package's own)
  --manifest CSV  path,label[,split] rows to read (replaces the configured sources)
  --workers N     decode threads (decode.workers; 0 = available cores)
  --target HxW    output size (preprocess.target), e.g. 256x256
  --limit N       stop after N frames (pipeline.limit)
  --partial P     error | allow: frames a codec decoded only in part fail, or are kept with a warning (decode.partial)
  --timeout-ms T  longest one frame's decode may run before its worker is replaced (decode.timeoutMs; 0 = no limit)
  --voi V         file | minmax | none | percentile[:lo,hi] | window:c,w | a preset
  --errors F      where to write error and warning records (default errors.jsonl), one JSON object per line
  --json          print a final JSON object instead of the text summary

Exit status: 0 every input decoded (warnings allowed), 1 some input failed, 2 usage or config error.`;

export async function ingestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { json: { type: 'boolean' }, errors: { type: 'string' } });
  if (values.help) {
    process.stdout.write(`${INGEST_HELP}\n`);
    return 0;
  }
  const named = sourceOverrides(positionals, values);
  const { config } = loadConfig(typeof values.config === 'string' ? values.config : DEFAULT_CONFIG, { ...configOverrides(values), ...named });
  const sources = describeSources(config.sources, Object.keys(named).length > 0);
  const errorsPath = typeof values.errors === 'string' ? values.errors : 'errors.jsonl';
  if (errorsPath === '') throw new UsageError('--errors needs a file name', { stage: 'cli' });
  let errorsOut: WriteStream | null = null;
  const json = Boolean(values.json);
  const progress = new Progress();
  // Errors and warnings share errors.jsonl (each record says its severity), in the order they happened.
  const onRecord = (r: ErrorRecord) => {
    errorsOut ??= createWriteStream(errorsPath);
    errorsOut.write(`${JSON.stringify(r)}\n`);
    if (!json) {
      progress.clear();
      process.stderr.write(`${recordLine(r)}\n`);
    }
  };
  let result: Awaited<ReturnType<typeof ingest>>;
  try {
    result = await ingest(config, {
      onError: onRecord,
      onWarning: onRecord,
      ...(progress.enabled
        ? {
            onProgress: (s, files, secs) =>
              progress.update(
                `ingest: file ${Math.min(s.files, files)}/${files}, ${s.frames} frames, ${(s.frames / Math.max(secs, 1e-3)).toFixed(1)} frames/s, ${formatBytes(s.bytesRead)} read, ${s.errors} error(s)`,
                true,
              ),
          }
        : {}),
    });
  } finally {
    progress.clear();
    await new Promise<void>((r) => (errorsOut ? errorsOut.end(r) : r()));
  }
  const summary = { ...result, sources, errorsFile: result.errors + result.warnings > 0 ? errorsPath : null };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `ingest: ${summary.frames} frames from ${summary.files} file(s) of ${forTerminal(sources)} in ${summary.seconds} s with ${summary.workers} worker(s): ` +
        `${summary.framesPerSecond} frames/s, ${summary.mbPerSecond} MB/s read, ${summary.mpxPerSecond} Mpx/s decoded, ` +
        `${summary.errors} error(s)${summary.warnings ? `, ${summary.warnings} warning(s)` : ''}${summary.errorsFile ? ` (see ${errorsPath})` : ''}\n`,
    );
  }
  return summary.errors > 0 ? 1 : 0;
}
