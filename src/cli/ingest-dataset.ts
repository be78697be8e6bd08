/**
 * `dicomflow ingest [sources] --out DIR`: the dataset half of ingest (shards,
 * array workers, merge). The work is src/dataset/writer.ts; this reads the
 * flags and the job engines' environment variables and prints the summary.
 */
import type { PipelineConfig } from '../config/schema.js';
import { writeDataset, type DatasetFormat } from '../dataset/writer.js';
import { UsageError } from '../errors.js';
import type { ErrorRecord } from '../pipeline/index.js';
import { Progress } from './progress.js';
import { forTerminal, recordLine } from './terminal.js';

export const DATASET_FLAGS = {
  out: { type: 'string' },
  format: { type: 'string' },
  'shard-files': { type: 'string' },
  'array-index': { type: 'string' },
  'array-size': { type: 'string' },
  merge: { type: 'boolean' },
} as const;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`${name} must be a whole number (got ${JSON.stringify(v)})`, { stage: 'cli' });
  return Number(v);
}

/**
 * This worker's place in an array job: the flags, else Kubernetes Indexed Jobs
 * (JOB_COMPLETION_INDEX), Slurm job arrays (SLURM_ARRAY_TASK_ID, _MIN, _COUNT)
 * or AWS Batch array jobs (AWS_BATCH_JOB_ARRAY_INDEX). Kubernetes and AWS Batch
 * do not give the array's size to the task: --array-size or DICOMFLOW_ARRAY_SIZE.
 */
export function arrayPlace(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): { index: number; size: number; from: string } {
  const flagSize = int('--array-size', values['array-size'] as string | undefined) ?? int('DICOMFLOW_ARRAY_SIZE', env.DICOMFLOW_ARRAY_SIZE);
  const flagIndex = int('--array-index', values['array-index'] as string | undefined);
  const need = (from: string, index: number, size: number | undefined) => {
    if (size === undefined) throw new UsageError(`${from} gives this worker's index (${index}) but not the array's size: pass --array-size N or set DICOMFLOW_ARRAY_SIZE`, { stage: 'cli' });
    return { index, size, from };
  };
  if (flagIndex !== undefined) return need('--array-index', flagIndex, flagSize);
  if (env.JOB_COMPLETION_INDEX !== undefined) return need('JOB_COMPLETION_INDEX', int('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX)!, flagSize);
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = int('SLURM_ARRAY_TASK_ID', env.SLURM_ARRAY_TASK_ID)!;
    const min = int('SLURM_ARRAY_TASK_MIN', env.SLURM_ARRAY_TASK_MIN) ?? 0;
    const count = int('SLURM_ARRAY_TASK_COUNT', env.SLURM_ARRAY_TASK_COUNT) ?? flagSize;
    return need('SLURM_ARRAY_TASK_ID', id - min, count);
  }
  if (env.AWS_BATCH_JOB_ARRAY_INDEX !== undefined) return need('AWS_BATCH_JOB_ARRAY_INDEX', int('AWS_BATCH_JOB_ARRAY_INDEX', env.AWS_BATCH_JOB_ARRAY_INDEX)!, flagSize);
  if (flagSize !== undefined && flagSize !== 1) throw new UsageError(`--array-size ${flagSize} needs this worker's index: --array-index I (or an array job's environment)`, { stage: 'cli' });
  return { index: 0, size: 1, from: 'a single process' };
}

export async function ingestToDataset(config: PipelineConfig, values: Record<string, unknown>, sources: string, json: boolean): Promise<number> {
  const out = values.out as string;
  if (out === '') throw new UsageError('--out needs a folder', { stage: 'cli' });
  const format = (values.format ?? 'webdataset') as string;
  if (format !== 'webdataset' && format !== 'tfrecord') throw new UsageError(`--format must be webdataset or tfrecord (got ${JSON.stringify(format)})`, { stage: 'cli' });
  const shardFiles = int('--shard-files', values['shard-files'] as string | undefined) ?? 256;
  const place = arrayPlace(values);
  const progress = new Progress();
  const onRecord = (r: ErrorRecord) => {
    if (json) return;
    progress.clear();
    process.stderr.write(`${recordLine(r)}\n`);
  };
  const t0 = performance.now();
  const s = await writeDataset(config, {
    out,
    format: format as DatasetFormat,
    shardFiles,
    arrayIndex: place.index,
    arraySize: place.size,
    merge: Boolean(values.merge),
    onError: onRecord,
    onWarning: onRecord,
    onShard: (x) => progress.update(`ingest: ${x.name} ${x.skipped ? 'already done' : `written, ${x.samples} samples`} (${x.done}/${x.of})`, true),
  });
  progress.clear();
  const seconds = Number(((performance.now() - t0) / 1000).toFixed(3));
  const summary = { ...s, worker: `${place.index} of ${place.size} (${place.from})`, sources, seconds };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      forTerminal(
        `ingest: ${s.format} in ${out}: ${s.written} shard(s) written, ${s.skipped} already done, of ${s.shards} planned; ` +
          `worker ${summary.worker}; ${s.indexed ? `dataset.json: ${s.samples} samples, ${s.errors} error(s) (see ${out}/errors.jsonl)` : 'dataset.json not yet (run --merge when every worker is done)'}; ` +
          `sources: ${sources}; ${seconds} s`,
      ) + '\n',
    );
  }
  return s.errors > 0 ? 1 : 0;
}
