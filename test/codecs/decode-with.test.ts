/**
 * Codec.decodeWith (the decode worker's path): the frame handed to `use` has
 * the samples decode() returns, viewed in the codec's memory rather than
 * copied out; the worker's samples equal decode() then preprocess() on every
 * fixture whose codec has it; an error `use` throws comes out as it is; and
 * the next frame is unaffected.
 */
import t from 'tap';
import { charlsOwn } from '../../src/codecs/charls.js';
import { libjpegTurboOwn } from '../../src/codecs/libjpeg-turbo.js';
import { codecFor } from '../../src/codecs/index.js';
import { decodeFrame } from '../../src/decode/decode-frame.js';
import { ConfigError } from '../../src/errors.js';
import { preprocess } from '../../src/preprocess/pipeline.js';
import type { PreprocessSpec } from '../../src/preprocess/types.js';
import { encodedFrames } from '../helpers/decode.js';
import { preprocessSpecOf } from '../preprocess/fixtures/build.js';
import { fixtureBytes, fixtureNames, sidecar } from '../helpers/fixtures.js';

const spec: PreprocessSpec = preprocessSpecOf({ target: { height: 24, width: 24 } });

const names = fixtureNames().filter((n) => codecFor(sidecar(n).transferSyntax)?.decodeWith !== undefined);

t.test('decodeWith hands over decode()\'s samples without copying them out of the heap', async (t) => {
  t.ok(names.length >= 10, `${names.length} fixtures whose codec has decodeWith`);
  for (const name of names) {
    const { d, frames } = await encodedFrames(fixtureBytes(name));
    const codec = codecFor(d.transferSyntax)!;
    for (const [i, f] of frames.entries()) {
      const whole = await codec.decode(f.slice(), d);
      const seen = await codec.decodeWith!(f.slice(), d, {}, (frame) => ({
        same: frame.pixels.length === whole.pixels.length && frame.pixels.every((v, k) => v === whole.pixels[k]),
        ctor: frame.pixels.constructor.name,
        inHeap: frame.pixels.buffer.byteLength > frame.pixels.byteLength,
      }));
      t.ok(seen.same, `${name} f${i}: same samples`);
      t.equal(seen.ctor, whole.pixels.constructor.name, `${name} f${i}: same array type`);
      // cornerstone's libjpeg-turbo and CharLS bindings hand out a copy of their own: there is no heap view to keep.
      if (codec.name !== 'libjpeg-turbo' && codec.name !== 'charls') t.ok(seen.inHeap, `${name} f${i}: a view of the codec's memory, not a copy`);
      const ownBuild = codec.name === 'charls' ? charlsOwn : codec.name === 'libjpeg-turbo' ? libjpegTurboOwn : null;
      if (ownBuild) {
        const own = await ownBuild.decodeWith!(f.slice(), d, {}, (frame) => frame.pixels.buffer.byteLength > frame.pixels.byteLength && frame.pixels.every((v, k) => v === whole.pixels[k]));
        t.ok(own, `${name} f${i}: the own ${codec.name} build hands over a view of its memory, with the same samples`);
      }
    }
  }
});

t.test('the worker\'s samples equal decode() then preprocess() on every such fixture', async (t) => {
  for (const name of names) {
    const { d, frames } = await encodedFrames(fixtureBytes(name));
    const codec = codecFor(d.transferSyntax)!;
    for (const [i, f] of frames.entries()) {
      const expected = preprocess(await codec.decode(f.slice(), d), d, spec, i);
      const got = await decodeFrame({ bytes: f.slice(), description: d, spec, frameIndex: i, file: name, subResolution: false });
      t.ok(got.ok, `${name} f${i}: decoded`);
      if (got.ok) t.ok(got.data.length === expected.data.length && got.data.every((v, k) => Object.is(v, expected.data[k])), `${name} f${i}: same sample`);
    }
  }
});

t.test('an error thrown by `use` comes out as it is, and the next frame decodes as before', async (t) => {
  const name = names.find((n) => sidecar(n).transferSyntax === '1.2.840.10008.1.2.4.80')!;
  const { d, frames } = await encodedFrames(fixtureBytes(name));
  const codec = codecFor(d.transferSyntax)!;
  const before = await codec.decode(frames[0]!.slice(), d);
  await t.rejects(
    codec.decodeWith!(frames[0]!.slice(), d, {}, () => {
      throw new ConfigError('from use', { stage: 'config' });
    }),
    { code: 'DF_ERR_CONFIG', message: 'from use' },
  );
  const after = await codec.decode(frames[0]!.slice(), d);
  t.same(Array.from(after.pixels), Array.from(before.pixels));
});
