/** Decoding fixtures with the codec registry, and the reference pixels in comparable form. */
import { readDicom } from '../../src/dicom/reader.js';
import type { PixelDescription } from '../../src/dicom/description.js';
import { codecFor } from '../../src/codecs/index.js';
import { toStored } from '../../src/codecs/stored.js';
import type { DecodedFrame } from '../../src/preprocess/types.js';
import { fixtureBytes, referenceBytes, sidecar } from './fixtures.js';

/** A Part-10 file's pixel description and its frames' encoded bytes, as the reader gives them. */
export async function encodedFrames(bytes: Uint8Array): Promise<{ d: PixelDescription; frames: Uint8Array[] }> {
  const r = readDicom([bytes]);
  const d = await r.header();
  const frames: Uint8Array[] = [];
  for await (const f of r.frames()) frames.push(f.bytes);
  return { d, frames };
}

export async function decodeFixture(name: string): Promise<{ d: PixelDescription; frames: DecodedFrame[] }> {
  const r = readDicom([fixtureBytes(name)]);
  const d = await r.header();
  const codec = codecFor(d.transferSyntax)!;
  const frames: DecodedFrame[] = [];
  for await (const f of r.frames()) frames.push(await codec.decode(f.bytes, d));
  return { d, frames };
}

/**
 * Reference frame i as interleaved numbers in the photometric interpretation
 * asked for. The YBR_FULL -> RGB conversion is written out here on purpose
 * (PS3.3 C.7.6.3.1.2), independent of src/preprocess.
 */
export function referenceFrame(name: string, d: PixelDescription, i: number, photometric: string): number[] {
  const s = sidecar(name);
  const frameBytes = d.rows * d.columns * d.samplesPerPixel * (d.bitsAllocated / 8);
  const raw = referenceBytes(name).slice(i * frameBytes, (i + 1) * frameBytes);
  let v = Array.from(toStored(raw, (d.bitsAllocated / 8) as 1 | 2, d));
  if (d.samplesPerPixel === 3 && s.referencePlanarConfiguration === 1) {
    const n = d.rows * d.columns;
    v = Array.from({ length: 3 * n }, (_, k) => v[(k % 3) * n + Math.floor(k / 3)]!);
  }
  if (s.referencePhotometric.startsWith('YBR_FULL') && photometric === 'RGB') {
    const out: number[] = [];
    for (let k = 0; k < v.length; k += 3) {
      const [y, cb, cr] = [v[k]!, v[k + 1]! - 128, v[k + 2]! - 128];
      out.push(y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb);
    }
    v = out.map((x) => Math.min(255, Math.max(0, Math.round(x))));
  }
  return v;
}

/** Decoded frame as interleaved numbers. */
export function interleaved(f: DecodedFrame): number[] {
  const v = Array.from(f.pixels);
  if (f.samplesPerPixel === 1 || f.planarConfiguration === 0) return v;
  const n = f.width * f.height;
  return Array.from({ length: 3 * n }, (_, k) => v[(k % 3) * n + Math.floor(k / 3)]!);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
