import t from 'tap';
import { ByteReader } from '../../src/dicom/byte-reader.js';

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}
const data = Uint8Array.from({ length: 100 }, (_, i) => i);

t.test('peek across chunk boundaries returns the right bytes', async (t) => {
  for (const size of [1, 3, 7, 100]) {
    const r = new ByteReader(chunks(data, size));
    t.ok(await r.ensure(10));
    t.same([...r.peek(10)], [...data.subarray(0, 10)], `chunk ${size}`);
    r.consume(4);
    t.equal(r.position, 4);
    t.ok(await r.ensure(9));
    t.same([...r.peek(9)], [...data.subarray(4, 13)], `after consume, chunk ${size}`);
  }
});

t.test('skip and readInto stop at end of input and say how far they got', async (t) => {
  const r = new ByteReader(chunks(data, 7));
  t.equal(await r.skip(30), 30);
  const buf = new Uint8Array(20);
  t.equal(await r.readInto(buf), 20);
  t.same([...buf], [...data.subarray(30, 50)]);
  t.equal(await r.skip(1000), 50);
  t.ok(await r.atEnd());
  t.equal(r.position, 100);
});

t.test('remaining yields buffered bytes first, then the rest', async (t) => {
  const r = new ByteReader(chunks(data, 16));
  await r.ensure(20);
  r.consume(5);
  const rest: number[] = [];
  for await (const c of r.remaining()) rest.push(...c);
  t.same(rest, [...data.subarray(5)]);
});

t.test('a non-byte chunk is a TypeError', async (t) => {
  const r = new ByteReader(['abc' as unknown as Uint8Array]);
  await t.rejects(r.ensure(1), TypeError);
});
