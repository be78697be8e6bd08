import t from 'tap';
import { cat, el, imageModule, meta, readAll, text, us, encapsulatedPixelData, jpegLike, ELE } from '../helpers/dicom.js';
import { fixtureBytes, sidecar } from '../helpers/fixtures.js';
import { readDicom } from '../../src/dicom/reader.js';
import { DicomflowError } from '../../src/errors.js';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

t.test('not DICOM: text, an image format, an empty input', async (t) => {
  const cases: [string, Uint8Array][] = [
    ['text', new TextEncoder().encode('this is a plain text file, not a DICOM file at all. '.repeat(5))],
    ['png', cat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), new Uint8Array(300).fill(7))],
    ['empty', new Uint8Array(0)],
  ];
  for (const [name, bytes] of cases) {
    const r = await readAll(bytes);
    t.equal(r.error?.code, 'DF_ERR_NOT_DICOM', name);
    t.equal(r.error?.where.file, 'test.dcm', `${name}: names the file`);
    t.equal(r.error?.where.offset, 0, `${name}: at byte 0`);
    t.equal(r.description, null);
  }
});

t.test('truncated header: inside the File Meta group and inside the data set', async (t) => {
  const bytes = fixtureBytes('ct_s16_explicit_le');
  for (const cut of [150, 400]) {
    const part = bytes.subarray(0, cut);
    for (const total of [part.length, undefined]) {
      const r = await readAll(part, 64, total === undefined ? { totalBytes: undefined as unknown as number } : {});
      t.equal(r.error?.code, 'DF_ERR_TRUNCATED_HEADER', `cut at ${cut}, size ${total === undefined ? 'unknown' : 'known'}`);
      t.ok((r.error?.where.offset ?? -1) >= 128 && r.error!.where.offset! <= cut, `offset ${r.error?.where.offset} within the file`);
    }
  }
});

t.test('truncated pixel data: complete frames are delivered, then the error', async (t) => {
  const cases = ['us_u8_mf4_explicit_le', 'us_u8_mf4_jls_lossless_emptybot', 'mr_u16_mf4_rle_bot', 'mr_u16_mf4_deflated'];
  for (const name of cases) {
    const whole = await readAll(fixtureBytes(name));
    t.equal(whole.frames.length, 4, `${name} has 4 frames`);
    // Cut in the middle of frame 2's bytes.
    const f2 = whole.frames[2]!;
    const cut = name.includes('deflated') ? Math.floor(fixtureBytes(name).length * 0.7) : f2.offset + Math.floor(f2.bytes.length / 2);
    const r = await readAll(fixtureBytes(name).subarray(0, cut), 1000);
    t.equal(r.error?.code, 'DF_ERR_TRUNCATED_PIXEL_DATA', `${name}: code`);
    t.ok(r.description, `${name}: header delivered`);
    const expect = name.includes('deflated') ? r.frames.length : 2;
    t.equal(r.frames.length, expect, `${name}: ${expect} complete frames delivered first`);
    t.ok(r.frames.length < 4, `${name}: not all frames`);
    for (const f of r.frames) t.same(f.bytes, whole.frames[f.index]!.bytes, `${name}: frame ${f.index} intact`);
    t.equal(r.error?.where.frame, r.frames.length, `${name}: error names frame ${r.frames.length}`);
    t.equal(r.error?.details?.framesDelivered, r.frames.length, `${name}: details say how many`);
  }
});

t.test('element length past the end of the input, or over the limit, is rejected before any allocation', async (t) => {
  const head = cat(meta(EXPLICIT_LE), text(0x00080018, 'UI', '1.2.3'));
  // A private OB element claiming ~4 GB: never allocated, whether or not the size is known.
  const huge = cat(head, el(0x00091010, 'OB', new Uint8Array(16), ELE, 0xfffffff0));
  const before = process.memoryUsage().arrayBuffers;
  let r = await readAll(huge);
  t.equal(r.error?.code, 'DF_ERR_ELEMENT_LENGTH', 'known size: more than the bytes left');
  t.match(r.error?.message, /only \d+ remain/);
  t.equal(r.error?.where.offset, head.length, 'offset of the element');
  r = await readAll(huge, 65536, { totalBytes: undefined as unknown as number });
  t.equal(r.error?.code, 'DF_ERR_ELEMENT_LENGTH', 'unknown size: over parse.maxElementBytes');
  t.match(r.error?.message, /over the limit/);
  t.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'nothing large was allocated');

  // A configured limit.
  const big = cat(head, el(0x00091010, 'OB', new Uint8Array(5000)), imageModule({ rows: 2, columns: 2 }), el(0x7fe00010, 'OW', new Uint8Array(8)));
  r = await readAll(big, 65536, { maxElementBytes: 4096 });
  t.equal(r.error?.code, 'DF_ERR_ELEMENT_LENGTH', 'configured maxElementBytes');
  t.equal((await readAll(big)).error, null, 'the same file reads under the default limit');

  // An attribute the reader keeps (Rows) with an absurd length.
  const rows = cat(head, el(0x00280010, 'OB', new Uint8Array(70000)));
  r = await readAll(rows);
  t.equal(r.error?.code, 'DF_ERR_ELEMENT_LENGTH', 'a kept attribute longer than any valid value');
});

t.test('a frame over parse.maxFrameBytes is refused (decompression-bomb guard)', async (t) => {
  // 65535 x 65535 x 3 samples x 16 bits = 25.8 GB per frame, declared by a tiny file.
  const bomb = cat(
    meta('1.2.840.10008.1.2.4.90'),
    imageModule({ rows: 65535, columns: 65535, samplesPerPixel: 3, photometric: 'RGB' }),
    encapsulatedPixelData([Uint8Array.of(0xff, 0x4f, 0xff, 0x51, 0, 0)]),
  );
  let r = await readAll(bomb);
  t.equal(r.error?.code, 'DF_ERR_FRAME_TOO_LARGE', 'default 1 GiB limit');
  t.equal(r.error?.details?.frameBytes, 65535 * 65535 * 3 * 2);
  t.equal(r.frames.length, 0);
  const name = 'ct_s16_explicit_le';
  const s = sidecar(name);
  r = await readAll(fixtureBytes(name), 65536, { maxFrameBytes: s.rows * s.columns * 2 - 1 });
  t.equal(r.error?.code, 'DF_ERR_FRAME_TOO_LARGE', 'a configured limit one byte under the frame');
  r = await readAll(fixtureBytes(name), 65536, { maxFrameBytes: s.rows * s.columns * 2 });
  t.equal(r.error, null, 'exactly at the limit is allowed');
  // Encoded fragments piling up past the limit in one frame.
  const pile = cat(
    meta('1.2.840.10008.1.2.4.50'),
    imageModule({ rows: 16, columns: 16, bitsAllocated: 8 }),
    encapsulatedPixelData([jpegLike(200, 1), new Uint8Array(200)]),
  );
  r = await readAll(pile, 65536, { maxFrameBytes: 256 });
  t.equal(r.error?.code, 'DF_ERR_FRAME_TOO_LARGE', 'encoded frame bigger than the limit');
});

t.test('unsupported and unknown transfer syntaxes are reported as such', async (t) => {
  for (const [uid, what] of [
    ['1.2.840.10008.1.2.4.100', /video/],
    ['1.2.3.4.5.6.7', /not known/],
  ] as const) {
    const r = await readAll(cat(meta(uid), imageModule({ rows: 2, columns: 2 })));
    t.equal(r.error?.code, 'DF_ERR_UNSUPPORTED_TRANSFER_SYNTAX', uid);
    t.match(r.error?.message, what);
    t.equal(r.error?.details?.transferSyntax, uid);
    t.ok((r.error?.where.offset ?? 0) > 128, 'points at the TransferSyntaxUID element');
  }
});

t.test('no pixel data, and an incomplete pixel description', async (t) => {
  let r = await readAll(cat(meta(EXPLICIT_LE), text(0x00080018, 'UI', '1.2.3'), text(0x00100010, 'PN', 'X')));
  t.equal(r.error?.code, 'DF_ERR_NO_PIXEL_DATA');
  const noPhotometric = cat(meta(EXPLICIT_LE), us(0x00280010, 2), us(0x00280011, 2), us(0x00280100, 8), el(0x7fe00010, 'OB', new Uint8Array(4)));
  r = await readAll(noPhotometric);
  t.equal(r.error?.code, 'DF_ERR_PIXEL_DESCRIPTION');
  t.match(r.error?.message, /PhotometricInterpretation/);
  const short = cat(meta(EXPLICIT_LE), imageModule({ rows: 4, columns: 4, frames: 2 }), el(0x7fe00010, 'OW', new Uint8Array(40)));
  r = await readAll(short);
  t.equal(r.error?.code, 'DF_ERR_MALFORMED', 'pixel data shorter than the description needs');
  t.match(r.error?.message, /holds 40 bytes but 2 frame/);
});

t.test('errors are DicomflowErrors that serialise with code, message and where', async (t) => {
  const r = readDicom([new TextEncoder().encode('x'.repeat(200))], { file: 'a/b.dcm' });
  const err = await r.header().catch((e: unknown) => e);
  t.ok(err instanceof DicomflowError);
  const j = (err as DicomflowError).toJSON();
  t.match(j, { code: 'DF_ERR_NOT_DICOM', where: { file: 'a/b.dcm', offset: 0, stage: 'parse' } });
  t.match((err as DicomflowError).describe(), /^DF_ERR_NOT_DICOM: .*\(a\/b\.dcm, byte 0\)$/);
});
