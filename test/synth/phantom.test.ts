import t from 'tap';
import { CT_HU_MIN, CT_UNSIGNED_INTERCEPT, ctSlice, ctToUnsigned, radiograph } from '../../src/synth/phantom.js';
import { bytesOf, stats } from './helpers.js';

const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(bytesOf(a)).equals(bytesOf(b));
const differing = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n / a.length;
};

t.test('CT: the same seed gives the same slice, another seed another', async (t) => {
  const a = ctSlice({ seed: 1 });
  t.ok(a instanceof Int16Array && a.length === 512 * 512, 'signed 16-bit, 512 x 512');
  t.ok(same(a, ctSlice({ seed: 1 })), 'identical for seed 1');
  t.ok(differing(a, ctSlice({ seed: 2 })) > 0.9, 'over 90% of pixels differ for seed 2 (noise alone does that)');
});

t.test('CT: HU of air, lung, soft tissue and bone are where they belong', async (t) => {
  for (const seed of [1, 2, 3]) {
    const hu = ctSlice({ seed });
    const air = stats(hu, 512, 0, 0, 40, 40);
    t.ok(Math.abs(air.mean - -1000) < 3, `seed ${seed}: air ${air.mean.toFixed(1)} HU`);
    t.ok(air.sd > 9 && air.sd < 15, `seed ${seed}: noise sd ${air.sd.toFixed(1)} HU (12 asked)`);
    const all = stats(hu, 512, 0, 0, 512, 512);
    t.equal(all.min, CT_HU_MIN, 'noise in air reaches the -1024 clamp');
    // Both lungs: 40 x 40 patches about their centres (vessels raise the mean a little).
    t.ok(stats(hu, 512, 150, 220, 190, 260).mean < -700, `seed ${seed}: right lung (image left) below -700 HU`);
    t.ok(stats(hu, 512, 330, 220, 370, 260).mean < -700, `seed ${seed}: left lung below -700 HU`);
    const heart = stats(hu, 512, 240, 200, 300, 240);
    t.ok(Math.abs(heart.mean - 42) < 5, `seed ${seed}: heart ${heart.mean.toFixed(1)} HU`);
    const bone = hu.filter((v) => v > 500).length;
    t.ok(bone > 2000 && bone < 8000, `seed ${seed}: ${bone} pixels of bone above 500 HU`);
    t.ok(all.max > 1000 && all.max < 1250, `seed ${seed}: densest bone ${all.max} HU`);
    // Structure, not noise: the whole image varies ~35 times more than the noise does.
    t.ok(all.sd > 30 * air.sd, `seed ${seed}: image sd ${all.sd.toFixed(0)} well above the noise`);
  }
});

t.test('CT: a lesion adds its contrast inside its radius only', async (t) => {
  const lesion = { x: 170, y: 240, radius: 10, contrastHU: 800 };
  const plain = ctSlice({ seed: 1 });
  const withLesion = ctSlice({ seed: 1, lesion });
  const inside = stats(withLesion, 512, 165, 235, 175, 245).mean - stats(plain, 512, 165, 235, 175, 245).mean;
  t.ok(Math.abs(inside - 800) < 1, `mean rise at the centre ${inside.toFixed(1)} HU`);
  t.equal(stats(withLesion, 512, 300, 0, 512, 512).mean, stats(plain, 512, 300, 0, 512, 512).mean, 'elsewhere unchanged');
});

t.test('CT: size scales the anatomy; the unsigned form is HU + 1024', async (t) => {
  const small = ctSlice({ seed: 1, size: 256 });
  t.equal(small.length, 256 * 256);
  t.ok(stats(small, 256, 75, 110, 95, 130).mean < -700, 'lung where it is at 512, halved');
  t.same(Array.from(ctToUnsigned(Int16Array.of(-1024, 0, 40, 3071))), [0, 1024, 1064, 4095]);
  t.equal(CT_UNSIGNED_INTERCEPT, -1024);
  t.throws(() => ctSlice({ seed: 1, size: 10 }), { code: 'DF_ERR_SYNTH_OPTION', message: /size must be an integer 64\.\.4096 \(got 10\)/ });
});

t.test('radiograph: deterministic, in range, not trivial', async (t) => {
  const a = radiograph({ seed: 1, width: 512, height: 512 });
  t.ok(a instanceof Uint16Array && a.length === 512 * 512);
  t.ok(same(a, radiograph({ seed: 1, width: 512, height: 512 })), 'identical for seed 1');
  t.ok(differing(a, radiograph({ seed: 2, width: 512, height: 512 })) > 0.9, 'over 90% differ for seed 2');
  const all = stats(a, 512, 0, 0, 512, 512);
  t.ok(all.min >= 0 && all.max <= 4095, `12-bit range: ${all.min}..${all.max}`);
  t.ok(all.max - all.min > 2500, 'uses most of the range');
  const background = stats(a, 512, 0, 0, 20, 20);
  t.ok(background.sd > 4 && background.sd < 9, `background noise sd ${background.sd.toFixed(1)}`);
  t.ok(all.sd > 50 * background.sd, `image sd ${all.sd.toFixed(0)} is far above the noise`);
});

t.test('radiograph: lungs darker than mediastinum and abdomen, brighter than air', async (t) => {
  const a = radiograph({ seed: 3, width: 512, height: 512 });
  const lungs = [stats(a, 512, 130, 180, 170, 220).mean, stats(a, 512, 340, 180, 380, 220).mean];
  const spine = stats(a, 512, 250, 60, 262, 100).mean;
  const abdomen = stats(a, 512, 200, 440, 230, 470).mean;
  const air = stats(a, 512, 0, 0, 20, 20).mean;
  for (const lung of lungs) {
    t.ok(lung > air + 400, `lung ${lung.toFixed(0)} vs air ${air.toFixed(0)}`);
    t.ok(lung < abdomen - 800, `lung ${lung.toFixed(0)} vs abdomen ${abdomen.toFixed(0)}`);
  }
  t.ok(spine > abdomen + 400, `spine ${spine.toFixed(0)} vs abdomen ${abdomen.toFixed(0)}`);
});

t.test('radiograph: bit depth, lesion and option checks', async (t) => {
  const eight = radiograph({ seed: 1, width: 128, height: 96, bits: 8 });
  t.equal(eight.length, 128 * 96);
  const e = stats(eight, 128, 0, 0, 128, 96);
  t.ok(e.max <= 255 && e.max > 150, `8-bit max ${e.max}`);
  const sixteen = radiograph({ seed: 1, width: 128, height: 96, bits: 16 });
  t.ok(stats(sixteen, 128, 0, 0, 128, 96).max > 40000, `16-bit max ${stats(sixteen, 128, 0, 0, 128, 96).max}`);
  const lesion = { x: 150, y: 200, radius: 12, contrast: 300 };
  const plain = radiograph({ seed: 1, width: 512, height: 512 });
  const withLesion = radiograph({ seed: 1, width: 512, height: 512, lesion });
  const rise = stats(withLesion, 512, 148, 198, 152, 202).mean - stats(plain, 512, 148, 198, 152, 202).mean;
  t.ok(Math.abs(rise - 300) < 25, `lesion raises its centre by ${rise.toFixed(0)} (300 asked)`);
  t.throws(() => radiograph({ seed: 1, bits: 17 }), { code: 'DF_ERR_SYNTH_OPTION', message: /bits must be an integer 8\.\.16 \(got 17\)/ });
  t.throws(() => radiograph({ seed: 1, width: 0 }), { code: 'DF_ERR_SYNTH_OPTION' });
});
