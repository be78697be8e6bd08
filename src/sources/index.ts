/** Sources: everything that yields `{ id, label?, open() }` items. */
import type { PipelineConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { listFiles, type Listing } from './files.js';
import { listDicomweb } from './dicomweb.js';
import { DEFAULT_HTTP, httpItem, type HttpOptions } from './http.js';
import { readManifest } from './manifest.js';

export type { SourceItem } from './item.js';
export type { Listing } from './files.js';
export { listFiles } from './files.js';
export { readManifest, parseCsv } from './manifest.js';
export { listDicomweb, dicomwebModeOf, chooseMode, type DicomwebItem, type DicomwebMode, type DicomwebModeOption } from './dicomweb.js';
export { fetchBytes, httpItem, DEFAULT_HTTP, type HttpOptions, type HttpStats } from './http.js';

/** HTTP options from the config; the auth header comes from the environment variable it names. */
export function httpOptions(sources: PipelineConfig['sources']): HttpOptions {
  const h = sources.http;
  const o: HttpOptions = { ...DEFAULT_HTTP, connections: h.connections, timeoutMs: h.timeoutMs, retries: h.retries, backoffMs: h.backoffMs };
  if (h.authEnv !== null) {
    const value = process.env[h.authEnv];
    if (!value) throw new ConfigError(`sources.http.authEnv names ${h.authEnv}, which is not set`, { stage: 'config', field: 'sources.http.authEnv' });
    o.headers = { authorization: value };
  }
  return o;
}

/**
 * Every item the config names: the built-in sample (generated on first use,
 * then cached), the manifest's rows, the URLs, the DICOMweb instances, then
 * the listed paths.
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
    const m = await readManifest(sources.manifest, httpOptions(sources));
    out.items.push(...m.items);
    out.problems.push(...m.problems);
  }
  if (sources.urls.length > 0) {
    const o = httpOptions(sources);
    out.items.push(...sources.urls.map((u) => httpItem(u, o)));
  }
  if (sources.dicomweb.url !== null) {
    const d = await listDicomweb(sources.dicomweb.url, sources.dicomweb.studies, httpOptions(sources), undefined, { mode: sources.dicomweb.mode });
    out.items.push(...d.items);
    out.problems.push(...d.problems);
  }
  if (sources.paths.length > 0) {
    const f = await listFiles(sources.paths);
    out.items.push(...f.items);
    out.problems.push(...f.problems);
  }
  return out;
}
