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
import { DATASET_FLAGS, ingestToDataset } from './ingest-dataset.js';
import { fileURLToPath } from 'node:url';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../pipeline.config.json', import.meta.url));

export const INGEST_HELP = `Usage: dicomflow ingest [sources...] [--config F] [--manifest CSV] [--workers N] [--target HxW] [--limit N] [--json] [--errors F]
       dicomflow ingest [sources...] --out DIR [--format webdataset|tfrecord] [--shard-files N]
                        [--array-index I --array-size N | --merge]

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
  --cache DIR     keep decoded samples in DIR; later runs read them instead of decoding (pipeline.cache)
  --partial P     error | allow: frames a codec decoded only in part fail, or are kept with a warning (decode.partial)
  --timeout-ms T  longest one frame's decode may run before its worker is replaced (decode.timeoutMs; 0 = no limit)
  --voi V         file | minmax | none | percentile[:lo,hi] | window:c,w | a preset
  --errors F      where to write error and warning records (default errors.jsonl), one JSON object per line
  --json          print a final JSON object instead of the text summary

Writing a dataset (decode once, train many times):
  --out DIR           write shards DIR/shard-000000.tar (or .tfrecord), DIR/dataset.json, DIR/errors.jsonl;
                      a rerun finishes an interrupted job and skips the shards already done
  --format F          webdataset (default: <key>.npy, .json, .cls in tar) or tfrecord (tf.train.Example)
  --shard-files N     files per shard (default 256); the sources are sorted by path/URL and cut in order
  --array-index I --array-size N
                      this worker writes the shards k with k mod N = I; also read from JOB_COMPLETION_INDEX
                      (Kubernetes), SLURM_ARRAY_TASK_ID/_MIN/_COUNT (Slurm), AWS_BATCH_JOB_ARRAY_INDEX (AWS
                      Batch); the size from --array-size or DICOMFLOW_ARRAY_SIZE where the engine does not say
  --merge             write dataset.json once every worker is done (exit 1 naming the missing shards)

Exit status: 0 every input decoded (warnings allowed), 1 some input failed, 2 usage or config error.`;

export async function ingestCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { json: { type: 'boolean' }, errors: { type: 'string' }, ...DATASET_FLAGS });
  if (values.help) {
    process.stdout.write(`${INGEST_HELP}\n`);
    return 0;
  }
  const named = sourceOverrides(positionals, values);
  const { config } = loadConfig(typeof values.config === 'string' ? values.config : DEFAULT_CONFIG, { ...configOverrides(values), ...named });
  const sources = describeSources(config.sources, Object.keys(named).length > 0);
  if (typeof values.out === 'string') {
    if (typeof values.errors === 'string') throw new UsageError('--errors does not go with --out: the records go to <out>/errors.jsonl', { stage: 'cli' });
    return ingestToDataset(config, values, sources, Boolean(values.json));
  }
  for (const f of ['format', 'shard-files', 'array-index', 'array-size', 'merge'] as const) {
    if (values[f] !== undefined) throw new UsageError(`--${f} needs --out DIR`, { stage: 'cli' });
  }
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
        `${summary.framesPerSecond} frames/s, ${summary.mbPerSecond} MB/s read (${formatBytes(summary.bytesPerFrame)} per frame` +
        `${summary.prefixFrames ? `; ${summary.prefixFrames} frame(s) read in part, ${formatBytes(summary.bytesSkipped)} left unread` : ''}), ${summary.mpxPerSecond} Mpx/s decoded, ` +
        `${summary.errors} error(s)${summary.warnings ? `, ${summary.warnings} warning(s)` : ''}${summary.errorsFile ? ` (see ${errorsPath})` : ''}\n`,
    );
  }
  return summary.errors > 0 ? 1 : 0;
}
