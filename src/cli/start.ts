/**
 * `dicomflow start` (what `npm start` runs): the main job on the sources in
 * pipeline.config.json, by default the built-in sample data. Until decoding
 * and training exist it streams every file and frame and prints a summary.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { resolveSources } from '../sources/index.js';
import { configOverrides, parseCommandLine } from './args.js';
import { Progress, formatBytes } from './progress.js';
import { scanItem } from './scan.js';
import { resultLine } from './inspect.js';

export const DEFAULT_CONFIG = fileURLToPath(new URL('../../pipeline.config.json', import.meta.url));

export const START_HELP = `Usage: dicomflow start [--config F] [--json]

Runs the main job on the sources of pipeline.config.json (default: the
package's own, whose sources are the built-in sample data): every file is
streamed through the reader, every frame delivered, and a summary printed.`;

/** Paths under the working directory are shown relative to it. */
function shortPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel.startsWith('..') ? p : rel;
}

export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${START_HELP}\n`);
    return 0;
  }
  const { config, file } = loadConfig(typeof values.config === 'string' ? values.config : DEFAULT_CONFIG, configOverrides(values));
  const listing = await resolveSources(config.sources);
  const progress = new Progress();
  const json = Boolean(values.json);
  const log = (line: string) => {
    progress.clear();
    if (!json) process.stdout.write(`${line}\n`);
  };
  log(`dicomflow: ${listing.items.length} file(s) from ${file}`);
  const errors: Record<string, number> = {};
  for (const p of listing.problems) {
    errors[p.code] = (errors[p.code] ?? 0) + 1;
    log(`FAIL ${p.where.file}  ${p.describe()}`);
  }
  let frames = 0;
  let bytes = 0;
  let frameBytes = 0;
  let ok = 0;
  const t0 = process.hrtime.bigint();
  for (const [i, item] of listing.items.entries()) {
    const r = await scanItem(item, config.parse, {
      onFrame: () => progress.update(`[${i + 1}/${listing.items.length}] ${frames} frames ${formatBytes(bytes)}`),
    });
    frames += r.framesRead;
    bytes += r.bytesRead;
    frameBytes += r.frameBytes;
    if (r.error) errors[r.error.code] = (errors[r.error.code] ?? 0) + 1;
    else ok++;
    log(resultLine({ ...r, id: shortPath(r.id) }, false));
  }
  progress.clear();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  const summary = {
    files: listing.items.length + listing.problems.length,
    filesRead: ok,
    failed,
    frames,
    bytesRead: bytes,
    encodedFrameBytes: frameBytes,
    seconds: Number(secs.toFixed(3)),
    mbPerSecond: Number((bytes / 1e6 / Math.max(secs, 1e-9)).toFixed(1)),
    framesPerSecond: Number((frames / Math.max(secs, 1e-9)).toFixed(1)),
    errors,
  };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const errs = Object.entries(errors).map(([c, n]) => `${c} x${n}`).join(', ');
    process.stdout.write(
      `\n${summary.filesRead}/${summary.files} files read, ${frames} frames, ${formatBytes(bytes)} in ${secs.toFixed(2)} s ` +
        `(${summary.mbPerSecond} MB/s, ${summary.framesPerSecond} frames/s)${failed ? `; errors: ${errs}` : ''}\n` +
        'Decoding and training are not built yet: this run parses and delivers encoded frames only.\n',
    );
  }
  return failed > 0 ? 1 : 0;
}
