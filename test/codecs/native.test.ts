import t from 'tap';
import { cat, el, item, meta, readAll, text, us } from '../helpers/dicom.js';
import { native, unpackBits } from '../../src/codecs/native.js';
import { toStored } from '../../src/codecs/stored.js';
import type { PixelDescription } from '../../src/dicom/description.js';
import { preprocess } from '../../src/preprocess/pipeline.js';
import { rescaleFor } from '../../src/preprocess/modality.js';
import type { DecodedFrame, PreprocessSpec } from '../../src/preprocess/types.js';
import { TS, bits1File, floatFile, packBits, pixelModule } from '../dicom/build-classes.js';
import { preprocessSpecOf } from '../preprocess/fixtures/build.js';

async function decodeAll(bytes: Uint8Array, chunk = 65536): Promise<{ d: PixelDescription; frames: DecodedFrame[] }> {
  const r = await readAll(bytes, chunk);
  if (r.error) throw r.error;
  const d = r.description!;
  return { d, frames: await Promise.all(r.frames.map((f) => native.decode(f.bytes, d))) };
}

const spec = (over: Partial<PreprocessSpec> = {}): PreprocessSpec => preprocessSpecOf({ voi: { mode: 'none' }, ...over });

t.test('unpackBits: least significant bit first', async (t) => {
  t.same([...unpackBits(Uint8Array.of(0b0000_0101), 3)], [1, 0, 1]);
  t.same([...unpackBits(Uint8Array.of(0x80, 0x01), 9)], [0, 0, 0, 0, 0, 0, 0, 1, 1]);
});

t.test('1-bit frames decode to uint8 0/1 masks, frames starting mid-byte included', async (t) => {
  for (const encoding of ['le', 'be-ow', 'be-ob', 'implicit'] as const) {
    for (const chunk of [1, 7, 65536]) {
      const { bytes, values } = bits1File({ rows: 11, columns: 13, frames: 3, encoding });
      const { frames } = await decodeAll(bytes, chunk);
      t.equal(frames.length, 3);
      for (const [i, f] of frames.entries()) {
        t.ok(f.pixels instanceof Uint8Array, 'Uint8Array');
        t.match(f, { width: 13, height: 11, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2' });
        t.same([...f.pixels], [...values.subarray(i * 143, (i + 1) * 143)], `${encoding}, ${chunk}-byte chunks, frame ${i}`);
      }
    }
  }
});

t.test('a short 1-bit frame is a DecodeError', async (t) => {
  const { d } = await decodeAll(bits1File({ rows: 11, columns: 13, frames: 1 }).bytes);
  await t.rejects(native.decode(new Uint8Array(17), d), { code: 'DF_ERR_DECODE', message: /17 bytes, 18 expected/ });
});

t.test('a Segmentation: frames come out as masks, MONOCHROME2, no rescale', async (t) => {
  // BINARY SEG: functional groups the reader walks (shared and per-frame), then packed frames.
  const rows = 9;
  const columns = 15;
  const values = Uint8Array.from({ length: rows * columns * 3 }, (_, i) => ((i * 7) % 5 === 0 ? 1 : 0));
  const segId = (n: number) => el(0x0062000a, 'SQ', item(us(0x0062000b, n)));
  const perFrame = el(0x52009230, 'SQ', cat(item(segId(1)), item(segId(1)), item(segId(2))));
  const shared = el(0x52009229, 'SQ', item(el(0x00289110, 'SQ', item(text(0x00280030, 'DS', '1\\1')))));
  const bytes = cat(
    meta(TS.explicitLE),
    text(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.66.4'),
    text(0x00080060, 'CS', 'SEG'),
    pixelModule({ rows, columns, frames: 3, bitsAllocated: 1 }),
    text(0x00620001, 'CS', 'BINARY'),
    shared,
    perFrame,
    el(0x7fe00010, 'OB', packBits(values)),
  );
  const { d, frames } = await decodeAll(bytes, 7);
  t.match(d, { rescaleSlope: null, rescaleIntercept: null, frameRescale: null, photometricInterpretation: 'MONOCHROME2' });
  t.same(rescaleFor(d, 2), { slope: 1, intercept: 0 });
  t.same(frames.map((f) => [...f.pixels]), [0, 1, 2].map((i) => [...values.subarray(i * 135, (i + 1) * 135)]));
  const sample = preprocess(frames[1]!, d, spec({ output: 'uint8', voi: { mode: 'minmax' } }), 1);
  t.same([...sample.data], [...values.subarray(135, 270)].map((v) => v * 255), 'a mask through minmax to uint8 is 0/255');
});

const FLOATS = [0, -0, 1 / 3, -2.5, 1e-40, 3.4e38, -Infinity, NaN, 1e-45, 123456.789, -1e-30, 65504];

t.test('Float Pixel Data decodes to the file\'s float32 values, little and big endian', async (t) => {
  for (const bigEndian of [false, true]) {
    const { d, frames } = await decodeAll(floatFile({ rows: 3, columns: 4, frames: 1, kind: 'float32', values: FLOATS, bigEndian }), 5);
    const px = frames[0]!.pixels;
    t.ok(px instanceof Float32Array, 'Float32Array');
    t.equal(d.pixelData, 'float32');
    // Object.is tells -0 from 0 and matches NaN: no masking, no sign extension.
    t.same([...px].map((v, i) => Object.is(v, Math.fround(FLOATS[i]!))), FLOATS.map(() => true), bigEndian ? 'big endian' : 'little endian');
  }
});

t.test('Double Float Pixel Data decodes to float32 (narrowed)', async (t) => {
  const values = [...FLOATS, 1e300, -1e300, 2 ** -1074, Math.PI];
  for (const bigEndian of [false, true]) {
    const { frames } = await decodeAll(floatFile({ rows: 4, columns: 4, frames: 1, kind: 'float64', values, bigEndian }));
    const px = frames[0]!.pixels;
    t.ok(px instanceof Float32Array, 'Float32Array, not Float64Array');
    t.same([...px].map((v, i) => Object.is(v, Math.fround(values[i]!))), values.map(() => true), bigEndian ? 'big endian' : 'little endian');
    t.equal(px[12], Infinity, '1e300 is beyond float32: +Infinity');
    t.equal(px[15], Math.fround(Math.PI));
  }
});

t.test('float frames at an unaligned offset decode the same', async (t) => {
  const { d, frames } = await decodeAll(floatFile({ rows: 1, columns: 3, frames: 1, kind: 'float32', values: [1.5, -2, 7] }));
  const raw = new Float32Array(frames[0]!.pixels);
  const shifted = cat(Uint8Array.of(0), new Uint8Array(raw.buffer)).subarray(1);
  t.same([...(await native.decode(shifted, d)).pixels], [1.5, -2, 7]);
  const d64 = (await decodeAll(floatFile({ rows: 1, columns: 2, frames: 1, kind: 'float64', values: [0.1, -3] }))).d;
  const b64 = new Uint8Array(new Float64Array([0.1, -3]).buffer);
  t.same([...(await native.decode(cat(Uint8Array.of(9, 9, 9), b64).subarray(3), d64)).pixels], [Math.fround(0.1), -3]);
});

t.test('float: the modality LUT applies only when the file defines RescaleSlope/Intercept', async (t) => {
  const values = [-1.5, 0, 2.25, 1000.5];
  let { d, frames } = await decodeAll(floatFile({ rows: 2, columns: 2, frames: 1, kind: 'float32', values }));
  t.same(rescaleFor(d, 0), { slope: 1, intercept: 0 }, 'no rescale attributes: identity');
  t.same([...preprocess(frames[0]!, d, spec(), 0).data], values, 'values pass through unchanged');
  ({ d, frames } = await decodeAll(floatFile({ rows: 2, columns: 2, frames: 1, kind: 'float64', values, rescale: { slope: 2, intercept: -1 } })));
  t.same(rescaleFor(d, 0), { slope: 2, intercept: -1 });
  t.same([...preprocess(frames[0]!, d, spec(), 0).data], values.map((v) => v * 2 - 1), 'slope 2, intercept -1');
  t.same([...preprocess(frames[0]!, d, spec({ modalityLut: false }), 0).data], values, 'modalityLut false keeps the file values');
});

t.test('float MONOCHROME1: inverted after a VOI; without one the stored range is refused', async (t) => {
  const { d, frames } = await decodeAll(floatFile({ rows: 1, columns: 3, frames: 1, kind: 'float32', values: [0, 5, 10], photometric: 'MONOCHROME1' }));
  t.same([...preprocess(frames[0]!, d, spec({ voi: { mode: 'minmax' } }), 0).data], [1, 0.5, 0]);
  t.throws(() => preprocess(frames[0]!, d, spec(), 0), { code: 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT', message: /float32 pixel data has no stored range/ });
  t.same([...preprocess(frames[0]!, d, spec({ invertMonochrome1: false }), 0).data], [0, 5, 10], 'no inversion asked: fine');
});

t.test('toStored refuses widths it cannot produce', async (t) => {
  t.throws(() => toStored(new Uint8Array(4), 1, { bitsAllocated: 1, bitsStored: 1, pixelRepresentation: 0 }), { code: 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT' });
  t.throws(() => toStored(new Uint8Array(8), 4, { bitsAllocated: 64, bitsStored: 64, pixelRepresentation: 0 }), { code: 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT' });
});
