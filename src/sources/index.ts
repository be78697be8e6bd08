/** Sources: everything that yields `{ id, label?, open() }` items. */
import type { PipelineConfig } from '../config/schema.js';
import { listFiles, type Listing } from './files.js';
import { readManifest } from './manifest.js';

export type { SourceItem } from './item.js';
export type { Listing } from './files.js';
export { listFiles } from './files.js';
export { readManifest, parseCsv } from './manifest.js';

/** Every item the config names: the manifest's rows, then the listed paths. */
export async function resolveSources(sources: PipelineConfig['sources']): Promise<Listing> {
  const out: Listing = { items: [], problems: [] };
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
