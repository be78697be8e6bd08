/** Sources: everything that yields `{ id, label?, open() }` items. */
import type { PipelineConfig } from '../config/schema.js';
import { listFiles, type Listing } from './files.js';
import { readManifest } from './manifest.js';

export type { SourceItem } from './item.js';
export type { Listing } from './files.js';
export { listFiles } from './files.js';
export { readManifest, parseCsv } from './manifest.js';

/**
 * Every item the config names: the built-in sample (generated on first use,
 * then cached), the manifest's rows, then the listed paths.
 */
export async function resolveSources(
  sources: PipelineConfig['sources'],
  options: { onSampleProgress?(done: number, total: number): void } = {},
): Promise<Listing> {
  const out: Listing = { items: [], problems: [] };
  if (sources.sample) {
    const { ensureSampleTask } = await import('../synth/sample-task.js');
    const sample = await ensureSampleTask(options.onSampleProgress ? { onProgress: options.onSampleProgress } : {});
    const m = await readManifest(sample.manifest);
    out.items.push(...m.items);
    out.problems.push(...m.problems);
  }
  if (sources.manifest !== null) {
    const m = await readManifest(sources.manifest);
    out.items.push(...m.items);
    out.problems.push(...m.problems);
  }
  if (sources.paths.length > 0) {
    const f = await listFiles(sources.paths);
    out.items.push(...f.items);
    out.problems.push(...f.problems);
  }
  return out;
}
