/**
 * Two-frame files whose second frame is damaged while the DICOM structure is
 * intact (offset table and item lengths right): the case where a reused
 * decoder used to hand back the first frame's pixels. One per codec, from the
 * fixtures' own codestreams (HTJ2K from the project's encoder: no
 * independent tool writes it), written with the project's Part-10 writer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codecFor } from '../../src/codecs/index.js';
import { readDicom } from '../../src/dicom/reader.js';
import { TransferSyntax } from '../../src/dicom/transfer-syntax.js';
import { encodeFrame } from '../../src/synth/encode.js';
import { writePart10, type Part10Spec } from '../../src/synth/part10.js';
import { fixtureBytes } from './fixtures.js';

/** Fixtures whose first frame (or two) supply the good frames, one per codec. */
export const DAMAGED_SOURCES = [
  'ct_s16_mf3_j2k_lossless',
  'us_u8_mf4_jls_lossless_emptybot',
  'us_u8_mf4_jpeg_baseline',
  'ct_u12_jpeg_extended',
  'mr_u16_mf4_jpeg_lossless_sv1_frag',
  'mr_u16_mf4_rle_bot',
] as const;

/** Cut the frame to 40% of its bytes: what a broken transfer or a bad disk leaves. */
export function cutShort(b: Uint8Array): Uint8Array {
  return b.slice(0, Math.floor(b.length * 0.4) & ~1);
}

async function fixtureFrames(name: string) {
  const r = readDicom([fixtureBytes(name)]);
  const d = await r.header();
  const frames: Uint8Array[] = [];
  for await (const f of r.frames()) frames.push(f.bytes);
  return { d, frames };
}

export interface DamagedFile {
  path: string;
  codec: string;
}

/** Writes one `<codec>.dcm` per codec into a new folder: frame 0 good, frame 1 the same size and cut short. */
export async function writeDamagedFiles(): Promise<{ dir: string; files: DamagedFile[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-damaged-'));
  const files: DamagedFile[] = [];
  const ids = (n: string) => ({ patientId: 'DAMAGED', studyInstanceUid: '2.25.7001', seriesInstanceUid: '2.25.7002', sopInstanceUid: `2.25.7003.${n.length}${files.length}` });
  for (const name of DAMAGED_SOURCES) {
    const { d, frames } = await fixtureFrames(name);
    const second = frames[1] ?? frames[0]!;
    const spec: Part10Spec = {
      transferSyntax: d.transferSyntax,
      rows: d.rows,
      columns: d.columns,
      samplesPerPixel: d.samplesPerPixel as 1 | 3,
      bitsAllocated: d.bitsAllocated as 8 | 16,
      bitsStored: d.bitsStored,
      pixelRepresentation: d.pixelRepresentation,
      photometric: d.photometricInterpretation,
      ids: ids(name),
    };
    const codec = codecFor(d.transferSyntax)!.name;
    const path = join(dir, `${codec}.dcm`);
    writeFileSync(path, writePart10(spec, [frames[0]!, cutShort(second)]));
    files.push({ path, codec });
  }
  const layout = { width: 64, height: 48, bitsStored: 12, signed: false, samples: 1 } as const;
  const px = (seed: number) => Uint16Array.from({ length: 64 * 48 }, (_, i) => (i * 37 + seed * 1009 + ((i * i) % 97)) & 0xfff);
  const ht = [await encodeFrame(px(1), layout, 'htj2k', { lossless: true }), await encodeFrame(px(2), layout, 'htj2k', { lossless: true })];
  const path = join(dir, 'openjph.dcm');
  writeFileSync(
    path,
    writePart10(
      { transferSyntax: TransferSyntax.HTJ2KLossless, rows: 48, columns: 64, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, photometric: 'MONOCHROME2', ids: ids('ht') },
      [ht[0]!, cutShort(ht[1]!)],
    ),
  );
  files.push({ path, codec: 'openjph' });
  return { dir, files };
}
