import t from 'tap';
import { InvalidPixelDescriptionError } from '../../src/errors.js';
import { applyModalityLut, modalityLut, modalityRange, rescaleFor, storedRange } from '../../src/preprocess/modality.js';
import { description, grayFrame, near } from './fixtures/build.js';

t.test('slope 1, intercept -1024 on signed stored values', async (t) => {
  const out = applyModalityLut(Int16Array.of(0, 1000, -1000), { slope: 1, intercept: -1024 });
  t.type(out, Float32Array);
  t.same([...out], [-1024, -24, -2024]);
});

t.test('slope 0.5 with an intercept', async (t) => {
  // 0*0.5+10, 3*0.5+10, 4096*0.5+10
  t.same([...applyModalityLut(Uint16Array.of(0, 3, 4096), { slope: 0.5, intercept: 10 })], [10, 11.5, 2058]);
});

t.test('out buffer is reused and its length checked', async (t) => {
  const out = new Float32Array(2);
  t.equal(applyModalityLut(Uint8Array.of(1, 2), { slope: 2, intercept: 0 }, out), out);
  t.same([...out], [2, 4]);
  t.throws(() => applyModalityLut(Uint8Array.of(1, 2), { slope: 1, intercept: 0 }, new Float32Array(3)), RangeError);
});

t.test('null slope and intercept are the identity, each on its own', async (t) => {
  t.same(rescaleFor(description(), 0), { slope: 1, intercept: 0 });
  t.same(rescaleFor(description({ rescaleIntercept: -1024 }), 0), { slope: 1, intercept: -1024 });
  t.same(rescaleFor(description({ rescaleSlope: 2 }), 0), { slope: 2, intercept: 0 });
  const img = modalityLut(grayFrame(Uint8Array.of(7, 255), 2, 1), description(), 0);
  t.same([...img.data], [7, 255]);
  t.same([img.width, img.height, img.channels], [2, 1, 1]);
});

t.test('per-frame rescale wins over the file-level one, chosen by frame index', async (t) => {
  const d = description({ rescaleSlope: 1, rescaleIntercept: -1024, frameRescale: [{ slope: 1, intercept: 0 }, { slope: 2, intercept: -100 }] });
  const f = grayFrame(Int16Array.of(10, 20), 2, 1);
  t.same([...modalityLut(f, d, 0).data], [10, 20]);
  t.same([...modalityLut(f, d, 1).data], [-80, -60]); // 10*2-100, 20*2-100
  t.throws(() => modalityLut(f, d, 2), InvalidPixelDescriptionError);
});

t.test('a frame whose sample count does not match its size is refused', async (t) => {
  t.throws(() => modalityLut(grayFrame(Uint8Array.of(1, 2, 3), 2, 1), description(), 0), InvalidPixelDescriptionError);
});

t.test('storedRange from bitsStored and pixelRepresentation', async (t) => {
  t.same(storedRange({ bitsStored: 12, pixelRepresentation: 1 }), { min: -2048, max: 2047 });
  t.same(storedRange({ bitsStored: 12, pixelRepresentation: 0 }), { min: 0, max: 4095 });
  t.same(storedRange({ bitsStored: 16, pixelRepresentation: 1 }), { min: -32768, max: 32767 });
  t.same(storedRange({ bitsStored: 8, pixelRepresentation: 0 }), { min: 0, max: 255 });
  t.same(storedRange({ bitsStored: 32, pixelRepresentation: 0 }), { min: 0, max: 4294967295 });
});

t.test('modalityRange maps the stored range, swapping for a negative slope', async (t) => {
  t.same(modalityRange({ bitsStored: 12, pixelRepresentation: 0 }, { slope: 1, intercept: -1024 }), { min: -1024, max: 3071 });
  t.same(modalityRange({ bitsStored: 12, pixelRepresentation: 1 }, { slope: 0.5, intercept: 0 }), { min: -1024, max: 1023.5 });
  t.same(modalityRange({ bitsStored: 8, pixelRepresentation: 0 }, { slope: -1, intercept: 0 }), { min: -255, max: 0 });
});

t.test('1-bit masks have the stored range 0..1; float pixel data has none and is refused', async (t) => {
  t.same(storedRange({ bitsStored: 1, pixelRepresentation: 0, pixelData: 'integer' }), { min: 0, max: 1 });
  t.same(modalityRange(description({ bitsAllocated: 1, bitsStored: 1, highBit: 0 }), { slope: 1, intercept: 0 }), { min: 0, max: 1 });
  for (const pixelData of ['float32', 'float64'] as const) {
    const d = description({ pixelData, bitsAllocated: pixelData === 'float32' ? 32 : 64, bitsStored: 32, highBit: 31 });
    t.throws(() => storedRange(d), { code: 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT', details: { pixelData } }, pixelData);
    t.throws(() => modalityRange(d, { slope: 1, intercept: 0 }), { code: 'DF_ERR_UNSUPPORTED_PIXEL_FORMAT', message: /preprocess\.voi/ });
  }
});

t.test('float stored values through the modality LUT: identity without rescale, no rounding', async (t) => {
  const d = description({ pixelData: 'float32', bitsAllocated: 32, bitsStored: 32, highBit: 31 });
  const f = grayFrame(Float32Array.of(-0.125, 1e-30, 3.5e38, NaN), 4, 1);
  const img = modalityLut(f, d, 0);
  t.same([...img.data].map((v, i) => Object.is(v, f.pixels[i])), [true, true, true, true], 'bit for bit');
  const scaled = modalityLut(f, description({ pixelData: 'float32', rescaleSlope: 4, rescaleIntercept: 1 }), 0);
  t.same([...scaled.data].slice(0, 2), [0.5, Math.fround(1 + 4e-30)]);
  t.equal(scaled.data[2], Infinity, 'beyond float32 after the rescale');
});
