/**
 * `dicomflow decode <file> --out <dir> [--frame N] [--stored | --modality]`:
 * one .npy per frame, named `<file name>.f<index>.npy`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { PixelDescription } from '../dicom/description.js';
import { openDecodedFile } from '../decode/decode-file.js';
import { UsageError } from '../errors.js';
import { toRgb } from '../preprocess/color.js';
import { grayToFloat, rescaleFor } from '../preprocess/modality.js';
import type { DecodedFrame } from '../preprocess/types.js';
import { configOverrides, parseCommandLine } from './args.js';
import { npyBytes, type NpyArray } from './npy.js';
import { forTerminal, recordLine } from './terminal.js';

export const DECODE_HELP = `Usage: dicomflow decode <file> --out <dir> [--frame N] [--stored | --modality]

Decodes a file's frames and writes one NumPy .npy per frame, named
<file name>.f<index>.npy, shape [rows, columns] or [rows, columns, 3].

  --stored     stored values in their own dtype (uint8/int8/uint16/int16/uint32/int32,
               float32 for float pixel data); the default
  --modality   float32 after the modality LUT (RescaleSlope/Intercept, e.g. CT in HU)
  --frame N    only frame N (zero-based)

Colour is converted to RGB (YBR_FULL, YBR_FULL_422, planar). A frame that cannot be
decoded is reported on stderr (error: <file> frame N: DF_ERR_...) and the other frames are
still written; a frame decoded only in part is refused unless decode.partial is "allow"
(--partial allow), and then written with a warning. 1-bit pixels (BitsAllocated 1,
e.g. Segmentation masks) are written as uint8 0/1. Float Pixel Data is written as float32
('<f4'); Double Float Pixel Data is converted to float32 too (values round to the nearest
float32; beyond +-3.4e38 they become +-inf, with a warning). With --modality float data goes
through RescaleSlope/Intercept only when the file defines them. Frames are decoded on the
main thread, one at a time (decode.timeoutMs applies to the worker pool of ingest and train).

  --partial error|allow   decode.partial for this run

Exit status: 0 every frame written, 1 some frame or the file could not be decoded, 2 usage error.`;

/**
 * The frame as an array to save, and its shape. The stored dtype is the decoded
 * array's own: Uint8Array of 0/1 for 1-bit masks, Float32Array for float pixel data.
 */
export function frameArray(f: DecodedFrame, d: PixelDescription, index: number, modality: boolean): { data: NpyArray; shape: number[] } {
  if (f.samplesPerPixel === 3 && !modality && f.photometricInterpretation === 'RGB') {
    // Reordered, never through float32: 32-bit samples would lose their low bits.
    const Ctor = f.pixels.constructor as new (n: number) => NpyArray;
    const n = f.width * f.height;
    const out = new Ctor(n * 3);
    if (f.planarConfiguration === 0) out.set(f.pixels as ArrayLike<number>);
    else for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = f.pixels[c * n + i]!;
    return { data: out, shape: [f.height, f.width, 3] };
  }
  if (f.samplesPerPixel === 3) {
    const rgb = toRgb(f, d.bitsStored, index);
    const shape = [rgb.height, rgb.width, 3];
    if (modality) return { data: rgb.data, shape };
    // Stored dtype: RGB values are integers already for RGB input, rounded for converted YBR.
    const Ctor = f.pixels.constructor as new (n: number) => NpyArray;
    const out = new Ctor(rgb.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.round(rgb.data[i]!);
    return { data: out, shape };
  }
  if (modality) return { data: grayToFloat(f, rescaleFor(d, index), index).data, shape: [f.height, f.width] };
  return { data: f.pixels, shape: [f.height, f.width] };
}

export async function decodeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    out: { type: 'string', short: 'o' },
    frame: { type: 'string' },
    stored: { type: 'boolean' },
    modality: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${DECODE_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('decode needs exactly one file (see dicomflow decode --help)', { stage: 'cli' });
  if (typeof values.out !== 'string') throw new UsageError('decode needs --out <dir>', { stage: 'cli' });
  if (values.stored && values.modality) throw new UsageError('--stored and --modality exclude each other', { stage: 'cli' });
  let only: number | null = null;
  if (typeof values.frame === 'string') {
    only = Number(values.frame);
    if (!Number.isInteger(only) || only < 0) throw new UsageError(`--frame must be a frame index >= 0 (got ${values.frame})`, { stage: 'cli' });
  }
  const { config } = loadConfig(typeof values.config === 'string' ? values.config : null, configOverrides(values));
  const file = positionals[0]!;
  const opened = await openDecodedFile(file, { parse: config.parse, partial: config.decode.partial, only, wasmDir: config.decode.wasmDir });
  const d = opened.description;
  if (only !== null && only >= d.frames) {
    await opened.close();
    throw new UsageError(`--frame ${only} is past the last frame (${d.frames - 1})`, { stage: 'cli' });
  }
  mkdirSync(values.out, { recursive: true });
  let written = 0;
  let failed = 0;
  const report = (r: Parameters<typeof recordLine>[0]) => process.stderr.write(`${recordLine(r)}\n`);
  try {
    for await (const f of opened.frames()) {
      // One bad frame is reported and the others still come out, as in ingest.
      if ('error' in f) {
        report({ severity: 'error', file, frame: f.index, code: f.error.code, message: f.error.message });
        failed++;
        continue;
      }
      for (const w of f.frame.warnings ?? []) report({ severity: 'warning', file, frame: f.index, code: w.code, message: w.message });
      const { data, shape } = frameArray(f.frame, d, f.index, Boolean(values.modality));
      const path = join(values.out, `${basename(file)}.f${f.index}.npy`);
      writeFileSync(path, npyBytes(data, shape));
      process.stdout.write(`${forTerminal(path)}\n`);
      written++;
    }
  } finally {
    await opened.close();
  }
  return written > 0 && failed === 0 ? 0 : 1;
}
