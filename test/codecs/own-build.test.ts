/**
 * The own-or-cornerstone choice (src/codecs/own-build.ts) with stand-in
 * codecs: the own build by default; the cornerstone build when the own one
 * cannot load, said once with DF_WARN_CODEC_FALLBACK on the first frame; no
 * fallback when the own build was asked for; and the environment variable's
 * values.
 */
import t from 'tap';
import { chooseBuild } from '../../src/codecs/own-build.js';
import type { Codec } from '../../src/codecs/types.js';
import type { DecodedFrame } from '../../src/preprocess/types.js';
import { description } from '../preprocess/fixtures/build.js';

const ENV = 'DICOMFLOW_TEST_BUILD';

function standIn(name: string, tag: number, initError?: string): Codec & { inits: number } {
  const c = {
    name,
    inits: 0,
    async init() {
      c.inits++;
      if (initError) throw new Error(initError);
    },
    async decode(): Promise<DecodedFrame> {
      await c.init();
      return { pixels: Uint16Array.of(tag), width: 1, height: 1, samplesPerPixel: 1, planarConfiguration: 0, photometricInterpretation: 'MONOCHROME2' };
    },
    fresh: () => standIn(name, tag, initError),
  };
  return c;
}

const d = description();
const bytes = new Uint8Array(4);

t.afterEach(() => {
  delete process.env[ENV];
});

t.test('the own build decodes by default, with no warning', async (t) => {
  const { codec, build } = chooseBuild(ENV, 'own-test.wasm', standIn('x', 1), standIn('x', 2));
  const f = await codec.decode(bytes, d);
  t.equal(f.pixels[0], 1);
  t.equal(f.warnings, undefined);
  t.same(build(), { build: 'own', fallback: null });
});

t.test('an own build that cannot load: the cornerstone build, said once with DF_WARN_CODEC_FALLBACK', async (t) => {
  const { codec, build } = chooseBuild(ENV, 'own-test.wasm', standIn('x', 1, 'no SIMD here'), standIn('x', 2));
  const first = await codec.decode(bytes, d);
  t.equal(first.pixels[0], 2, 'decoded by the cornerstone stand-in');
  t.match(first.warnings, [{ code: 'DF_WARN_CODEC_FALLBACK', message: /own build could not be loaded \(no SIMD here\).*DICOMFLOW_TEST_BUILD=cornerstone/ }]);
  const second = await codec.decode(bytes, d);
  t.equal(second.warnings, undefined, 'once, not on every frame');
  t.same(build(), { build: 'cornerstone', fallback: 'no SIMD here' });
});

t.test('asked for own: an own build that cannot load is an error, not a fallback', async (t) => {
  process.env[ENV] = 'own';
  const { codec } = chooseBuild(ENV, 'own-test.wasm', standIn('x', 1, 'no SIMD here'), standIn('x', 2));
  await t.rejects(codec.decode(bytes, d), /no SIMD here/);
});

t.test('asked for cornerstone: the own build is not even loaded, and no warning', async (t) => {
  process.env[ENV] = 'cornerstone';
  const own = standIn('x', 1);
  const { codec, build } = chooseBuild(ENV, 'own-test.wasm', own, standIn('x', 2));
  const f = await codec.decode(bytes, d);
  t.equal(f.pixels[0], 2);
  t.equal(f.warnings, undefined);
  t.equal(own.inits, 0);
  t.equal(build().build, 'cornerstone');
  process.env[ENV] = 'fastest';
  t.throws(() => build(), { code: 'DF_ERR_CONFIG', message: /DICOMFLOW_TEST_BUILD is "fastest": expected own, cornerstone or auto/ });
});
