/**
 * toStored's copy and paired-mask paths against the definition, one sample
 * at a time: sign-extend from BitsStored when PixelRepresentation is 1, else
 * keep the low BitsStored bits; odd counts, unaligned sources, every width.
 */
import t from 'tap';
import { toStored } from '../../src/codecs/stored.js';

function reference(src: Uint8Array, srcBytes: 1 | 2, bitsStored: number, signed: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i + srcBytes <= src.length; i += srcBytes) {
    const raw = srcBytes === 1 ? src[i]! : src[i]! | (src[i + 1]! << 8);
    const low = raw & (2 ** bitsStored - 1);
    out.push(signed && low >= 2 ** (bitsStored - 1) ? low - 2 ** bitsStored : low);
  }
  return out;
}

t.test('every width, sign and BitsStored equals the definition, for odd counts and unaligned sources', async (t) => {
  let s = 12345;
  const byte = () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s >>> 24;
  };
  for (const [bitsAllocated, srcBytes] of [[8, 1], [16, 2]] as const) {
    for (const bitsStored of bitsAllocated === 8 ? [1, 7, 8] : [1, 8, 12, 15, 16]) {
      for (const signed of [false, true]) {
        for (const count of [1, 2, 7, 1000, 1001]) {
          for (const offset of [0, 1, 2]) {
            const buf = new Uint8Array(offset + count * srcBytes);
            for (let i = 0; i < buf.length; i++) buf[i] = byte();
            const src = buf.subarray(offset);
            const got = Array.from(toStored(src, srcBytes, { bitsAllocated, bitsStored, pixelRepresentation: signed ? 1 : 0 }));
            const want = reference(src, srcBytes, bitsStored, signed);
            if (JSON.stringify(got) !== JSON.stringify(want)) t.fail(`${bitsAllocated}/${bitsStored} ${signed ? 'signed' : 'unsigned'} n=${count} offset ${offset}`);
          }
        }
        t.pass(`${bitsAllocated}-bit, BitsStored ${bitsStored}, ${signed ? 'signed' : 'unsigned'}`);
      }
    }
  }
});

t.test('the result never shares memory with the codec output it came from', async (t) => {
  const src = new Uint8Array([1, 2, 3, 4]);
  const out = toStored(src, 2, { bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0 });
  src[0] = 99;
  t.equal(out[0], 0x0201, 'a copy');
});
