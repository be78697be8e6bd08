import t from 'tap';
import { contentTypeParams, multipartEvents } from '../../src/sources/multipart.js';

const boundary = 'b0und-ary';
const frame1 = Buffer.from([0xff, 0x4f, 0xff, 0x51, 0x0d, 0x0a, 0x2d, 0x2d, 0x62, 0x30, 0x0d]); // CR LF "--b0" inside the data
const frame2 = Buffer.from('\r\n--b0und-ar\r\n\r\nlast');
const body = Buffer.concat([
  Buffer.from(`preamble to ignore\r\n--${boundary}\r\nContent-Type: image/jp2; transfer-syntax=1.2.840.10008.1.2.4.90\r\nContent-Length: ${frame1.length}\r\n\r\n`),
  frame1,
  Buffer.from(`\r\n--${boundary}  \r\n\r\n`), // transport padding, then a part with no headers
  frame2,
  Buffer.from(`\r\n--${boundary}--\r\nepilogue`),
]);

async function* chunked(b: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const c of [...cuts, b.length]) {
    yield new Uint8Array(b.subarray(at, c));
    at = c;
  }
}

async function parse(chunks: AsyncIterable<Uint8Array>) {
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let open = false;
  for await (const e of multipartEvents(chunks, boundary)) {
    if (e.kind === 'part') {
      parts.push({ headers: e.headers, body: Buffer.alloc(0) });
      open = true;
    } else if (e.kind === 'data') parts.at(-1)!.body = Buffer.concat([parts.at(-1)!.body, e.bytes]);
    else open = false;
  }
  if (open) throw new Error('a part was never ended');
  return parts;
}

t.test('the same parts whatever the chunking: one split anywhere, two splits anywhere, byte by byte', async (t) => {
  const want = [
    { headers: { 'content-type': 'image/jp2; transfer-syntax=1.2.840.10008.1.2.4.90', 'content-length': String(frame1.length) }, body: frame1 },
    { headers: {}, body: frame2 },
  ];
  t.same(await parse(chunked(body, [])), want, 'whole');
  let bad = 0;
  for (let i = 1; i < body.length; i++) {
    for (let j = i; j < body.length; j++) {
      const got = await parse(chunked(body, j === i ? [i] : [i, j]));
      if (JSON.stringify(got) !== JSON.stringify(want)) bad++;
    }
  }
  t.equal(bad, 0, 'every one- and two-point split');
  t.same(await parse(chunked(body, Array.from({ length: body.length - 1 }, (_, i) => i + 1))), want, 'byte by byte');
});

t.test('a body cut short, or with no boundary, is a SourceError', async (t) => {
  await t.rejects(parse(chunked(body.subarray(0, body.length - 20), [])), { code: 'DF_ERR_SOURCE', message: /ends before its closing boundary/ });
  await t.rejects(parse(chunked(Buffer.from('no parts here'), [])), { code: 'DF_ERR_SOURCE', message: /no boundary found/ });
  await t.rejects(parse(chunked(Buffer.from(`--${boundary}\r\n${'x'.repeat(70_000)}`), [])), { message: /part headers longer than/ });
});

t.test('Content-Type parameters, quoted values holding ; and =', async (t) => {
  t.same(contentTypeParams('multipart/related; type="image/jp2; transfer-syntax=1.2.840.10008.1.2.4.90"; boundary=abc-1'), {
    type: 'image/jp2; transfer-syntax=1.2.840.10008.1.2.4.90',
    boundary: 'abc-1',
  });
  t.same(contentTypeParams('application/octet-stream; Transfer-Syntax=1.2.840.10008.1.2.1'), { 'transfer-syntax': '1.2.840.10008.1.2.1' });
  t.same(contentTypeParams('multipart/related; boundary="a \\"q\\" b"'), { boundary: 'a "q" b' });
});
