/**
 * Test helpers for src/synth: decoding a codestream with the decoder of the
 * same codec package (straight through Embind, not through src/codecs, so a
 * round trip checks the encoder and nothing else), running the GDCM/DCMTK
 * tools, and image statistics.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCodecModule } from '../../src/codecs/wasm.js';
import { CHARLS_SPEC, OPENJPEG_SPEC, OPENJPH_SPEC } from '../../src/synth/codec-modules.js';
import type { Codec } from '../../src/synth/encode.js';

interface Decoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  decodeSubResolution?(level: number, layer: number): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  getNumDecompositions?(): number;
  getProgressionOrder?(): number;
  getIsReversible?(): boolean;
  getNearLossless?(): number;
  delete(): void;
}

export interface Decoded {
  /** The decoded samples' bytes (little endian, 2 per sample above 8 bits). */
  bytes: Uint8Array;
  info: ReturnType<Decoder['getFrameInfo']>;
  decompositions: number | null;
  reversible: boolean | null;
  nearLossless: number | null;
}

const SPECS = {
  j2k: { spec: OPENJPEG_SPEC, cls: 'J2KDecoder' },
  htj2k: { spec: OPENJPH_SPEC, cls: 'HTJ2KDecoder' },
  jpegls: { spec: CHARLS_SPEC, cls: 'JpegLSDecoder' },
} as const;

/** Decodes with the codec package's own decoder; `level` > 0 decodes a lower resolution (j2k, htj2k). */
export async function decodeWith(codec: Codec, codestream: Uint8Array, level = 0): Promise<Decoded> {
  const { spec, cls } = SPECS[codec];
  const m = await loadCodecModule<Record<string, new () => Decoder>>(spec);
  const d = new m[cls]!();
  try {
    d.getEncodedBuffer(codestream.length).set(codestream);
    if (level > 0) d.decodeSubResolution!(level, 0);
    else d.decode();
    return {
      bytes: d.getDecodedBuffer().slice(),
      info: { ...d.getFrameInfo() },
      decompositions: d.getNumDecompositions?.() ?? null,
      reversible: d.getIsReversible?.() ?? null,
      nearLossless: d.getNearLossless?.() ?? null,
    };
  } finally {
    d.delete();
  }
}

export function asInt16(bytes: Uint8Array): Int16Array {
  return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
}
export function asUint16(bytes: Uint8Array): Uint16Array {
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
}
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Peak signal-to-noise ratio in dB, with the original's value range as the peak. */
export function psnr(original: ArrayLike<number>, decoded: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  let se = 0;
  for (let i = 0; i < original.length; i++) {
    lo = Math.min(lo, original[i]!);
    hi = Math.max(hi, original[i]!);
    se += (original[i]! - decoded[i]!) ** 2;
  }
  return 20 * Math.log10((hi - lo) / Math.sqrt(se / original.length));
}

/** Mean and standard deviation of a rectangle [x0, x1) x [y0, y1) of a width-wide image. */
export function stats(px: ArrayLike<number>, width: number, x0: number, y0: number, x1: number, y1: number): { mean: number; sd: number; min: number; max: number } {
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const v = px[y * width + x]!;
      n++;
      sum += v;
      sum2 += v * v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  const mean = sum / n;
  return { mean, sd: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), min, max };
}

/** Runs a command; returns stdout (throws with stderr on a non-zero exit). */
export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh temporary folder, removed when the test ends. */
export function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-synth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
