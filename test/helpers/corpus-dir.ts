/** A temporary folder of fixture copies, one of them with a corrupt codestream. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureBytes } from './fixtures.js';

/** Overwrites a J2K codestream after its main header start, as a bad disk or transfer would. */
export function corruptJ2k(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i + 3 < out.length; i++) {
    if (out[i] === 0xff && out[i + 1] === 0x4f && out[i + 2] === 0xff && out[i + 3] === 0x51) {
      out.fill(0x41, i + 60, Math.min(out.length - 8, i + 2000));
      return out;
    }
  }
  throw new Error('no J2K codestream found');
}

/** a.dcm (3 frames), b.dcm (corrupt J2K, 1 frame), c.dcm (4 frames). */
export function dirWithCorruptFile(): { dir: string; corrupt: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-corpus-'));
  writeFileSync(join(dir, 'a.dcm'), fixtureBytes('ct_s16_mf3_j2k_lossless'));
  writeFileSync(join(dir, 'b.dcm'), corruptJ2k(fixtureBytes('ct_u12_j2k_lossless')));
  writeFileSync(join(dir, 'c.dcm'), fixtureBytes('us_u8_mf4_jls_lossless_emptybot'));
  return { dir, corrupt: join(dir, 'b.dcm') };
}
