import t from 'tap';
import { createRandom, deriveSeed, fastNormal } from '../../src/synth/random.js';

t.test('a seed gives the same stream on every run and machine', async (t) => {
  // Literal values: a change to the generator would silently change every corpus and phantom.
  const r = createRandom(42);
  t.same([r.next(), r.next(), r.next(), r.uint32()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 2876485805]);
  const g = createRandom(42);
  t.same([g.gaussian(), g.gaussian()], [2.167890815820702, -1.1087661942454097]);
  t.equal(fastNormal(createRandom(7)), -2.333495513465607);
  const a = createRandom(9);
  const b = createRandom(9);
  t.same(Array.from({ length: 1000 }, () => a.next()), Array.from({ length: 1000 }, () => b.next()), 'two generators with one seed agree');
});

t.test('different seeds give different streams', async (t) => {
  const a = createRandom(1);
  const b = createRandom(2);
  const same = Array.from({ length: 1000 }, () => a.next() === b.next()).filter(Boolean).length;
  t.equal(same, 0);
  t.equal(createRandom(2 ** 32 + 5).next(), createRandom(5).next(), 'seeds are taken modulo 2^32');
});

t.test('uniform helpers stay in range and cover it', async (t) => {
  const r = createRandom(3);
  const ints = new Set<number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < 20000; i++) {
    const n = r.int(7);
    ints.add(n);
    const x = r.range(-2, 3);
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  t.same([...ints].sort(), [0, 1, 2, 3, 4, 5, 6]);
  t.ok(lo >= -2 && lo < -1.99, `range low end ${lo}`);
  t.ok(hi < 3 && hi > 2.99, `range high end ${hi}`);
});

t.test('gaussian and fastNormal have mean 0 and standard deviation 1', async (t) => {
  for (const [name, draw] of [
    ['gaussian', (r: ReturnType<typeof createRandom>) => r.gaussian()],
    ['fastNormal', (r: ReturnType<typeof createRandom>) => fastNormal(r)],
  ] as const) {
    const r = createRandom(11);
    const n = 200000;
    let sum = 0;
    let sum2 = 0;
    let extreme = 0;
    for (let i = 0; i < n; i++) {
      const x = draw(r);
      sum += x;
      sum2 += x * x;
      extreme = Math.max(extreme, Math.abs(x));
    }
    const mean = sum / n;
    const sd = Math.sqrt(sum2 / n - mean * mean);
    t.ok(Math.abs(mean) < 0.01, `${name} mean ${mean}`);
    t.ok(Math.abs(sd - 1) < 0.01, `${name} sd ${sd}`);
    if (name === 'fastNormal') t.ok(extreme <= Math.sqrt(12), `fastNormal is bounded at sqrt(12) = 3.46 (max ${extreme})`);
    else t.ok(extreme > 4, `gaussian has real tails (max ${extreme})`);
  }
});

t.test('deriveSeed names independent sub-streams', async (t) => {
  t.equal(deriveSeed(1, 'ct-body'), 1209751880);
  t.equal(deriveSeed(1, 'ct-body'), deriveSeed(1, 'ct-body'));
  t.not(deriveSeed(1, 'ct-body'), deriveSeed(2, 'ct-body'), 'depends on the seed');
  t.not(deriveSeed(1, 'ct-body'), deriveSeed(1, 'ct-lungs'), 'depends on the label');
  const seeds = new Set(Array.from({ length: 10000 }, (_, i) => deriveSeed(i, 'x')));
  t.equal(seeds.size, 10000, 'no collisions among 10000 consecutive seeds');
});
