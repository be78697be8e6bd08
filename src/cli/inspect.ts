/**
 * `dicomflow inspect <paths...> [--json] [--header-only]`: one line per file
 * on stdout, progress on stderr when it is a terminal.
 */
import { loadConfig } from '../config/load.js';
import { UsageError, type DicomflowError } from '../errors.js';
import { listFiles } from '../sources/files.js';
import { configOverrides, parseCommandLine } from './args.js';
import { Progress, formatBytes } from './progress.js';
import { forTerminal, jsonLine } from './terminal.js';
import { scanItem, type ScanResult } from '../dicom/scan.js';

export const INSPECT_HELP = `Usage: dicomflow inspect <paths...> [--json] [--header-only] [--config F]

Streams each file (files, directories read recursively, globs) through the
Part-10 reader and prints one line per file: transfer syntax, size, bits and
kind of pixel data (unsigned, signed, 1-bit packed, float), photometric
interpretation, frames. Frames are counted as they are found, so a truncated
file shows how far it got.

  --json            one JSON object per line (with "pixelData": "float32" or "float64"
                    for Float / Double Float Pixel Data)
                    J2K / HTJ2K files get "prefixReads": {"allowed": true, "progression",
                    "layers", "levels": [{level, width, height, bytes, fraction}]} (how
                    much of the first frame a decode at each level reads with
                    decode.prefixReads) or {"allowed": false, "why"}
  --header-only     stop after the pixel description; frames are not read
  --config F        read limits from a pipeline.config.json
  --chunk-bytes N   read size (parse.chunkBytes)
  --max-frame-bytes N, --max-element-bytes N   safety limits

Exit status: 0 every file read, 1 some file failed, 2 usage or config error.`;

export function resultJson(r: ScanResult, headerOnly: boolean): Record<string, unknown> {
  if (r.error) {
    const out: Record<string, unknown> = { path: r.id, error: { code: r.error.code, message: r.error.message, ...r.error.where } };
    if (!headerOnly) out.framesRead = r.framesRead;
    return out;
  }
  const d = r.description!;
  const out: Record<string, unknown> = {
    path: r.id,
    transferSyntax: d.transferSyntax,
    rows: d.rows,
    columns: d.columns,
    frames: d.frames,
    samplesPerPixel: d.samplesPerPixel,
    bitsAllocated: d.bitsAllocated,
    bitsStored: d.bitsStored,
    pixelRepresentation: d.pixelRepresentation,
    photometricInterpretation: d.photometricInterpretation,
  };
  // Only for float data, so integer files keep the fields scripts already match on;
  // absent means integer Pixel Data (7FE0,0010).
  if (d.pixelData !== 'integer') out.pixelData = d.pixelData;
  if (!headerOnly) out.framesRead = r.framesRead;
  if (r.prefixReads) out.prefixReads = r.prefixReads;
  return out;
}

export function resultLine(r: ScanResult, headerOnly: boolean): string {
  if (r.error) return `FAIL ${r.id}  ${r.error.describe()}${headerOnly ? '' : `  [${r.framesRead} frame(s) read]`}`;
  const d = r.description!;
  const bits = d.bitsStored === d.bitsAllocated ? `${d.bitsAllocated}-bit` : `${d.bitsStored}/${d.bitsAllocated}-bit`;
  const kind = d.pixelData !== 'integer' ? 'float' : d.bitsAllocated === 1 ? 'packed' : d.pixelRepresentation ? 'signed' : 'unsigned';
  const frames = headerOnly ? `${d.frames} frame(s)` : `${r.framesRead}/${d.frames} frame(s)`;
  const p = r.prefixReads;
  const prefix = !p ? '' : p.allowed ? `  prefix reads: ${p.levels.map((l) => `${l.width}x${l.height} ${(100 * l.fraction).toFixed(1)}%`).slice(0, 3).join(', ')}` : '  prefix reads: no';
  return `OK   ${r.id}  ${d.transferSyntaxName}  ${d.columns}x${d.rows}  ${bits} ${kind} ${d.photometricInterpretation}  ${frames}${prefix}`;
}

export function problemJson(e: DicomflowError): Record<string, unknown> {
  return { path: e.where.file ?? null, error: { code: e.code, message: e.message } };
}

export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { json: { type: 'boolean' }, 'header-only': { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${INSPECT_HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('inspect needs at least one path (see dicomflow inspect --help)', { stage: 'cli' });
  const { config } = loadConfig(typeof values.config === 'string' ? values.config : null, configOverrides(values));
  const json = Boolean(values.json);
  const headerOnly = Boolean(values['header-only']);
  const listing = await listFiles(positionals);
  const progress = new Progress();
  const out = (line: string) => {
    progress.clear();
    process.stdout.write(`${json ? line : forTerminal(line)}\n`);
  };
  let failed = listing.problems.length;
  for (const p of listing.problems) out(json ? jsonLine(problemJson(p)) : `FAIL ${p.where.file}  ${p.describe()}`);
  let bytes = 0;
  const started = Date.now();
  for (const [i, item] of listing.items.entries()) {
    progress.update(`inspect [${i + 1}/${listing.items.length}] ${formatBytes(bytes)} ${item.id}`, true);
    const r = await scanItem(item, config.parse, { headerOnly });
    bytes += r.bytesRead;
    if (r.error) failed++;
    out(json ? jsonLine(resultJson(r, headerOnly)) : resultLine(r, headerOnly));
  }
  progress.clear();
  const secs = (Date.now() - started) / 1000;
  if (!json) {
    process.stderr.write(`${listing.items.length + listing.problems.length} file(s), ${failed} failed, ${formatBytes(bytes)} read in ${secs.toFixed(2)} s\n`);
  }
  return failed > 0 ? 1 : 0;
}
