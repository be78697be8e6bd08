/**
 * No stale output: a damaged frame decoded right after a good one of the same
 * size never comes back as the good one's pixels, for every codec, in one
 * decoder and in the pool. (The CLI's `decode` is tested in test/cli/decode-damaged.test.ts.)
 */
import t from 'tap';
import { codecFor } from '../../src/codecs/index.js';
import type { PartialPolicy } from '../../src/codecs/errors.js';
import { DecodePool } from '../../src/decode/pool.js';
import type { DecodeTask } from '../../src/decode/task.js';
import type { PixelDescription } from '../../src/dicom/description.js';
import { readDicom } from '../../src/dicom/reader.js';
import { TransferSyntax } from '../../src/dicom/transfer-syntax.js';
import { DicomflowError } from '../../src/errors.js';
import type { DecodedFrame, PreprocessSpec } from '../../src/preprocess/types.js';
import { encodeFrame } from '../../src/synth/encode.js';
import { fixtureBytes } from '../helpers/fixtures.js';
import { description } from '../preprocess/fixtures/build.js';

interface Case {
  codec: string;
  d: PixelDescription;
  /** Two different good frames of the same size. */
  good: [Uint8Array, Uint8Array];
}

async function fixtureCase(name: string): Promise<Case> {
  const r = readDicom([fixtureBytes(name)]);
  const d = await r.header();
  const frames: Uint8Array[] = [];
  for await (const f of r.frames()) frames.push(f.bytes);
  // Single-frame fixtures: the second good frame is the first with its last pixel rows
  // re-encoded is not possible here, so the damaged frame derives from the same frame.
  return { codec: codecFor(d.transferSyntax)!.name, d, good: [frames[0]!, frames[1] ?? frames[0]!] };
}

/** HTJ2K has no fixture from an independent tool (none writes it): two frames encoded with OpenJPH. */
async function htj2kCase(): Promise<Case> {
  const layout = { width: 64, height: 48, bitsStored: 12, signed: false, samples: 1 } as const;
  const frame = (seed: number) => Uint16Array.from({ length: 64 * 48 }, (_, i) => (i * 37 + seed * 1009 + ((i * i) % 97)) & 0xfff);
  const good: [Uint8Array, Uint8Array] = [await encodeFrame(frame(1), layout, 'htj2k', { lossless: true }), await encodeFrame(frame(2), layout, 'htj2k', { lossless: true })];
  const d = description({ transferSyntax: TransferSyntax.HTJ2KLossless, transferSyntaxName: 'HTJ2K Lossless', encapsulated: true, rows: 48, columns: 64, frames: 2, frameBytes: 64 * 48 * 2 });
  return { codec: 'openjph', d, good };
}

/** Ways a frame is damaged in real collections; every one keeps the codestream's main header. */
const DAMAGE: Record<string, (b: Uint8Array) => Uint8Array> = {
  'cut at 30%': (b) => b.slice(0, Math.floor(b.length * 0.3)),
  'cut at 50%': (b) => b.slice(0, Math.floor(b.length * 0.5)),
  'cut at 70%': (b) => b.slice(0, Math.floor(b.length * 0.7)),
  'cut 2 bytes short': (b) => b.slice(0, b.length - 2),
  // Cut mid-scan with the end-of-image marker put back: the structure looks complete, the data is not.
  'cut at 50%, end marker kept': (b) => {
    const o = b.slice(0, Math.floor(b.length * 0.5) + 2);
    o[o.length - 2] = 0xff;
    o[o.length - 1] = 0xd9;
    return o;
  },
  'middle overwritten': (b) => {
    const o = b.slice();
    o.fill(0x41, Math.floor(o.length * 0.4), Math.floor(o.length * 0.6));
    return o;
  },
};

function same(a: DecodedFrame, b: DecodedFrame): boolean {
  if (a.pixels.length !== b.pixels.length) return false;
  for (let i = 0; i < a.pixels.length; i++) if (a.pixels[i] !== b.pixels[i]) return false;
  return true;
}

const cases = async (): Promise<Case[]> => [
  await fixtureCase('ct_s16_mf3_j2k_lossless'),
  await htj2kCase(),
  await fixtureCase('us_u8_mf4_jls_lossless_emptybot'),
  await fixtureCase('us_u8_mf4_jpeg_baseline'),
  await fixtureCase('ct_u12_jpeg_extended'),
  await fixtureCase('mr_u16_mf4_jpeg_lossless_sv1_frag'),
  await fixtureCase('mr_u16_mf4_rle_bot'),
];

t.test('in one decoder: a damaged frame after a good one is DF_ERR_DECODE, or with decode.partial "allow" a warned frame that is not the good one', async (t) => {
  for (const c of await cases()) {
    const codec = codecFor(c.d.transferSyntax)!;
    for (const [how, damage] of Object.entries(DAMAGE)) {
      for (const policy of ['error', 'allow'] as PartialPolicy[]) {
        const good = await codec.decode(c.good[0], c.d, { partial: policy });
        t.notOk(good.warnings, `${c.codec}: the good frame decodes without warnings`);
        const bad = damage(c.good[1]);
        let got: DecodedFrame | null = null;
        let err: unknown = null;
        try {
          got = await codec.decode(bad, c.d, { partial: policy });
        } catch (e) {
          err = e;
        }
        if (err !== null) {
          t.ok(err instanceof DicomflowError && err.code === 'DF_ERR_DECODE', `${c.codec}, ${how}, ${policy}: DF_ERR_DECODE (${(err as Error).message.slice(0, 90)})`);
          continue;
        }
        t.notOk(same(got!, good), `${c.codec}, ${how}, ${policy}: the damaged frame is not the previous frame's pixels`);
        if (how.startsWith('cut')) {
          t.equal(policy, 'allow', `${c.codec}, ${how}: a cut-short frame is returned only when partial decodes are allowed`);
          t.ok(got!.warnings?.some((w) => w.code === 'DF_WARN_PARTIAL_DECODE'), `${c.codec}, ${how}: and it carries DF_WARN_PARTIAL_DECODE`);
        }
      }
    }
  }
});

t.test('in the pool, with decoders reused across frames: the same guarantee, and the error names file, frame and stage', async (t) => {
  const pool = new DecodePool({ workers: 1 });
  t.teardown(() => pool.close());
  const spec: PreprocessSpec = { target: null, resize: 'stretch', padValue: 0, channels: 1, modalityLut: false, voi: { mode: 'none' }, invertMonochrome1: false, output: 'float32' };
  for (const c of await cases()) {
    const task = (bytes: Uint8Array, frameIndex: number): DecodeTask => ({ bytes: bytes.slice(), description: c.d, spec, frameIndex, file: `${c.codec}.dcm`, subResolution: false });
    for (const [how, damage] of Object.entries(DAMAGE)) {
      const good = await pool.submit(task(c.good[0], 0));
      const bad = await pool.submit(task(damage(c.good[1]), 1));
      t.ok(good.ok, `${c.codec}: good frame`);
      if (bad.ok) {
        t.notOk(how.startsWith('cut'), `${c.codec}, ${how}: a cut-short frame is never delivered by default`);
        t.ok(good.ok && Array.from(bad.data).join() !== Array.from(good.data).join(), `${c.codec}, ${how}: not the previous frame's sample`);
      } else {
        t.equal(bad.error.code, 'DF_ERR_DECODE', `${c.codec}, ${how}: DF_ERR_DECODE`);
        t.match(bad.error.where, { file: `${c.codec}.dcm`, frame: 1, stage: 'decode' });
      }
    }
  }
});
